"""Staff memberships (department + role) and the record of failed logins."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RECEPTIONIST = "receptionist", _("receptionist")
    DESK_AGENT = "desk_agent", _("desk agent")
    SOCIAL_WORKER = "social_worker", _("social worker")
    TEAM_LEAD = "team_lead", _("team lead")
    MAIL_CLERK = "mail_clerk", _("mail clerk")
    MANAGER = "manager", _("manager")
    AUDITOR = "auditor", _("auditor")
    ADMIN = "admin", _("administrator")


class MembershipSource(models.TextChoices):
    ADMIN = "admin", _("an administrator")
    SSO = "sso", _("single sign-on")


class Membership(models.Model):
    """A staff member's role in a department.

    ``department`` empty means the role holds for the whole administration (an administrator,
    an auditor, a manager) — but never for a confidential department's data: that needs a
    membership of that department itself (see ``onthaal.accounts.access``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="memberships",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # Given by an administrator, or by single sign-on from a group mapping: only the latter
    # are taken away when the group goes (``accounts.services.sso``).
    source = models.CharField(
        _("given by"), max_length=10, choices=MembershipSource.choices, default="admin"
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"], name="membership_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(department__isnull=True),
                name="membership_unique_global_role",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="membership_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=MembershipSource.values),
                name="membership_source_valid",
            ),
        ]

    def __str__(self) -> str:
        scope = self.department or _("all departments")
        return f"{self.user} — {self.get_role_display()} ({scope})"


class LoginFailure(models.Model):
    """One failed login, kept to lock an account after repeated failures."""

    username = models.CharField(_("user name"), max_length=150, db_index=True)
    at = models.DateTimeField(_("at"), db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} @ {self.at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A staff member's API token (a kiosk's integration, a desk app, a script).

    Only the SHA-256 of the token is kept: the token itself is shown once, when it is made
    (``onthaal token create``, or the admin's page after "add"), and can never be read back.
    ``prefix``, its first characters, tells tokens apart in lists and the audit log. A revoked
    token stays, for the record, and no longer authenticates.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("For example kiosk-1."))
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created at"), editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["user", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="api_token_unique_active_name",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.name} ({self.prefix}…)"


class MembershipRequest(models.Model):
    """A membership of a confidential department, waiting for a second person.

    Access to the OCMW social service's data is never granted by one person alone: an
    administrator asks, another administrator (not the one asking and not the member-to-be)
    approves or rejects. See ``onthaal.accounts.services.memberships``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="membership_requests",
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="membership_requests",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership request")
        verbose_name_plural = _("membership requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "department", "role"],
                condition=models.Q(status="pending"),
                name="membership_request_one_pending",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "rejected"]),
                name="membership_request_status_valid",
            ),
            # The four-eyes rule, kept by the database too: whoever decides neither asked nor
            # is the member-to-be.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | (
                    ~models.Q(decided_by=models.F("requested_by"))
                    & ~models.Q(decided_by=models.F("user"))
                ),
                name="membership_request_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.department})"


class ExternalIdentity(models.Model):
    """A staff account's identity at the organisation's OpenID Connect provider: the pair
    (issuer, subject) that the provider promises never to give anyone else. Sign-ins find the
    account by this pair only — never by e-mail address or user name, which can be reused or
    changed. See ``onthaal.accounts.services.sso``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="external_identities",
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(_("created at"))
    last_sign_in_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("organisation account")
        verbose_name_plural = _("organisation accounts")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique")
        ]

    def __str__(self) -> str:
        return f"{self.issuer} — {self.subject}"


class GroupMapping(models.Model):
    """A group (or role) of the organisation's provider that gives a membership at sign-in.

    A member of ``group`` in the provider gets ``role`` in ``department`` (empty: the whole
    administration) at their next single sign-on, and loses it at the first sign-on without
    the group. A mapping to a confidential department takes effect only once a second
    administrator — not the one who made or last changed it — has approved it (ADR 0014).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        ACTIVE = "active", _("active")

    group = models.CharField(
        _("group"),
        max_length=255,
        help_text=_(
            "The value of the provider's groups or roles claim, e.g. an Entra ID group's "
            "object ID or an app role."
        ),
    )
    department = models.ForeignKey(
        "organisation.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="group_mappings",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made or changed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    changed_at = models.DateTimeField(_("made or changed at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("group mapping")
        verbose_name_plural = _("group mappings")
        ordering = ["group", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "department", "role"], name="group_mapping_unique"
            ),
            models.UniqueConstraint(
                fields=["group", "role"],
                condition=models.Q(department__isnull=True),
                name="group_mapping_unique_global",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="group_mapping_role_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "active"]),
                name="group_mapping_status_valid",
            ),
            # The four-eyes rule: whoever approves did not make or change the mapping.
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True)
                | ~models.Q(approved_by=models.F("changed_by")),
                name="group_mapping_second_person",
            ),
        ]

    def __str__(self) -> str:
        scope = self.department or _("all departments")
        return f"{self.group} → {self.get_role_display()} ({scope})"
