"""The staff's e-loket: the work list per department (overdue first, filters, assign), a
request's page (every read an audit event), transitions with message templates, the produced
document, and the bank statement import with the payments to resolve."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from onthaal.accounts import access
from onthaal.core import params
from onthaal.core.errors import DomainError, NotFound
from onthaal.eloket import ogm, selectors, services
from onthaal.eloket.models import TRANSITIONS, Payment, RequestFile, Status
from onthaal.mail import documents
from onthaal.mail import selectors as mail_selectors
from onthaal.mail.api import file_response

# Message templates per target status: the staff member starts from one and adapts it.
TEMPLATES: dict[str, Any] = {
    Status.IN_PROGRESS: gettext_lazy("We have started handling your request."),
    Status.WAITING: gettext_lazy(
        "To handle your request we still need the following. Upload it on the page of your request:"
    ),
    Status.READY: gettext_lazy("Your request is ready."),
    Status.CLOSED: gettext_lazy("Your request is closed. Thank you."),
    Status.REJECTED: gettext_lazy("We cannot grant your request, for this reason:"),
}


@login_required
def work_list(request: HttpRequest) -> HttpResponse:
    access.require(request.user, "eloket.view", object_type=services.OBJECT_TYPE)
    status = request.GET.get("status", "")
    department = params.pk(request.GET, "department")
    mine = request.GET.get("mine") == "1"
    found = selectors.work_list(
        request.user,
        status=status if status in Status.values else "",
        department=department,
        mine=mine,
    )
    return render(
        request,
        "eloket/staff_list.html",
        {
            "requests": found,
            "statuses": Status.choices,
            "status": status,
            "departments": access.departments_with(request.user, "eloket.view"),
            "department": department,
            "mine": mine,
            "payments": access.can(request.user, "eloket.payments"),
        },
    )


def _detail(request: HttpRequest, found: Any, status: int = 200, **extra: Any) -> HttpResponse:
    handle = access.can(request.user, "eloket.handle", found.department)
    colleagues = (
        get_user_model()
        .objects.filter(
            memberships__department=found.department,
            memberships__role__in=access.CAPABILITIES["eloket.handle"],
            is_active=True,
        )
        .distinct()
        .order_by("username")
        if handle
        else []
    )
    context = {
        "filed": found,
        "fields": list(found.form_version.fields.order_by("position")),
        "answers": found.answers or {},
        "messages_": list(found.messages.order_by("created_at", "pk")),
        "files": list(found.files.select_related("document").order_by("pk")),
        "payments": list(found.payments.order_by("pk")),
        "communication": ogm.display(found.communication),
        "can_handle": handle,
        "next_statuses": [
            (s, Status(s).label, TEMPLATES.get(s, "")) for s in TRANSITIONS[found.status]
        ],
        "colleagues": colleagues,
        "paid_statuses": [str(s) for s in services.PAID_STATUSES],
        **_mail_links(request.user, found),
        "errors": {},
        **extra,
    }
    return render(request, "eloket/staff_request.html", context, status=status)


def _mail_links(user: Any, found: Any) -> dict[str, str]:
    """Links to the request's mail items (the incoming item it was registered as, the
    document produced for it) where ``user`` may read them in the register."""
    wanted = {"mail_item_url": found.mail_item_id, "document_item_url": found.document_item_id}
    readable = dict(
        mail_selectors.visible_items(user)
        .filter(pk__in=[pk for pk in wanted.values() if pk])
        .values_list("pk", "public_id")
    )
    return {
        name: reverse("mail:item", args=[readable[pk]])
        for name, pk in wanted.items()
        if pk in readable
    }


@login_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    found = selectors.get_request(request.user, reference)
    return _detail(request, found)


@login_required
@require_POST
def transition(request: HttpRequest, reference: str) -> HttpResponse:
    found = selectors.get_request(request.user, reference, what="transition")
    try:
        services.transition(
            actor=request.user,
            request=found,
            to=request.POST.get("to", "")[:30],
            message=request.POST.get("message", "")[:6000],
            override_reason=request.POST.get("override_reason", "")[:400],
        )
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        if not error.fields:
            messages.error(request, error.message)
        return _detail(
            request,
            found,
            status=error.status_code,
            errors={k: [str(m) for m in v] for k, v in error.fields.items()},
        )
    messages.success(request, _("The request was updated and the citizen informed."))
    return redirect("eloket:staff-request", found.reference)


@login_required
@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    found = selectors.get_request(request.user, reference, what="assign")
    pk = params.pk(request.POST, "assignee")
    assignee = get_user_model().objects.filter(pk=pk, is_active=True).first() if pk else None
    try:
        services.assign(actor=request.user, request=found, assignee=assignee)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.message)
        return redirect("eloket:staff-request", found.reference)
    messages.success(request, _("The request was assigned."))
    return redirect("eloket:staff-request", found.reference)


@login_required
@require_POST
def produce(request: HttpRequest, reference: str) -> HttpResponse:
    found = selectors.get_request(request.user, reference, what="produce")
    try:
        services.produce_document(actor=request.user, request=found)
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        messages.error(request, error.message)
        return redirect("eloket:staff-request", found.reference)
    messages.success(request, _("The document was made."))
    return redirect("eloket:staff-request", found.reference)


@login_required
def file_download(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    found = selectors.get_request(request.user, reference, what=f"file {pk}")
    attached = RequestFile.objects.select_related("document").filter(request=found, pk=pk).first()
    document = attached.document if attached is not None else None
    if document is None and found.document_item is not None and pk == 0:
        document = found.document_item.documents.order_by("position").first()
    if document is None:
        raise NotFound(_("No such file."))
    return file_response(document, documents.get(document.sha256), attachment=True)


@login_required
def payments(request: HttpRequest) -> HttpResponse:
    """Import a CAMT.053 statement, and resolve the partial, double and unknown payments."""
    errors: dict[str, list[str]] = {}
    result = None
    status = 200
    if request.method == "POST" and request.POST.get("action") == "resolve":
        payment_pk = params.pk(request.POST, "payment")
        payment = Payment.objects.filter(pk=payment_pk).first() if payment_pk else None
        if payment is None:
            raise NotFound(_("No such payment."))
        try:
            services.resolve_payment(
                actor=request.user, payment=payment, note=request.POST.get("note", "")[:300]
            )
            messages.success(request, _("The payment is marked as resolved."))
            return redirect("eloket:staff-payments")
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            errors = {k: [str(m) for m in v] for k, v in error.fields.items()}
            status = error.status_code
            if not errors:
                messages.error(request, error.message)
    elif request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                message = _("Choose the bank statement file (CAMT.053, XML).")
                raise DomainError(message, fields={"file": [message]})
            data = upload.read(20 * 1024 * 1024 + 1)
            result = services.import_statement(
                actor=request.user, filename=upload.name or "statement.xml", data=data
            )
            messages.success(
                request,
                _("Statement imported: %(n)d payments, %(skipped)d already known or not in euro.")
                % {"n": len(result.payments), "skipped": result.skipped},
            )
        except DomainError as error:
            if isinstance(error, NotFound):
                raise
            errors = {k: [str(m) for m in v] for k, v in error.fields.items()}
            status = error.status_code
            if not errors:
                messages.error(request, error.message)
    pending = selectors.payments_to_resolve(request.user)
    return render(
        request,
        "eloket/staff_payments.html",
        {"errors": errors, "result": result, "pending": pending},
        status=status,
    )
