"""The mail pages: intake (the mail clerk's screen), inboxes, an item, search and export, and
a document's bytes. Views are thin: a form, one service or selector call, a page. Every read
goes through the selectors (an audit event); every refusal is recorded."""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from onthaal.accounts import access
from onthaal.core import clock
from onthaal.core.errors import AccessDenied, DomainError
from onthaal.eloket import selectors as eloket_selectors
from onthaal.mail import (
    archive,
    documents,
    email_intake,
    letters,
    retention,
    rules,
    selectors,
    services,
)
from onthaal.mail.api import file_response
from onthaal.mail.forms import (
    AnswerForm,
    AssignForm,
    BulkAssignForm,
    GrantForm,
    IntakeForm,
    RetentionProposeForm,
    SearchForm,
)
from onthaal.mail.models import DestructionList, Direction, FinalAction, MailItem, Status
from onthaal.mail.services import Upload

PAGE = 25


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _uploads(files: list[Any]) -> list[Upload]:
    limit = documents.max_bytes()
    found = []
    for upload in files:
        if upload.size > limit:
            message = _("%(file)s: the file is %(size)d MB; at most %(max)d MB is accepted.") % {
                "file": upload.name,
                "size": upload.size // (1024 * 1024),
                "max": limit // (1024 * 1024),
            }
            raise DomainError(message, fields={"files": [message]})
        found.append(Upload(upload.name or "", upload.read()))
    return found


def _text_of(uploads: list[Upload]) -> str:
    """The text layer of born-digital PDFs among ``uploads`` (for rule suggestions)."""
    text = []
    for upload in uploads[:3]:
        if documents.sniff(upload.data) == "application/pdf":
            try:
                text.append(documents.pdf_text(upload.data)[: rules.MAX_TEXT])
            except Exception:  # noqa: S112 - a damaged PDF suggests nothing; intake checks it
                continue
    return "\n".join(text)


def _apply_suggestion(form: IntakeForm, uploads: list[Upload]) -> rules.Suggestion | None:
    data = form.cleaned_data
    suggestion = rules.suggest(
        sender=f"{data.get('correspondent') or ''} {data.get('correspondent_email') or ''}",
        text=f"{data.get('subject') or ''}\n{_text_of(uploads)}",
    )
    if suggestion is not None:
        data["department"] = data.get("department") or suggestion.department
        data["document_type"] = data.get("document_type") or suggestion.document_type
        data["handler"] = data.get("handler") or suggestion.handler
    return suggestion


@login_required
def intake(request: HttpRequest) -> HttpResponse:
    """The mail clerk's screen: drop scans, check the suggested fields, register."""
    access.require(request.user, "mail.register", object_type=services.OBJECT_TYPE)
    form = IntakeForm(request.POST or None, request.FILES or None, initial=_intake_initial())
    suggestion = None
    if request.method == "POST" and form.is_valid():
        try:
            uploads = _uploads(form.cleaned_data["scans"])
            suggestion = _apply_suggestion(form, uploads)
            if "suggest" in request.POST:
                return _intake_page(request, form, suggestion)
            registered = _register_intake(request, form, uploads)
        except DomainError as error:
            if _wants_json(request):
                return JsonResponse(
                    {"code": error.code, "message": error.message, "fields": error.fields},
                    status=error.status_code,
                )
            for field, problems in (error.fields or {"__all__": [error.message]}).items():
                for problem in problems:
                    form.add_error(_form_field(form, field), problem)
            return _intake_page(request, form, suggestion, status=400)
        if _wants_json(request):
            return JsonResponse(
                {"items": [_registered(i, request) for i in registered]}, status=201
            )
        messages.success(
            request,
            ngettext(
                "Registered: %(numbers)s.",
                "Registered %(count)d items: %(numbers)s.",
                len(registered),
            )
            % {
                "count": len(registered),
                "numbers": ", ".join(i.register_number for i in registered),
            },
        )
        return redirect("mail:intake")
    if request.method == "POST" and _wants_json(request):
        return JsonResponse(
            {"code": "invalid", "message": _("The form has errors."), "fields": form.errors},
            status=400,
        )
    return _intake_page(request, form, suggestion, status=400 if form.errors else 200)


