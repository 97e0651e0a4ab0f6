"""The audit log: one append-only, hash-chained table of every action and consultation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    VIEW = "view", _("view")
    DOWNLOAD = "download", _("download")
    SEARCH = "search", _("search")
    EXPORT = "export", _("export")
    LOGIN = "login", _("login")
    LOGOUT = "logout", _("logout")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOCKED_OUT = "locked_out", _("account locked")
    PERMISSION_DENIED = "permission_denied", _("access refused")
    TRANSITION = "transition", _("state change")


class ActorType(models.TextChoices):
    STAFF = "staff", _("staff member")
    CITIZEN = "citizen", _("citizen")
    SYSTEM = "system", _("system")
    ANONYMOUS = "anonymous", _("anonymous")
    DEVICE = "device", _("device")


class AuditEvent(models.Model):
    """One audit event. Never updated or deleted (a PostgreSQL trigger refuses it).

    ``hash`` is the SHA-256 of the canonical content (see ``onthaal.audit.chain``), which
    includes ``prev_hash``, the hash of the event before it in its ``chain``: changing,
    deleting or inserting a row breaks its chain at that row. The log is several chains so
    that writers need not wait for each other (ADR 0010).
    """

    at = models.DateTimeField(_("time"), db_index=True)
    actor_type = models.CharField(_("actor type"), max_length=20, choices=ActorType.choices)
    actor_id = models.CharField(_("actor id"), max_length=64, blank=True)
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=100, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    organisation_id = models.BigIntegerField(_("organisation"), null=True, blank=True)
    department_id = models.BigIntegerField(_("department"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    # Unique (Meta.constraints): two events can never follow the same event, so the chain
    # cannot fork.
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)
    chain = models.PositiveSmallIntegerField(_("chain"), default=0)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["pk"]
        # Every append writes each of these indexes, so the log has only those that a reading
        # uses, and as constraints and plain indexes rather than ``unique=True`` and
        # ``db_index=True``: on PostgreSQL those also make a second index of each text column
        # for LIKE searches, which nothing here makes (ADR 0010: a quarter of an append's work
        # in the database).
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            # The head of a chain: its last event.
            models.Index(fields=["chain", "id"], name="audit_chain_idx"),
            models.Index(fields=["actor_id"], name="audit_actor_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["hash"], name="audit_hash_unique"),
            models.UniqueConstraint(fields=["prev_hash"], name="audit_prev_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}"


class RefusalTally(models.Model):
    """The refusals of anonymous requests from one client in one minute, counted until the
    minute has ended and then written as one ``permission_denied`` event with the count (see
    ``onthaal.audit.refusals``). Never read by the application otherwise."""

    minute = models.DateTimeField(_("minute"))
    client = models.CharField(_("client address"), max_length=45, blank=True)
    count = models.PositiveIntegerField(_("count"), default=0)
    # What the first refusal of the minute was about, as an example.
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("tally of anonymous refusals")
        verbose_name_plural = _("tallies of anonymous refusals")
        constraints = [
            models.UniqueConstraint(fields=["minute", "client"], name="audit_tally_one_per_minute")
        ]

    def __str__(self) -> str:
        return f"{self.minute:%Y-%m-%d %H:%M} {self.client or '-'}: {self.count}"
