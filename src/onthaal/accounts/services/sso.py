"""Staff single sign-on: the organisation's OpenID Connect provider (Entra ID, ACM/IDM) says
who someone is and which groups they are in; the group mappings say what that makes them here.

- An account is found by the pair (issuer, ``sub``) of the validated id_token, never by e-mail
  address or user name: a new pair makes a new account (``ExternalIdentity``).
- At every sign-in the memberships that single sign-on gave (``Membership.source`` "sso") are
  made equal to what the active mappings of the user's groups give: new ones are granted,
  ones whose group went are removed — each an audit event. Memberships an administrator gave
  are left alone.
- Someone with no membership after that is refused (no group that Onthaal knows).
- A mapping to a confidential department (the OCMW social service) is active only after a
  second administrator, not the one who made or last changed it, approved it (ADR 0014);
  until then it gives nothing.
- Every sign-in and every refusal (bad state or nonce, a provider error, no known group) is an
  audit event; every change of a mapping too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.accounts.models import (
    ExternalIdentity,
    GroupMapping,
    Membership,
    MembershipSource,
)
from onthaal.accounts.services import twofactor
from onthaal.audit.models import Action
from onthaal.audit.services import record_event, record_refusal
from onthaal.core import clock, oidc
from onthaal.core.errors import AccessDenied, Conflict
from onthaal.core.locks import lock_name
from onthaal.organisation.models import Department

SESSION_KEY = twofactor.SSO_KEY  # set in the session of a single sign-on
SYSTEM_ACTOR = "sso"  # the audit log's actor of memberships given and taken by sign-in

NO_GROUP = "no_known_group"
NO_SUBJECT = "no_subject"
INACTIVE = "inactive"


def config() -> oidc.ProviderConfig:
    return oidc.ProviderConfig(
        name="staff",
        discovery_url=settings.SSO_DISCOVERY_URL,
        client_id=settings.SSO_CLIENT_ID,
        client_secret=settings.SSO_CLIENT_SECRET,
        scopes=settings.SSO_SCOPES,
        fetch_userinfo=settings.SSO_USERINFO,
    )


def enabled() -> bool:
    return config().configured


# --- refusals -------------------------------------------------------------------------------


def audit_refusal(request: HttpRequest, reason: str, **details: Any) -> None:
    """A refused single sign-on: its own event (not a tally), like a failed password."""
    with transaction.atomic():
        record_event(
            action=Action.LOGIN_FAILED,
            actor="anonymous",
            object_type="user",
            object_id=str(details.pop("user_id", "")),
            details={"via": "sso", "reason": reason, **details},
            request=request,
        )


# --- sign-in --------------------------------------------------------------------------------


@dataclass
class SignIn:
    user: Any
    created: bool
    granted: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)


class SignInRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def groups_of(claims: dict[str, Any]) -> list[str]:
    value = claims.get(settings.SSO_GROUPS_CLAIM)
    if value is None:
        return []
    values = [value] if isinstance(value, str | int) else list(value)
    return sorted({str(v) for v in values if str(v)})


def _username(claims: dict[str, Any], subject: str) -> str:
    """A free user name from the configured claim (``an.peeters@gemeente.be``), else from the
    subject; ``-2``, ``-3``... when taken."""
    raw = str(claims.get(settings.SSO_USERNAME_CLAIM) or claims.get("email") or "")
    fallback = "sso-" + re.sub(r"[^\w]", "", subject)[:20]
    base = re.sub(r"[^\w.@+-]", "", raw)[:140] or fallback
    # Two first sign-ins with the same name at once: the second waits, then counts on.
    lock_name("sso", f"username {base.casefold()}")
    users = get_user_model().objects
    name, n = base, 1
    while users.filter(username__iexact=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _scope(department_id: int | None, role: str) -> tuple[int | None, str]:
    return (department_id, str(role))


def _describe(user: Any, department: Department | None, role: str) -> dict[str, Any]:
    return {
        "user": user.get_username(),
        "user_id": user.pk,
        "department": department.slug if department else None,
        "role": str(role),
        "confidential": bool(department and department.confidential),
    }


def _sync_memberships(
    user: Any, groups: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    mappings = list(
        GroupMapping.objects.filter(group__in=groups, status=GroupMapping.Status.ACTIVE)
        .select_related("department", "approved_by")
        .order_by("pk")
    )
    wanted: dict[tuple[int | None, str], GroupMapping] = {}
    for mapping in mappings:
        wanted.setdefault(_scope(mapping.department_id, mapping.role), mapping)
    current = list(Membership.objects.filter(user=user).select_related("department"))
    have = {_scope(m.department_id, m.role) for m in current}
    granted, removed = [], []
    for membership in current:
        if membership.source == MembershipSource.SSO and (
            _scope(membership.department_id, membership.role) not in wanted
        ):
            details = {**_describe(user, membership.department, membership.role), "via": "sso"}
            pk = membership.pk
            membership.delete()
            record_event(
                action=Action.DELETE,
                actor=SYSTEM_ACTOR,
                object_type="accounts.membership",
                object_id=pk,
                department=membership.department,
                details={**details, "reason": "group_gone"},
            )
            removed.append(details)
    for key, mapping in wanted.items():
        if key in have:
            continue
        membership = Membership.objects.create(
            user=user, department=mapping.department, role=mapping.role, source=MembershipSource.SSO
        )
        details = {
            **_describe(user, mapping.department, mapping.role),
            "via": "sso",
            "group": mapping.group,
            "mapping": mapping.pk,
        }
        if mapping.approved_by is not None:
            details["approved_by"] = mapping.approved_by.get_username()
        record_event(
            action=Action.CREATE,
            actor=SYSTEM_ACTOR,
            object_type="accounts.membership",
            object_id=membership.pk,
            department=mapping.department,
            details=details,
        )
        granted.append(details)
    return granted, removed


def _account(
    claims: dict[str, Any], identity: ExternalIdentity | None, issuer: str, subject: str
) -> tuple[Any, bool]:
    """The account of (issuer, subject): linked, or made now with no usable password. Its
    name and e-mail address follow the provider's at every sign-in."""
    now = clock.now()
    created = identity is None
    if identity is None:
        user = get_user_model().objects.create_user(username=_username(claims, subject))
        identity = ExternalIdentity.objects.create(
            user=user, issuer=issuer, subject=subject, created_at=now
        )
        record_event(
            action=Action.CREATE,
            actor=SYSTEM_ACTOR,
            object_type="user",
            object_id=user.pk,
            details={"via": "sso", "issuer": issuer, "user": user.get_username()},
        )
    user = identity.user
    names = {
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
        "email": str(claims.get("email") or "")[:254],
    }
    changed = [name for name, value in names.items() if value and getattr(user, name) != value]
    for name in changed:
        setattr(user, name, names[name])
    user.last_login = now
    user.save(update_fields=[*changed, "last_login"])
    identity.last_sign_in_at = now
    identity.save(update_fields=["last_sign_in_at"])
    return user, created


