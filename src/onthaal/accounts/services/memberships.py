"""Memberships: who holds which role in which department, and the four-eyes rule.

Every grant, change and removal is an audit event that names the member, the department and
the role (and what they were before a change), with ``self`` set when an administrator changes
their own access. A role in a confidential department (the OCMW social service) is never
granted by one person: ``membership_add`` and ``membership_change`` refuse it
(``SecondPersonRequired``); ``membership_request`` asks, and another administrator — not the
one asking, not the member-to-be — approves (``membership_request_decide``). The database
holds that rule too (a check constraint on ``MembershipRequest``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.accounts.models import Membership, MembershipRequest
from onthaal.audit.models import Action
from onthaal.audit.services import record_event, record_refusal
from onthaal.core import clock
from onthaal.core.errors import AccessDenied, Conflict, DomainError
from onthaal.organisation.models import Department


class SecondPersonRequired(DomainError):
    status_code = 409
    default_code = "second_person_required"


def _is_user(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False))


def _require_admin(actor: Any) -> None:
    """Staff actors need ``accounts.change``; the command line (a system actor) may."""
    if _is_user(actor):
        access.require(actor, "accounts.change", object_type="accounts.membership")


def _scope(department: Department | None, role: str) -> dict[str, Any]:
    return {
        "department": department.slug if department else None,
        "role": str(role),
        "confidential": bool(department and department.confidential),
    }


def _details(actor: Any, user: Any, department: Department | None, role: str) -> dict[str, Any]:
    return {
        "user": user.get_username(),
        "user_id": user.pk,
        **_scope(department, role),
        "self": _is_user(actor) and actor.pk == user.pk,
    }


def _refuse_confidential(department: Department | None, role: str) -> None:
    if department is not None and department.confidential:
        raise SecondPersonRequired(
            _(
                "A role in %(department)s, a confidential department, needs a second "
                "administrator: ask for it as a membership request."
            )
            % {"department": department.name},
            fields={"department": [_("Needs the approval of a second administrator.")]},
        )


def membership_add(
    *, actor: Any, user: Any, department: Department | None, role: str
) -> Membership:
    _require_admin(actor)
    _refuse_confidential(department, role)
    with transaction.atomic():
        membership = Membership.objects.create(user=user, department=department, role=role)
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="accounts.membership",
            object_id=membership.pk,
            department=department,
            details=_details(actor, user, department, role),
        )
    return membership


def membership_change(
    *, actor: Any, membership: Membership, department: Department | None, role: str
) -> Membership:
    """Move a membership to another department or role (a grant of the new one)."""
    _require_admin(actor)
    with transaction.atomic():
        current = Membership.objects.select_for_update().get(pk=membership.pk)
        before = _scope(current.department, current.role)
        if current.department_id == (department.pk if department else None) and (
            current.role == role
        ):
            return current
        _refuse_confidential(department, role)
        current.department, current.role = department, role
        current.save(update_fields=["department", "role"])
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="accounts.membership",
            object_id=current.pk,
            department=department,
            details={**_details(actor, current.user, department, role), "before": before},
        )
    return current


def membership_remove(*, actor: Any, membership: Membership) -> None:
    _require_admin(actor)
    with transaction.atomic():
        details = _details(actor, membership.user, membership.department, membership.role)
        pk = membership.pk
        membership.delete()
        record_event(
            action=Action.DELETE,
            actor=actor,
            object_type="accounts.membership",
            object_id=pk,
            department=membership.department,
            details=details,
        )


def membership_request(
    *, actor: Any, user: Any, department: Department, role: str
) -> MembershipRequest:
    """Ask for a role in a confidential department; a second administrator decides."""
    _require_admin(actor)
    if not department.confidential:
        raise DomainError(
            _("%(department)s is not confidential: add the membership directly.")
            % {"department": department.name},
            fields={"department": [_("Not a confidential department.")]},
        )
    if Membership.objects.filter(user=user, department=department, role=role).exists():
        raise Conflict(_("This member already has this role in this department."))
    with transaction.atomic():
        if MembershipRequest.objects.filter(
            user=user, department=department, role=role, status=MembershipRequest.Status.PENDING
        ).exists():
            raise Conflict(_("The same request is already waiting for approval."))
        request = MembershipRequest.objects.create(
            user=user,
            department=department,
            role=role,
            requested_by=actor,
            requested_at=clock.now(),
        )
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="accounts.membershiprequest",
            object_id=request.pk,
            department=department,
            details=_details(actor, user, department, role),
        )
    return request


def membership_request_decide(
    *, actor: Any, request: MembershipRequest, approve: bool
) -> MembershipRequest:
    """Approve (grant the membership) or reject a request: by an administrator who neither
    asked for it nor would receive it."""
    _require_admin(actor)
    if actor.pk in (request.requested_by_id, request.user_id):
        record_refusal(
            actor=actor,
            capability="accounts.change",
            department=request.department,
            object_type="accounts.membershiprequest",
            object_id=request.pk,
            details={"reason": "four_eyes"},
        )
        raise AccessDenied(
            _("A second administrator must decide: not the one who asked, nor the member.")
        )
    with transaction.atomic():
        request = (
            MembershipRequest.objects.select_for_update()
            .select_related("user", "department", "requested_by")
            .get(pk=request.pk)
        )
        if request.status != MembershipRequest.Status.PENDING:
            raise Conflict(_("This request has already been decided."))
        request.status = (
            MembershipRequest.Status.APPROVED if approve else MembershipRequest.Status.REJECTED
        )
        request.decided_by, request.decided_at = actor, clock.now()
        request.save(update_fields=["status", "decided_by", "decided_at"])
        details = {
            **_details(actor, request.user, request.department, request.role),
            "requested_by": request.requested_by.get_username(),
            "decided_by": actor.get_username(),
            "status": request.status,
        }
        record_event(
            action=Action.UPDATE,
            actor=actor,
            object_type="accounts.membershiprequest",
            object_id=request.pk,
            department=request.department,
            details=details,
        )
        if approve:
            membership, _created = Membership.objects.get_or_create(
                user=request.user, department=request.department, role=request.role
            )
            record_event(
                action=Action.CREATE,
                actor=actor,
                object_type="accounts.membership",
                object_id=membership.pk,
                department=request.department,
                details={**details, "request": request.pk},
            )
    return request
