"""Which section of the manual a staff page's help link opens: the page's URL name mapped to
the tasks about it, one per role. The link opens the task of the first role the user holds
(a team lead on the desk page reads the desk staff's task), else the first listed."""

from __future__ import annotations

from collections.abc import Iterable

# URL name -> ((role, task id), ...); a task id "" opens the role's manual at its top.
SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "accounts:start": (
        ("receptionist", ""),
        ("desk_agent", ""),
        ("social_worker", ""),
        ("team_lead", ""),
        ("mail_clerk", ""),
        ("manager", ""),
        ("auditor", ""),
        ("admin", ""),
    ),
    "accounts:enrol": (("admin", "two-step"), ("team_lead", "two-step")),
    "queue:reception": (("receptionist", "reception-ticket"),),
    "queue:desk-choose": (("desk_agent", "desk-open"), ("social_worker", "social-handoff")),
    "queue:desk": (("desk_agent", "desk-serve"), ("social_worker", "social-handoff")),
    "queue:lead": (("team_lead", "lead-view"),),
    "appointments:agenda": (("desk_agent", "desk-agenda"), ("team_lead", "lead-view")),
    "appointments:staff-appointment": (("desk_agent", "desk-agenda"),),
    "mail:intake": (("mail_clerk", "mail-register"),),
    "mail:inbox": (("mail_clerk", "mail-route"),),
    "mail:item": (("mail_clerk", "mail-route"),),
    "mail:search": (("mail_clerk", "mail-route"),),
    "eloket:staff-list": (("desk_agent", "eloket-list"),),
    "eloket:staff-request": (("desk_agent", "eloket-list"),),
    "staffing:board": (("team_lead", "planning-board"),),
    "staffing:mine": (("desk_agent", "planning-mine"), ("team_lead", "planning-board")),
    "reporting:dashboard": (("manager", "manager-figures"), ("team_lead", "lead-figures")),
    "reporting:what-if": (("manager", "manager-what-if"),),
    "audit:search": (("auditor", "audit-search"),),
}


def section_for(url_name: str, roles: Iterable[str]) -> tuple[str, str] | None:
    """(role, task id) of the help for the page ``url_name`` and a user holding ``roles``."""
    options = SECTIONS.get(url_name)
    if not options:
        return None
    held = set(roles)
    return next((option for option in options if option[0] in held), options[0])
