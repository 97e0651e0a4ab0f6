"""The staff shell: the header every staff page carries (who is signed in, as what, where) and
the navigation to exactly the pages their roles open.

Each entry names the capability its page requires (``accounts.access``), so the menu and the
pages cannot disagree: a test opens every entry as every demo role and expects 200 where the
menu shows it and 403 where it does not. Pages of one location (reception, agenda, team lead)
get one link per location.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from onthaal.accounts import access
from onthaal.accounts.admin_site import ADMIN_CAPABILITIES
from onthaal.accounts.models import Role


@dataclass(frozen=True)
class Entry:
    key: str
    label: Any
    url_name: str
    capabilities: tuple[str, ...]  # any of them opens the page
    per_location: bool = False
    # Per location: only the locations with a department where the user holds the capability
    # (a page that refuses the other locations must not offer them).
    own_locations: bool = False
    # Also opens the page without the capability (e.g. a colleague granted a mail item).
    also: Callable[[Any], bool] | None = None


def _granted_mail(user: Any) -> bool:
    from onthaal.mail.selectors import has_active_grant

    return has_active_grant(user)


ENTRIES: tuple[Entry, ...] = (
    Entry("start", _("Start page"), "accounts:start", ("staff.start",)),
    Entry("desk", _("Desk"), "queue:desk-choose", ("queue.serve",)),
    Entry("reception", _("Reception"), "queue:reception", ("queue.issue",), per_location=True),
    Entry("agenda", _("Agenda"), "appointments:agenda", ("appointments.view",), True),
    Entry("messages", _("Messages"), "appointments:outbox", ("appointments.view",)),
    Entry("lead", _("Queues and desks"), "queue:lead", ("queue.lead",), per_location=True),
    Entry("mail-intake", _("Mail intake"), "mail:intake", ("mail.register",)),
    Entry("mail", _("Mail"), "mail:inbox", ("mail.view",), also=_granted_mail),
    Entry("eloket", _("E-loket"), "eloket:staff-list", ("eloket.view",)),
    Entry("reports", _("Figures"), "reporting:dashboard", ("reporting.view",)),
    Entry(
        "planning",
        _("Staff planning"),
        "staffing:board",
        ("staffing.plan",),
        per_location=True,
        own_locations=True,
    ),
    Entry("my-week", _("My week"), "staffing:mine", ("staffing.own",)),
    Entry("audit", _("Audit log"), "audit:search", ("audit.view",)),
    Entry("admin", _("Administration"), "admin:index", ADMIN_CAPABILITIES),
)


@dataclass
class Link:
    key: str
    label: Any
    url: str = ""
    children: list[tuple[str, str]] = field(default_factory=list)  # (location name, url)
    current: bool = False


def allowed(user: Any, entry: Entry) -> bool:
    if any(access.can(user, capability) for capability in entry.capabilities):
        return True
    return entry.also is not None and entry.also(user)


def navigation(user: Any, path: str = "") -> list[Link]:
    """The menu of ``user``: the entries their roles open, the page at ``path`` marked."""
    from onthaal.organisation.models import Department, Location

    locations: list[Location] | None = None
    links = []
    for entry in ENTRIES:
        if not allowed(user, entry):
            continue
        link = Link(entry.key, entry.label)
        if entry.per_location:
            if locations is None:
                locations = list(Location.objects.order_by("name"))
            offered = locations
            if entry.own_locations:
                departments = Department.objects.none()
                for capability in entry.capabilities:
                    departments |= access.departments_with(user, capability)
                mine = set(
                    Location.objects.filter(departments__in=departments).values_list(
                        "pk", flat=True
                    )
                )
                offered = [location for location in locations if location.pk in mine]
            link.children = [
                (location.name, reverse(entry.url_name, args=[location.slug]))
                for location in offered
            ]
            if len(link.children) == 1:
                link.url, link.children = link.children[0][1], []
            link.current = any(path.startswith(url) for _name, url in link.children)
        else:
            link.url = reverse(entry.url_name)
        if link.url:
            # The start page's URL is the prefix of every staff page: only an exact match.
            link.current = path == link.url if entry.key == "start" else path.startswith(link.url)
        links.append(link)
    return links


def describe(user: Any) -> list[str]:
    """The user's roles with their departments, as the header shows them."""
    return [
        f"{membership.get_role_display()} — {membership.department or _('all departments')}"
        for membership in access.memberships(user)
    ]


def is_staff_page(request: HttpRequest) -> bool:
    return request.path.startswith("/staff/") and request.user.is_authenticated


def staff_shell(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``shell`` on a signed-in staff page, nothing for citizens."""
    if not is_staff_page(request):
        return {}
    user: Any = request.user
    return {
        "shell": {
            "name": user.get_full_name() or user.get_username(),
            "roles": describe(user),
            "navigation": navigation(user, request.path),
            # The API documentation is for who sets up integrations (API tokens are issued
            # in the admin): administrators. A receptionist or an auditor has no use for it.
            "api_docs": Role.ADMIN in access.roles(user),
        }
    }


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> Any:
    """The 403 page (``handler403``): what is missing and whom to ask, in the staff shell.

    The refusal itself was audited where it was decided (``access.require``)."""
    from django.shortcuts import render

    from onthaal.accounts.models import Membership, Role

    user = request.user
    reason = str(exception) if exception else ""
    ask: list[str] = []
    if user.is_authenticated:
        departments = [m.department_id for m in access.memberships(user) if m.department_id]
        people = (
            Membership.objects.filter(role=Role.TEAM_LEAD, department_id__in=departments)
            | Membership.objects.filter(role=Role.ADMIN)
        ).select_related("user", "department")
        seen = set()
        for membership in people.order_by("role", "user__last_name"):
            if membership.user_id in seen or membership.user_id == user.pk:
                continue
            seen.add(membership.user_id)
            person = membership.user
            who = person.get_full_name() or person.get_username()
            ask.append(f"{who} ({membership.get_role_display()})")
    context = {
        # A refusal with a reason of its own says it; the generic one repeats the heading.
        "reason": reason if reason and reason != gettext("You do not have access to this.") else "",
        "roles": describe(user) if user.is_authenticated else [],
        "ask": ask,
    }
    return render(request, "403.html", context, status=403)
