from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, User
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tasks_db.models import DBTaskResult

from onthaal.accounts.admin_access import AddAndActionsAdmin, CapabilityAdmin, CapabilityInline
from onthaal.accounts.models import (
    ApiToken,
    ExternalIdentity,
    GroupMapping,
    LoginFailure,
    Membership,
    MembershipRequest,
)
from onthaal.accounts.services import memberships, sso, tokens, twofactor
from onthaal.core.errors import DomainError
from onthaal.organisation.models import Department


class MembershipForm(forms.ModelForm):
    """A role in a confidential department is not granted here: it needs a second
    administrator (a membership request)."""

    class Meta:
        model = Membership
        fields = ["department", "role"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        department = data.get("department")
        granted = not self.instance.pk or (
            self.instance.department_id != (department.pk if department else None)
            or self.instance.role != data.get("role")
        )
        if department is not None and department.confidential and granted:
            self.add_error(
                "department",
                _(
                    "A role in a confidential department needs the approval of a second "
                    "administrator: add it as a membership request."
                ),
            )
        return data


class MembershipInline(CapabilityInline):
    capability = "accounts.change"
    model = Membership
    form = MembershipForm
    readonly_fields = ["source"]
    extra = 1


admin.site.unregister(Group)
admin.site.unregister(User)
# The task queue's results hold the tasks' arguments (addresses, references): not a page for
# anyone; `onthaal worker` logs what it does.
admin.site.unregister(DBTaskResult)
# The authenticator devices hold their secret keys and the recovery codes in clear: not a
# page for anyone. An administrator resets someone's two-step login from the staff list.
admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(User)
class StaffAdmin(CapabilityAdmin, UserAdmin):
    """Staff accounts. What someone may do comes from their memberships only: Django's staff
    and superuser flags, groups and permissions mean nothing here and are not shown."""

    capability = "accounts.change"
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active"]
    list_filter = ["is_active"]
    filter_horizontal = []
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Permissions"), {"fields": ["is_active"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
        (_("Single sign-on"), {"fields": ["organisation_accounts"]}),
    ]
    readonly_fields = ["organisation_accounts"]

    @admin.display(description=_("organisation accounts"))
    def organisation_accounts(self, obj: Any) -> str:
        """The identities at the organisation's provider this account signs in with (made by
        the first single sign-on; read only)."""
        if obj is None or obj.pk is None:
            return "-"
        identities = ExternalIdentity.objects.filter(user=obj).order_by("pk")
        return ", ".join(str(identity) for identity in identities) or "-"

    actions = ["reset_second_factor"]

    @admin.action(description=_("Reset two-step login (lost phone)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            twofactor.reset(actor=request.user, user=user)
        self.message_user(
            request,
            gettext(
                "Two-step login reset for: %(users)s. They set it up again at their next login."
            )
            % {"users": ", ".join(u.get_username() for u in queryset)},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """Memberships are granted, changed and removed by their services (each its own
        audit event naming the department and the role)."""
        if formset.model is not Membership:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            memberships.membership_remove(actor=request.user, membership=membership)
        for membership, _fields in formset.changed_objects:
            memberships.membership_change(
                actor=request.user,
                membership=membership,
                department=membership.department,
                role=membership.role,
            )
        for membership in formset.new_objects:
            memberships.membership_add(
                actor=request.user,
                user=form.instance,
                department=membership.department,
                role=membership.role,
            )


@admin.register(LoginFailure)
class LoginFailureAdmin(CapabilityAdmin):
    capability = "accounts.change"
    list_display = ["username", "at", "ip"]


class MembershipRequestForm(forms.ModelForm):
    class Meta:
        model = MembershipRequest
        fields = ["user", "department", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(confidential=True)  # type: ignore[attr-defined]


@admin.register(MembershipRequest)
class MembershipRequestAdmin(AddAndActionsAdmin):
    """Roles in confidential departments: one administrator asks, another decides."""

    capability = "accounts.change"
    form = MembershipRequestForm
    list_display = ["user", "department", "role", "status", "requested_by", "decided_by"]
    list_filter = ["status"]
    actions = ["approve", "reject"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        made = memberships.membership_request(
            actor=request.user, user=obj.user, department=obj.department, role=obj.role
        )
        obj.pk, obj.requested_by, obj.requested_at = made.pk, made.requested_by, made.requested_at
        obj._state.adding = False

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        # The service wrote the audit event; only the admin's own history here.
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def _decide(self, request: HttpRequest, queryset: QuerySet[Any], approve: bool) -> None:
        for item in queryset:
            try:
                memberships.membership_request_decide(
                    actor=request.user, request=item, approve=approve
                )
            except DomainError as refused:
                self.message_user(request, f"{item}: {refused.message}", messages.ERROR)
            else:
                self.message_user(request, f"{item}: {item.get_status_display()}")

    @admin.action(description=_("Approve the selected requests"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected requests"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._decide(request, queryset, approve=False)


@admin.register(ApiToken)
class ApiTokenAdmin(CapabilityAdmin):
    """API tokens: the token is shown once, on the page after "add"; only its hash is kept."""

    capability = "accounts.change"
    fields = ["user", "name"]
    list_display = ["user", "name", "prefix", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "name", "prefix"]
    actions = ["revoke"]

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return obj is None and super().has_change_permission(request, None)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ["user", "name", "prefix", "created_at", "revoked_at"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.get_readonly_fields(request, obj) or self.fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        token, key = tokens.token_create(actor=request.user, user=obj.user, name=obj.name)
        for field in ("pk", "key_hash", "prefix", "created_at"):
            setattr(obj, field, getattr(token, field))
        obj._state.adding = False
        request._onthaal_new_token = key  # type: ignore[attr-defined]

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        """The one time the token is shown: on this page, never stored (not even in a
        message, which may travel in a cookie)."""
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("API token created"),
            "opts": self.opts,
            "token": obj,
            "key": request._onthaal_new_token,  # type: ignore[attr-defined]
        }
        response = TemplateResponse(request, "admin/accounts/apitoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for token in queryset:
            tokens.token_revoke(actor=request.user, token=token)
        self.message_user(request, gettext("Revoked."))


@admin.register(GroupMapping)
class GroupMappingAdmin(CapabilityAdmin):
    """Which group of the organisation's provider gives which role in which department, at
    single sign-on. Every change is an audit event (``services.sso``); a mapping to a
    confidential department waits for a second administrator's approval."""

    capability = "accounts.change"
    fields = ["group", "department", "role"]
    list_display = [
        "group",
        "department",
        "role",
        "status",
        "changed_by",
        "changed_at",
        "approved_by",
    ]
    list_filter = ["status", "role"]
    search_fields = ["group"]
    actions = ["approve"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = sso.mapping_save(
            actor=request.user,
            group=obj.group,
            department=obj.department,
            role=obj.role,
            mapping=obj if change else None,
        )
        for name in ("pk", "status", "changed_by", "changed_at", "approved_by", "approved_at"):
            setattr(obj, name, getattr(saved, name))
        obj._state.adding = False
        if saved.status == GroupMapping.Status.PENDING:
            self.message_user(
                request,
                gettext(
                    "A mapping to a confidential department gives nothing until a second "
                    "administrator approves it."
                ),
                messages.WARNING,
            )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        sso.mapping_delete(actor=request.user, mapping=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for mapping in queryset:
            sso.mapping_delete(actor=request.user, mapping=mapping)

    # The services wrote the audit events; only the admin's own history here.
    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> Any:
        return admin.ModelAdmin.log_change(self, request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        return admin.ModelAdmin.log_deletions(self, request, queryset)

    @admin.action(description=_("Approve the selected mappings (second administrator)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for mapping in queryset:
            try:
                sso.mapping_approve(actor=request.user, mapping=mapping)
            except DomainError as refused:
                self.message_user(request, f"{mapping}: {refused.message}", messages.ERROR)
            else:
                self.message_user(request, gettext("%(mapping)s: approved") % {"mapping": mapping})
