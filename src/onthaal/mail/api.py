"""The mail register in the API (``/api/v1/mail/``): register (multipart), list and search,
detail, a document's bytes, assign, answer. Staff session or token.

Ids are UUIDs (``id``), never the database key; the register number is shown, not used to
look items up. Every read is an audit event (the selectors write it); an item the caller may
not see answers 404 like one that does not exist. Field names follow RGBZ/ZGW where they fit:
``ontvangstdatum``, ``verzenddatum``, ``vertrouwelijkheidaanduiding``,
``informatieobjecttype``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onthaal.api.errors import ErrorSerializer
from onthaal.api.parsers import JSONParser
from onthaal.core.errors import DomainError, NotFound
from onthaal.mail import documents, selectors, services
from onthaal.mail.models import Channel, Direction, DocumentType, MailItem, Status
from onthaal.mail.services import Upload
from onthaal.organisation.models import Department


class CorrespondentSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    kind = serializers.CharField()


class DocumentSerializer(serializers.Serializer[Any]):
    n = serializers.IntegerField(help_text="The document's number within the item.")
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    pages = serializers.IntegerField(allow_null=True)
    text_status = serializers.CharField()
    url = serializers.CharField()


class ItemRefSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    register_number = serializers.CharField()


class MailItemSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    register_number = serializers.CharField()
    direction = serializers.ChoiceField(choices=Direction.choices)
    channel = serializers.ChoiceField(choices=Channel.choices)
    ontvangstdatum = serializers.DateField(allow_null=True)
    verzenddatum = serializers.DateField(allow_null=True)
    subject = serializers.CharField()
    correspondent = CorrespondentSerializer(allow_null=True)
    informatieobjecttype = serializers.CharField()
    vertrouwelijkheidaanduiding = serializers.CharField()
    department = serializers.IntegerField()
    department_name = serializers.CharField()
    handler = serializers.CharField(allow_null=True, help_text="The handler's user name.")
    due_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices)
    registered_at = serializers.DateTimeField()
    answers = ItemRefSerializer(allow_null=True)


class MailItemDetailSerializer(MailItemSerializer):
    answered_by = ItemRefSerializer(many=True)
    documents = DocumentSerializer(many=True)


class MailPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="The number of hits, counted up to 1,000.")
    more = serializers.BooleanField(
        help_text="More items match than ``count``: the results are then the newest first, "
        "not ranked by relevance."
    )
    offset = serializers.IntegerField()
    limit = serializers.IntegerField()
    results = MailItemSerializer(many=True)


def _ref(item: MailItem | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {"id": item.public_id, "register_number": item.register_number}


def item_data(item: MailItem) -> dict[str, Any]:
    return {
        "id": item.public_id,
        "register_number": item.register_number,
        "direction": item.direction,
        "channel": item.channel,
        "ontvangstdatum": item.received_on,
        "verzenddatum": item.sent_on,
        "subject": item.subject,
        "correspondent": (
            {"name": item.correspondent.name, "kind": item.correspondent.kind}
            if item.correspondent
            else None
        ),
        "informatieobjecttype": item.document_type.name,
        "vertrouwelijkheidaanduiding": item.document_type.confidentiality,
        "department": item.department_id,
        "department_name": item.department.name,
        "handler": item.handler.get_username() if item.handler else None,
        "due_date": item.due_date,
        "status": item.status,
        "registered_at": item.registered_at,
        "answers": _ref(item.answers),
    }


def detail_data(item: MailItem) -> dict[str, Any]:
    return {
        **item_data(item),
        "answered_by": [_ref(i) for i in item.answered_by.order_by("pk")],
        "documents": [
            {
                "n": d.position,
                "filename": d.filename,
                "content_type": d.content_type,
                "size": d.size,
                "sha256": d.sha256,
                "pages": d.pages,
                "text_status": d.text_status,
                "url": reverse("api-mail-document", args=[item.public_id, d.position]),
            }
            for d in item.documents.filter(destroyed_at__isnull=True).order_by("position")
        ],
    }


class ListQuery(serializers.Serializer[Any]):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True)
    direction = serializers.ChoiceField(choices=Direction.choices, required=False)
    department = serializers.IntegerField(min_value=1, max_value=2**31, required=False)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    handler = serializers.CharField(max_length=150, required=False)
    from_ = serializers.DateField(required=False)
    to = serializers.DateField(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=selectors.MAX_PAGE, default=25)
    offset = serializers.IntegerField(min_value=0, max_value=10**9, default=0)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class RegisterInput(serializers.Serializer[Any]):
    direction = serializers.ChoiceField(choices=Direction.choices)
    department = serializers.IntegerField(min_value=1, max_value=2**31)
    informatieobjecttype = serializers.IntegerField(
        min_value=1, max_value=2**31, help_text="The document type's id."
    )
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.POST)
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True)
    correspondent_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    correspondent_email = serializers.EmailField(required=False, allow_blank=True)
    ontvangstdatum = serializers.DateField(required=False)
    handler = serializers.CharField(max_length=150, required=False, allow_blank=True)
    answers = serializers.UUIDField(required=False)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        max_length=documents.MAX_FILES,
    )


class Registered(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    register_number = serializers.CharField()


class AssignInput(serializers.Serializer[Any]):
    handler = serializers.CharField(max_length=150, help_text="The handler's user name.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class AnswerInput(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=services.AnswerKind.ALL)
    subject = serializers.CharField(max_length=300)
    body = serializers.CharField(max_length=20000, required=False, allow_blank=True)
    email_to = serializers.EmailField(required=False, allow_blank=True)
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        max_length=documents.MAX_FILES,
    )


def _user(username: str, field: str) -> Any:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        message = _("Unknown colleague.")
        raise DomainError(message, fields={field: [message]})
    return user


def _uploads(files: list[Any]) -> list[Upload]:
    limit = documents.max_bytes()
    uploads = []
    for upload in files:
        if upload.size > limit:  # refused before its bytes are read into memory
            message = _("%(file)s: the file is %(size)d MB; at most %(max)d MB is accepted.") % {
                "file": upload.name,
                "size": upload.size // (1024 * 1024),
                "max": limit // (1024 * 1024),
            }
            raise DomainError(message, code="invalid_file", fields={"files": [message]})
        uploads.append(Upload(upload.name or "", upload.read()))
    return uploads


class TooLarge(DomainError):
    status_code = 413
    default_code = "too_large"


def _files(request: Request) -> list[Any]:
    """The uploaded files; a request larger than the limit is refused before it is read."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = documents.max_request_bytes()
    if not length.isdigit() or len(length) > 15 or int(length) > limit:
        message = _("The upload is larger than %(max)d MB.") % {"max": limit // (1024 * 1024)}
        raise TooLarge(message, fields={"files": [message]})
    return list(request.FILES.getlist("files"))


def _plain(request: Request) -> dict[str, Any]:
    """The request's fields as one value each (a form's or a JSON object's), without files."""
    body: Any = request.data
    if hasattr(body, "dict"):
        return {k: v for k, v in body.dict().items() if k != "files"}
    return dict(body) if isinstance(body, dict) else {}


ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer}


