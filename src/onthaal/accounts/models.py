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