def _form_field(form: Any, field: str) -> str | None:
    """The form's field for a service's field name (``files`` is the form's upload field)."""
    renamed = {"files": "scans" if "scans" in form.fields else "attachments"}.get(field, field)
    return renamed if renamed in form.fields else None


def _intake_initial() -> dict[str, Any]:
    return {"received_on": clock.today(), "channel": "post"}


def _registered(item: MailItem, request: HttpRequest) -> dict[str, Any]:
    readable = selectors.visible_items(request.user).filter(pk=item.pk).exists()
    return {
        "register_number": item.register_number,
        "department": item.department.name,
        "handler": item.handler.get_username() if item.handler else None,
        "url": item.get_absolute_url() if readable else None,
    }


def _is_email(upload: Upload) -> bool:
    return documents.sniff(upload.data) == "message/rfc822"


def _register_intake(
    request: HttpRequest, form: IntakeForm, uploads: list[Upload]
) -> list[MailItem]:
    """Register what was dropped: each file an item (or all of them one item); an e-mail
    (.eml) always an item of its own, its body and attachments its documents."""
    data = form.cleaned_data
    emails = [u for u in uploads if _is_email(u)]
    others = [u for u in uploads if not _is_email(u)]
    errors = {}
    if others or not emails:
        if data.get("department") is None:
            errors["department"] = [_("Choose the department (no rule suggested one).")]
        if data.get("document_type") is None:
            errors["document_type"] = [_("Choose the document type (no rule suggested one).")]
    if not uploads and not (data.get("subject") or "").strip():
        errors["scans"] = [_("Add a scan or file, or at least a subject.")]
    if errors:
        raise DomainError(_("The form has errors."), fields=errors)
    correspondent = None
    if data.get("correspondent"):
        correspondent = services.find_or_create_correspondent(
            actor=request.user,
            name=data["correspondent"],
            email=data.get("correspondent_email") or "",
        )
    groups = [others] if data.get("one_item") or len(others) <= 1 else [[u] for u in others]
    if not others and emails:
        groups = []
    key = request.headers.get("Idempotency-Key", "")[:64] or None
    registered = []
    for n, files in enumerate(groups):
        registered.append(
            services.register_item(
                actor=request.user,
                direction=Direction.IN,
                department=data["department"],
                document_type=data["document_type"],
                channel=data["channel"],
                subject=data.get("subject") or (files[0].filename if files else ""),
                correspondent=correspondent,
                received_on=data.get("received_on"),
                handler=data.get("handler"),
                note=data.get("note") or "",
                files=files,
                idempotency_key=f"{key}-{n}" if key else None,
            )
        )
    for upload in emails:
        registered.append(
            email_intake.register_message(
                actor=request.user,
                data=upload.data,
                filename=upload.filename,
                department=data.get("department"),
                document_type=data.get("document_type"),
                handler=data.get("handler"),
                note=data.get("note") or "",
            )
        )
    return registered


def _intake_page(
    request: HttpRequest, form: IntakeForm, suggestion: Any, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "mail/intake.html",
        {
            "form": form,
            "suggestion": suggestion,
            "max_mb": documents.max_bytes() // (1024 * 1024),
            "ocr": documents.ocr_available(),
        },
        status=status,
    )


def _filters(form: SearchForm, **extra: Any) -> selectors.Filters:
    data = form.cleaned_data if form.is_valid() else {}
    document_type = data.get("document_type")
    return selectors.Filters(
        query=data.get("q") or "",
        direction=data.get("direction") or "",
        department=data.get("department"),
        status=data.get("status") or "",
        document_type_id=document_type.pk if document_type else None,
        start=data.get("start"),
        end=data.get("end"),
        **extra,
    )


