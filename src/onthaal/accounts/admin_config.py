from django.contrib.admin.apps import AdminConfig


class OnthaalAdminConfig(AdminConfig):
    """Django's admin, with Onthaal's role-based admin site."""

    default_site = "onthaal.accounts.admin_site.OnthaalAdminSite"