class MailListView(APIView):
    """``GET``: the items the caller may see, filtered and searched (one ``search`` event with
    the query and the number of hits). ``POST``: register an item (multipart, with its files);
    201 with its id and register number. An ``Idempotency-Key`` header registers once."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="mail_list",
        parameters=[ListQuery],
        responses={200: MailPageSerializer, **ERRORS},
    )
    def get(self, request: Request) -> Response:
        query = ListQuery(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        values = query.validated_data
        department = None
        if "department" in values:
            department = Department.objects.filter(pk=values["department"]).first()
            if department is None:
                message = _("Unknown department.")
                raise DomainError(message, fields={"department": [message]})
        handler_id = _user(values["handler"], "handler").pk if values.get("handler") else None
        filters = selectors.Filters(
            query=values.get("q", ""),
            direction=values.get("direction", ""),
            department=department,
            status=values.get("status", ""),
            handler_id=handler_id,
            start=values.get("from"),
            end=values.get("to"),
        )
        page = selectors.search_items(
            request.user, filters, offset=values["offset"], limit=values["limit"], what="api"
        )
        return Response(
            {
                "count": page.total,
                "more": page.more,
                "offset": page.offset,
                "limit": page.limit,
                "results": [item_data(i) for i in page.items],
            }
        )

    @extend_schema(
        request={"multipart/form-data": RegisterInput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: Registered, 409: ErrorSerializer, 413: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        files = _files(request)
        data = RegisterInput(data={**_plain(request), "files": files})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        errors: dict[str, list[str]] = {}
        department = Department.objects.filter(pk=values["department"]).first()
        if department is None:
            errors["department"] = [_("Unknown department.")]
        document_type = DocumentType.objects.filter(pk=values["informatieobjecttype"]).first()
        if document_type is None:
            errors["informatieobjecttype"] = [_("Unknown document type.")]
        if errors:
            raise DomainError(_("The request has errors; see the fields."), fields=errors)
        assert department is not None and document_type is not None
        answers = None
        if values.get("answers"):
            try:
                answers = selectors.item_for_change(request.user, values["answers"], what="answers")
            except NotFound as missing:
                # A field of the body, not the resource of the URL: a 400 naming the field,
                # with the same words for an item that does not exist and one not visible.
                raise DomainError(
                    _("The request has errors; see the fields."),
                    fields={"answers": [missing.message]},
                ) from None
        correspondent = None
        if values.get("correspondent_name"):
            correspondent = services.find_or_create_correspondent(
                actor=request.user,
                name=values["correspondent_name"],
                email=values.get("correspondent_email", ""),
            )
        handler = _user(values["handler"], "handler") if values.get("handler") else None
        item = services.register_item(
            actor=request.user,
            direction=values["direction"],
            department=department,
            document_type=document_type,
            channel=values["channel"],
            subject=values.get("subject", ""),
            correspondent=correspondent,
            received_on=values.get("ontvangstdatum"),
            handler=handler,
            answers=answers,
            files=_uploads(values.get("files", [])),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:64] or None,
        )
        return Response({"id": item.public_id, "register_number": item.register_number}, status=201)


class MailDetailView(APIView):
    """One item with its documents and links (a ``view`` event)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MailItemDetailSerializer, 404: ErrorSerializer, **ERRORS})
    def get(self, request: Request, public_id: str) -> Response:
        item = selectors.get_item(request.user, public_id, what="api")
        return Response(detail_data(item))