def _require_reader(request: HttpRequest) -> None:
    """The inbox and search are for mail readers and for colleagues granted an item: anyone
    else is refused (and audited), rather than shown an empty list."""
    if access.can(request.user, "mail.view") or selectors.has_active_grant(request.user):
        return
    access.require(request.user, "mail.view", object_type=services.OBJECT_TYPE)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Open items per department and handler, overdue first; "mine" for a handler."""
    _require_reader(request)
    mine = request.GET.get("mine") == "1"
    form = SearchForm(request.GET or None)
    filters = _filters(form, open_only=True, handler_id=request.user.pk if mine else None)
    number = (form.cleaned_data.get("page") or 1) if form.is_valid() else 1
    page = selectors.search_items(
        request.user, filters, offset=(number - 1) * PAGE, limit=PAGE, order="due", what="inbox"
    )
    counts = selectors.inbox_counts(request.user)
    if mine:  # one's own rows, not the colleagues'
        counts = [row for row in counts if row["handler_id"] == request.user.pk]
    return render(
        request,
        "mail/inbox.html",
        {
            "form": form,
            "page": page,
            "counts": counts,
            "mine": mine,
            "today": clock.today(),
            "bulk": BulkAssignForm(),
            "can_assign": access.can(request.user, "mail.assign"),
            **_paging(request, page, number),
        },
    )


def _paging(request: HttpRequest, page: selectors.Page, number: int) -> dict[str, Any]:
    query = request.GET.copy()
    query.pop("page", None)
    last = max(1, (page.total + PAGE - 1) // PAGE)
    return {
        "page_number": number,
        "last_page": last,
        "query_string": query.urlencode(),
        "previous_page": number - 1 if number > 1 else None,
        "next_page": number + 1 if number < last else None,
    }


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    form = SearchForm(request.GET or None)
    page = None
    paging: dict[str, Any] = {}
    if request.GET:
        number = (form.cleaned_data.get("page") or 1) if form.is_valid() else 1
        page = selectors.search_items(
            request.user, _filters(form), offset=(number - 1) * PAGE, limit=PAGE, what="search"
        )
        paging = _paging(request, page, number)
    return render(
        request,
        "mail/search.html",
        {
            "form": form,
            "page": page,
            "today": clock.today(),
            "can_export": access.can(request.user, "mail.export"),
            **paging,
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The register lines matching the search, as CSV (an ``export`` event naming them)."""
    form = SearchForm(request.GET or None)
    items = selectors.export_items(request.user, _filters(form))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("register number"),
            _("direction"),
            _("registered at"),
            _("department"),
            _("document type"),
            _("subject"),
            _("status"),
            _("answer due"),
        ]
    )
    for item in items:
        writer.writerow(
            [
                item.register_number,
                item.get_direction_display(),
                item.registered_at.astimezone(clock.BRUSSELS).strftime("%Y-%m-%d %H:%M"),
                item.department.name,
                item.document_type.name,
                _csv_safe(item.subject),
                item.get_status_display(),
                item.due_date.isoformat() if item.due_date else "",
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="postregister.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


@login_required
def item(request: HttpRequest, public_id: str) -> HttpResponse:
    found = selectors.get_item(request.user, public_id)
    return _item_page(request, found)


def _item_page(
    request: HttpRequest, found: MailItem, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    own = found.handler_id == user.pk
    lead = access.can(user, "mail.assign", found.department)
    # Handling (answer, grant access) is for the handler and the department's team lead; the
    # mail clerk routes, and closes what was registered but needs no handling.
    handle = (
        access.can(user, "mail.handle", found.department)
        and (own or lead)
        and found.destroyed_at is None  # nothing left to handle or to share
    )
    context = {
        "item": found,
        "documents": list(found.documents.filter(destroyed_at__isnull=True).order_by("position")),
        "answers": found.answers,
        "answered_by": list(found.answered_by.order_by("pk")),
        "grants": list(selectors.grants_of(found)) if handle else [],
        "can_route": lead or own,
        "can_handle": handle,
        "can_close": handle or (lead and found.status == Status.REGISTERED),
        "can_answer": handle
        and found.direction == Direction.IN
        and found.status in (Status.ASSIGNED, Status.IN_PROGRESS),
        "letters": letters.available(),
        "today": clock.today(),
        "assign_form": forms.get("assign_form") or AssignForm(department=found.department),
        "answer_form": forms.get("answer_form")
        or AnswerForm(
            initial={
                "subject": _("Re: %(subject)s") % {"subject": found.subject},
                "email_to": found.correspondent.email if found.correspondent else "",
            }
        ),
        "grant_form": forms.get("grant_form") or GrantForm(),
        "messages_out": list(found.messages.order_by("-created_at")[:10]),
        "eloket_request": eloket_selectors.request_of_mail_item(user, found),
    }
    return render(request, "mail/item.html", context, status=status)


def _changed(request: HttpRequest, public_id: str, what: str) -> MailItem:
    return selectors.item_for_change(request.user, public_id, what=what)


@login_required
@require_POST
def assign(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _changed(request, public_id, "assign")
    form = AssignForm(request.POST, department=found.department)
    if not form.is_valid():
        return _item_page(request, found, status=400, assign_form=form)
    try:
        services.assign_item(
            actor=request.user,
            item=found,
            handler=form.cleaned_data["handler"],
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return _item_page(request, found, status=error.status_code, assign_form=form)
    messages.success(request, _("Assigned."))
    return redirect(found.get_absolute_url())


@login_required
@require_POST
def transition(request: HttpRequest, public_id: str, action: str) -> HttpResponse:
    found = _changed(request, public_id, action)
    try:
        if action == "start":
            services.start_item(actor=request.user, item=found)
        else:
            services.close_item(
                actor=request.user, item=found, reason=request.POST.get("reason", "")
            )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(found.get_absolute_url())


@login_required
@require_POST
def answer(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _changed(request, public_id, "answer")
    form = AnswerForm(request.POST, request.FILES)
    if not form.is_valid():
        return _item_page(request, found, status=400, answer_form=form)
    data = form.cleaned_data
    try:
        reply = services.answer_item(
            actor=request.user,
            item=found,
            kind=data["kind"],
            subject=data["subject"],
            body=data["body"],
            files=_uploads(data["attachments"]),
            email_to=data["email_to"],
        )
    except DomainError as error:
        for field, problems in (error.fields or {"__all__": [error.message]}).items():
            for problem in problems:
                form.add_error(_form_field(form, field), problem)
        return _item_page(request, found, status=error.status_code, answer_form=form)
    messages.success(request, _("Answered with %(number)s.") % {"number": reply.register_number})
    return redirect(reply.get_absolute_url())


@login_required
@require_POST
def grant(request: HttpRequest, public_id: str) -> HttpResponse:
    found = _changed(request, public_id, "grant")
    form = GrantForm(request.POST)
    if not form.is_valid():
        return _item_page(request, found, status=400, grant_form=form)
    try:
        services.grant_access(
            actor=request.user,
            item=found,
            grantee=form.cleaned_data["grantee"],
            reason=form.cleaned_data["reason"],
            days=form.cleaned_data["days"],
        )
    except DomainError as error:
        form.add_error(None, error.message)
        return _item_page(request, found, status=error.status_code, grant_form=form)
    messages.success(request, _("Access granted."))
    return redirect(found.get_absolute_url())


@login_required
@require_POST
def bulk_assign(request: HttpRequest) -> HttpResponse:
    form = BulkAssignForm(request.POST)
    ids = request.POST.getlist("items")[: selectors.MAX_PAGE]
    if not form.is_valid() or not ids:
        messages.error(request, _("Choose the items and the handler."))
        return redirect("mail:inbox")
    found = [selectors.item_for_change(request.user, pk, what="bulk_assign") for pk in ids]
    try:
        count = services.bulk_assign(
            actor=request.user,
            items=found,
            handler=form.cleaned_data["handler"],
            note=form.cleaned_data["note"],
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("mail:inbox")
    messages.success(
        request,
        ngettext("%(count)d item assigned.", "%(count)d items assigned.", count) % {"count": count},
    )
    return redirect("mail:inbox")


def _document(request: HttpRequest, public_id: str, n: int, kind: str) -> HttpResponse:
    _found, document, data = selectors.read_document(request.user, public_id, n, kind=kind)
    return file_response(document, data, attachment=kind == "original", kind=kind)


@login_required
def download(request: HttpRequest, public_id: str, n: int) -> HttpResponse:
    return _document(request, public_id, n, "original")


@login_required
def preview(request: HttpRequest, public_id: str, n: int) -> HttpResponse:
    return _document(request, public_id, n, "rendition")


@login_required
def thumbnail(request: HttpRequest, public_id: str, n: int) -> HttpResponse:
    return _document(request, public_id, n, "thumbnail")


# --- retention ---------------------------------------------------------------------------


@login_required
def retention_lists(request: HttpRequest) -> HttpResponse:
    """The destruction lists, and the form to draw up this year's."""
    found = retention.lists(request.user)
    return render(
        request,
        "mail/retention.html",
        {"lists": found, "form": RetentionProposeForm(), "section": "retention"},
    )


@login_required
@require_POST
def retention_propose(request: HttpRequest) -> HttpResponse:
    form = RetentionProposeForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("mail:retention")
    try:
        proposal = retention.propose_list(
            actor=request.user,
            organisation=form.cleaned_data["organisation"],
            year=form.cleaned_data["year"],
        )
    except DomainError as error:
        if error.status_code == 403:
            raise
        messages.error(request, error.message)
        return redirect("mail:retention")
    messages.success(
        request,
        _(
            "The destruction list of %(organisation)s for %(year)d is proposed; a second "
            "person must approve it."
        )
        % {"organisation": proposal.organisation, "year": proposal.year},
    )
    return redirect(proposal.get_absolute_url())


@login_required
def retention_list(request: HttpRequest, pk: str) -> HttpResponse:
    found, lines = retention.get_list(request.user, pk)
    return render(
        request,
        "mail/retention_list.html",
        {
            "list": found,
            "lines": lines,
            "own": found.proposed_by_id == request.user.pk,
            "transfers": any(
                line.action == FinalAction.TRANSFER and not line.withdrawn for line in lines
            ),
            "section": "retention",
        },
    )


@login_required
@require_POST
def retention_take_off(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one item off a proposed list, with a reason."""
    destruction_list = DestructionList.objects.filter(pk=pk).first()
    if destruction_list is None:
        raise retention.not_found(request.user, pk, "take_off")
    try:
        line = retention.take_off(
            actor=request.user,
            destruction_list=destruction_list,
            item_id=request.POST.get("item", ""),
            reason=request.POST.get("reason", ""),
        )
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("%(number)s is taken off the list.") % {"number": line.item.register_number},
        )
    return redirect(destruction_list.get_absolute_url())


@login_required
def retention_archive(request: HttpRequest, pk: str) -> HttpResponseBase:
    """The archive package (ZIP) of the items an approved list transfers: one ``export``
    event naming them (``mail/archive.py``)."""
    target = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
    try:
        package = archive.write_package(actor=request.user, list_pk=pk, target=target)
    except AccessDenied:
        target.close()
        raise
    except DomainError as error:
        target.close()
        if error.status_code == 404:
            raise
        messages.error(request, error.message)
        return redirect("mail:retention-list", pk=pk)
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=f"{package.name}.zip", content_type="application/zip"
    )


@login_required
@require_POST
def retention_decide(request: HttpRequest, pk: int, decision: str) -> HttpResponse:
    destruction_list = DestructionList.objects.filter(pk=pk).first()
    if destruction_list is None:
        raise retention.not_found(request.user, pk, decision)
    try:
        if decision == "approve":
            retention.approve_list(actor=request.user, destruction_list=destruction_list)
            messages.success(request, _("Approved: the list is carried out within a minute."))
        else:
            retention.reject_list(
                actor=request.user,
                destruction_list=destruction_list,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Rejected."))
    except AccessDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(destruction_list.get_absolute_url())