def sign_in(*, request: HttpRequest, claims: dict[str, Any]) -> SignIn:
    """Find or make the account of the validated ``claims`` and bring its memberships in line
    with its groups. ``SignInRefused`` (audited) when nobody can be signed in; memberships
    taken away on the way stay taken away."""
    issuer, subject = str(claims.get("iss") or ""), str(claims.get("sub") or "")
    if not issuer or not subject:
        audit_refusal(request, NO_SUBJECT)
        raise SignInRefused(NO_SUBJECT)
    groups = groups_of(claims)
    known = set(
        GroupMapping.objects.filter(group__in=groups, status=GroupMapping.Status.ACTIVE)
        .values_list("group", flat=True)
        .distinct()
    )
    details: dict[str, Any] = {
        "issuer": issuer,
        "groups": len(groups),
        "unmapped": len([g for g in groups if g not in known]),
    }
    user_id: Any = ""
    reason = NO_GROUP
    with transaction.atomic():
        lock_name("sso", f"{issuer} {subject}")
        identity = (
            ExternalIdentity.objects.select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is not None or known:  # else: nobody Onthaal has a role for; no account
            user, created = _account(claims, identity, issuer, subject)
            granted, removed = _sync_memberships(user, groups)
            user_id = user.pk
            if not user.is_active:
                reason = INACTIVE
            elif Membership.objects.filter(user=user).exists():
                record_event(
                    action=Action.LOGIN,
                    actor=user,
                    object_type="user",
                    object_id=user.pk,
                    details={
                        "via": "sso",
                        **details,
                        "created": created,
                        "granted": len(granted),
                        "removed": len(removed),
                    },
                    request=request,
                )
                return SignIn(user=user, created=created, granted=granted, removed=removed)
    audit_refusal(request, reason, user_id=user_id, **details)
    raise SignInRefused(reason)


# --- the group mappings (the administrator's side) -------------------------------------------


def _require_admin(actor: Any) -> None:
    if getattr(actor, "is_authenticated", False):
        access.require(actor, "accounts.change", object_type="accounts.groupmapping")


def _mapping_details(mapping: GroupMapping) -> dict[str, Any]:
    department = mapping.department
    return {
        "group": mapping.group,
        "department": department.slug if department else None,
        "role": str(mapping.role),
        "confidential": bool(department and department.confidential),
        "status": str(mapping.status),
    }


def _actor_user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def mapping_save(
    *,
    actor: Any,
    group: str,
    department: Department | None,
    role: str,
    mapping: GroupMapping | None = None,
) -> GroupMapping:
    """Make a mapping, or change ``mapping``. One to a confidential department waits for a
    second administrator's approval — again after every change."""
    _require_admin(actor)
    group = group.strip()
    confidential = bool(department and department.confidential)
    with transaction.atomic():
        before = None
        if mapping is not None:
            mapping = GroupMapping.objects.select_for_update().get(pk=mapping.pk)
            before = _mapping_details(mapping)
        else:
            mapping = GroupMapping()
        mapping.group, mapping.department, mapping.role = group, department, role
        mapping.status = GroupMapping.Status.PENDING if confidential else GroupMapping.Status.ACTIVE
        mapping.changed_by, mapping.changed_at = _actor_user(actor), clock.now()
        mapping.approved_by, mapping.approved_at = None, None
        mapping.save()
        details = _mapping_details(mapping)
        if before is not None:
            details["before"] = before
        record_event(
            action=Action.CREATE if before is None else Action.UPDATE,
            actor=actor,
            object_type="accounts.groupmapping",
            object_id=mapping.pk,
            department=department,
            details=details,
        )
    return mapping


def mapping_delete(*, actor: Any, mapping: GroupMapping) -> None:
    """Remove a mapping; its members lose what it gave at their next sign-in."""
    _require_admin(actor)
    with transaction.atomic():
        details = _mapping_details(mapping)
        pk = mapping.pk
        mapping.delete()
        record_event(
            action=Action.DELETE,
            actor=actor,
            object_type="accounts.groupmapping",
            object_id=pk,
            department=mapping.department,
            details=details,
        )


def mapping_approve(*, actor: Any, mapping: GroupMapping) -> GroupMapping:
    """A second administrator — not the one who made or last changed it — activates a
    mapping to a confidential department."""
    _require_admin(actor)
    if mapping.changed_by_id == actor.pk:
        record_refusal(
            actor=actor,
            capability="accounts.change",
            department=mapping.department,
            object_type="accounts.groupmapping",
            object_id=mapping.pk,
            details={"reason": "four_eyes"},
        )
        raise AccessDenied(
            _("A second administrator must approve: not the one who made or changed it.")
        )
    with transaction.atomic():
        mapping = (
            GroupMapping.objects.select_for_update(of=("self",))
            .select_related("department", "changed_by")
            .get(pk=mapping.pk)
        )
        if mapping.status != GroupMapping.Status.PENDING:
            raise Conflict(_("This mapping is not waiting for approval."))
        mapping.status = GroupMapping.Status.ACTIVE
        mapping.approved_by, mapping.approved_at = actor, clock.now()
        mapping.save(update_fields=["status", "approved_by", "approved_at"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="accounts.groupmapping",
            object_id=mapping.pk,
            department=mapping.department,
            details={
                **_mapping_details(mapping),
                "approved_by": actor.get_username(),
                "changed_by": mapping.changed_by.get_username() if mapping.changed_by else None,
            },
        )
    return mapping