class MailDocumentView(APIView):
    """The original bytes of document ``n`` (a ``download`` event), checked against their
    SHA-256 (409 ``document_corrupt`` when they changed)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            404: ErrorSerializer,
            409: ErrorSerializer,
            **ERRORS,
        }
    )
    def get(self, request: Request, public_id: str, n: int) -> HttpResponse:
        _item, document, data = selectors.read_document(request.user, public_id, n)
        return file_response(document, data, attachment=True)


def file_response(document: Any, data: bytes, *, attachment: bool, kind: str = "") -> HttpResponse:
    content_type = {"rendition": "application/pdf", "thumbnail": "image/png"}.get(
        kind, document.content_type
    )
    response = HttpResponse(data, content_type=content_type)
    disposition = "attachment" if attachment else "inline"
    name = document.filename.replace('"', "").replace("\r", "").replace("\n", "")
    if kind == "rendition" and not name.lower().endswith(".pdf"):
        name += ".pdf"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["X-Document-SHA256"] = document.sha256
    return response


class MailAssignView(APIView):
    """Assign (or reassign, with a note) the item to a handler."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=AssignInput,
        responses={200: MailItemSerializer, 404: ErrorSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, public_id: str) -> Response:
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = selectors.item_for_change(request.user, public_id, what="assign")
        item = services.assign_item(
            actor=request.user,
            item=item,
            handler=_user(data.validated_data["handler"], "handler"),
            note=data.validated_data.get("note", ""),
        )
        return Response(item_data(item))


class MailAnswerView(APIView):
    """Answer the item: an outgoing item is registered that answers it (a letter from the
    template, an e-mail through the outbox, or an uploaded document); 201 with its id and
    register number."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": AnswerInput, "application/json": AnswerInput},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER)],
        responses={201: Registered, 404: ErrorSerializer, 409: ErrorSerializer, **ERRORS},
    )
    def post(self, request: Request, public_id: str) -> Response:
        files = _files(request)
        data = AnswerInput(data={**_plain(request), "files": files})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = selectors.item_for_change(request.user, public_id, what="answer")
        answer = services.answer_item(
            actor=request.user,
            item=item,
            kind=values["kind"],
            subject=values["subject"],
            body=values.get("body", ""),
            files=_uploads(values.get("files", [])),
            email_to=values.get("email_to", ""),
            idempotency_key=request.headers.get("Idempotency-Key", "")[:64] or None,
        )
        return Response(
            {"id": answer.public_id, "register_number": answer.register_number}, status=201
        )
