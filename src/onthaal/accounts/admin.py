from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from onthaal.accounts.admin_access import CapabilityAdmin, CapabilityInline
from onthaal.accounts.models import LoginFailure, Membership


class MembershipInline(CapabilityInline):
    capability = "accounts.change"
    model = Membership
    extra = 1


admin.site.unregister(Group)
admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(CapabilityAdmin, UserAdmin):
    capability = "accounts.change"
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]


@admin.register(LoginFailure)
class LoginFailureAdmin(CapabilityAdmin):
    capability = "accounts.change"
    list_display = ["username", "at", "ip"]


# API tokens for kiosks, screens and integrations: managed by administrators.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class DeviceTokenAdmin(CapabilityAdmin, TokenAdmin):
    capability = "accounts.change"
