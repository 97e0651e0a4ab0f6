"""Access control in one place: who may do what, in which department.

Views, API endpoints, selectors and the admin ask here; none of them checks roles itself.
A refusal raises ``AccessDenied`` and is written to the audit log in a way that survives the
rollback of the refused request (``onthaal.audit.services.record_refusal``). The audit log
reads the actor's roles from ``accounts.roles``, not from here: no import circle.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from onthaal.accounts.models import Membership, Role
from onthaal.accounts.roles import memberships, roles
from onthaal.audit.services import record_refusal
from onthaal.core.errors import AccessDenied

if TYPE_CHECKING:
    from onthaal.organisation.models import Department

# Capability -> roles that have it (within their department scope).
CAPABILITIES: dict[str, frozenset[str]] = {
    "catalogue.change": frozenset({Role.TEAM_LEAD, Role.ADMIN}),
    "hours.change": frozenset({Role.TEAM_LEAD, Role.ADMIN}),
    "organisation.change": frozenset({Role.ADMIN}),
    "accounts.change": frozenset({Role.ADMIN}),
    "audit.view": frozenset({Role.AUDITOR}),
    "staff.start": frozenset(Role.values),
    # Customer guidance: issue tickets and hand over (reception), serve at a desk, lead a team.
    "queue.issue": frozenset({Role.RECEPTIONIST, Role.DESK_AGENT, Role.TEAM_LEAD, Role.ADMIN}),
    "queue.serve": frozenset(
        {Role.RECEPTIONIST, Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD}
    ),
    "queue.lead": frozenset({Role.TEAM_LEAD, Role.MANAGER, Role.ADMIN}),
    "queue.change": frozenset({Role.TEAM_LEAD, Role.ADMIN}),
    "queue.kiosk": frozenset({Role.RECEPTIONIST, Role.TEAM_LEAD, Role.ADMIN}),
    "queue.read_note": frozenset({Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD}),
    # Book for a caller (phone, desk): without the proof of work and the anonymous limits,
    # and with an audited exception to lead time and horizon.
    "appointments.book": frozenset(
        {Role.RECEPTIONIST, Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD}
    ),
    # Appointments with the citizen's name: the agenda and search of one's own departments.
    "appointments.view": frozenset(
        {Role.RECEPTIONIST, Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD}
    ),
    # Mail: register incoming mail (for any department: the mail clerk opens the post of the
    # whole administration), route it, read and handle the mail of one's departments, set the
    # intake rules, export the register, and run retention (a second person approves).
    "mail.register": frozenset({Role.MAIL_CLERK, Role.TEAM_LEAD}),
    "mail.assign": frozenset({Role.MAIL_CLERK, Role.TEAM_LEAD}),
    "mail.view": frozenset(
        {Role.MAIL_CLERK, Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD, Role.MANAGER}
    ),
    "mail.handle": frozenset({Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD}),
    "mail.rules": frozenset({Role.TEAM_LEAD, Role.ADMIN}),
    "mail.export": frozenset({Role.TEAM_LEAD, Role.MANAGER}),
    "mail.retention": frozenset({Role.AUDITOR, Role.ADMIN}),
    # E-loket: read the requests of one's departments, handle them (transitions, messages,
    # the document), and import the bank's statements and resolve the payments.
    "eloket.view": frozenset({Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD}),
    "eloket.handle": frozenset({Role.DESK_AGENT, Role.SOCIAL_WORKER, Role.TEAM_LEAD}),
    "eloket.payments": frozenset({Role.TEAM_LEAD}),
    # Figures (anonymous counts, no names): the dashboard, exports, advice, the yearly report.
    "reporting.view": frozenset({Role.MANAGER, Role.TEAM_LEAD}),
    # Staff planning: the coverage board, requests, absences and rosters of one's departments;
    # every staff member sees their own week and asks for telework or leave.
    "staffing.plan": frozenset({Role.TEAM_LEAD, Role.ADMIN}),
    "staffing.own": frozenset(Role.values),
}

# Roles that hold a capability in every department, confidential ones too, beyond their own.
# Reception triages the visitors of the whole building by number: it issues tickets for every department, sets
# priority and hands waiting visitors over (to the social service too, with a note only the
# social service reads); it never reads a department's data nor acts at its desks.
BUILDING_WIDE: dict[str, frozenset[str]] = {
    "queue.issue": frozenset({Role.RECEPTIONIST}),
}

# Roles that must log in with a second step (an authenticator app code): they change who may
# do what, read the audit log, or lead a team. Anyone else may enrol.
TWO_FACTOR_ROLES = frozenset({Role.ADMIN, Role.AUDITOR, Role.TEAM_LEAD})

# Reception is the front office of the whole administration: for what it does for callers,
# its membership covers every department that is not confidential, as an administration-wide
# role does (the OCMW social service's appointments stay with its own members).
RECEPTION_WIDE: frozenset[str] = frozenset({"appointments.book", "appointments.view"})

# The start page of each role, in order of precedence when a user has several.
START_PAGES: list[tuple[str, str]] = [
    (Role.ADMIN, "admin:index"),
    (Role.AUDITOR, "audit:search"),
    (Role.MANAGER, "accounts:start"),
    (Role.TEAM_LEAD, "accounts:start"),
    (Role.SOCIAL_WORKER, "accounts:start"),
    (Role.DESK_AGENT, "accounts:start"),
    (Role.RECEPTIONIST, "accounts:start"),
    (Role.MAIL_CLERK, "mail:intake"),
]


def has_role(user: Any, *wanted: str) -> bool:
    return bool(roles(user) & set(wanted))


def _everywhere(membership: Membership, capability: str) -> bool:
    return membership.role in BUILDING_WIDE.get(capability, ())


def _scope(membership: Membership, capability: str) -> int | None:
    """The department ``membership`` holds ``capability`` in; None: administration-wide."""
    if membership.role == Role.RECEPTIONIST and capability in RECEPTION_WIDE:
        return None
    return membership.department_id


def _covers(membership: Membership, department: Department | None, capability: str) -> bool:
    if department is None:
        return True
    scope = _scope(membership, capability)
    if scope == department.pk or _everywhere(membership, capability):
        return True
    # An administration-wide role covers every department except confidential ones.
    return scope is None and not department.confidential


def can(user: Any, capability: str, department: Department | None = None) -> bool:
    """May ``user`` use ``capability`` (in ``department``, when given)?"""
    allowed = CAPABILITIES[capability]
    return any(m.role in allowed and _covers(m, department, capability) for m in memberships(user))


def require(
    user: Any,
    capability: str,
    department: Department | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
) -> None:
    """Raise ``AccessDenied`` (and audit the refusal) unless ``can(...)``."""
    if can(user, capability, department):
        return
    record_refusal(
        actor=user,
        capability=capability,
        department=department,
        object_type=object_type,
        object_id=object_id,
    )
    raise AccessDenied(_("You do not have access to this."))


def departments_with(user: Any, capability: str) -> QuerySet[Department]:
    """The departments in which ``user`` has ``capability``."""
    from onthaal.organisation.models import Department

    allowed = CAPABILITIES[capability]
    scoped = [m for m in memberships(user) if m.role in allowed]
    if not scoped:
        return Department.objects.none()
    if any(_everywhere(m, capability) for m in scoped):
        return Department.objects.all()
    scopes = [_scope(m, capability) for m in scoped]
    condition = Q(pk__in=[scope for scope in scopes if scope is not None])
    if any(scope is None for scope in scopes):
        condition |= Q(confidential=False)
    return Department.objects.filter(condition)


def visible_departments(user: Any) -> QuerySet[Department]:
    """Departments whose data ``user`` may see: own departments, and every non-confidential
    department for administration-wide roles."""
    from onthaal.organisation.models import Department

    ms = memberships(user)
    condition = Q(pk__in=[m.department_id for m in ms if m.department_id is not None])
    if any(m.department_id is None for m in ms):
        condition |= Q(confidential=False)
    return Department.objects.filter(condition) if ms else Department.objects.none()


def needs_second_factor(user: Any) -> bool:
    """Must ``user`` log in with a second step (``accounts.services.twofactor``)?"""
    return bool(roles(user) & TWO_FACTOR_ROLES)


def start_page(user: Any) -> str:
    """URL name of the start page for the user's most significant role."""
    user_roles = roles(user)
    for role, url_name in START_PAGES:
        if role in user_roles:
            return url_name
    return "accounts:start"


def role_labels(values: Iterable[str]) -> list[str]:
    return [str(Role(v).label) for v in values]
