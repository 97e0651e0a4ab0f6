"""Customer guidance in the API: tickets (kiosk, reception), desks, and what a screen shows.

Staff and devices authenticate with a session or a token; the display is public (numbers only).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from onthaal.accounts import access
from onthaal.api.errors import ErrorSerializer
from onthaal.api.fields import IdField
from onthaal.catalogue.models import Product
from onthaal.core.errors import DomainError, NotFound
from onthaal.core.numbers import natural
from onthaal.organisation.models import Desk, Location
from onthaal.queue import selectors, services
from onthaal.queue.models import Queue, Source, Status, Ticket


# Declared field by field, not a ModelSerializer: it is on the hot path of every kiosk and desk
# request, and introspecting the model for each response costs more than the database work.
# The ticket's private status id (``public_id``, the key to its status page and "warn me"
# form) is not in it: only the issuer gets the status page's address (IssuedTicketSerializer).
class TicketSerializer(serializers.Serializer[Ticket]):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    queue = serializers.CharField(source="queue.prefix", read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    source = serializers.ChoiceField(choices=Source.choices, read_only=True)  # type: ignore[assignment]
    priority = serializers.BooleanField(read_only=True)
    desk = serializers.CharField(source="desk.name", read_only=True, default=None, allow_null=True)
    issued_at = serializers.DateTimeField(read_only=True)
    called_at = serializers.DateTimeField(read_only=True, allow_null=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True)


class IssuedTicketSerializer(TicketSerializer):
    status_url = serializers.SerializerMethodField(
        help_text=(
            "The ticket's private status page, to print on the ticket (as a QR code): whoever "
            "has it follows the ticket and may ask to be warned. Only in the answer to the "
            "one who issues the ticket; never on a screen, stream or other answer."
        )
    )

    def get_status_url(self, ticket: Ticket) -> str:
        return reverse("queue:ticket", args=[ticket.public_id])


def _when(value: dt.datetime | None) -> str | None:
    """A time as ``serializers.DateTimeField`` writes it: in the current time zone, ISO 8601."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_data(ticket: Ticket, *, issued: bool = False) -> dict[str, Any]:
    """What ``TicketSerializer`` (``IssuedTicketSerializer`` when ``issued``) gives for
    ``ticket``, written out: the kiosk and desk requests answer with it, and building a DRF
    serializer per response costs more than their database work (ADR 0006). The serializers
    stay the schema; a test holds them equal."""
    desk = ticket.desk
    data = {
        "id": ticket.pk,
        "code": ticket.code,
        "queue": ticket.queue.prefix,
        "status": ticket.status,
        "source": ticket.source,
        "priority": ticket.priority,
        "desk": desk.name if desk is not None else None,
        "issued_at": _when(ticket.issued_at),
        "called_at": _when(ticket.called_at),
        "started_at": _when(ticket.started_at),
        "finished_at": _when(ticket.finished_at),
    }
    if issued:
        data["status_url"] = reverse("queue:ticket", args=[ticket.public_id])
    return data


class TicketCreate(serializers.Serializer[Any]):
    location = IdField()
    queue = IdField()
    products = serializers.ListField(child=IdField(), required=False, max_length=10)
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=[Source.KIOSK, Source.RECEPTION, Source.API], default=Source.KIOSK
    )
    priority = serializers.BooleanField(default=False)


MAX_DELIVERED = 20  # products one finish records; a counter delivers a handful


class DeliveredField(serializers.DictField):
    """Product id -> quantity, bounded as the ids elsewhere: at most ``MAX_DELIVERED`` keys
    (counted before any value is read), each an id in ASCII digits (1 to 18 of them, not 0)
    given once. The result has the ids as numbers. A bad key is a 400 on the field."""

    default_error_messages = {
        "too_many": gettext_lazy("At most {max_count} products."),
        "key": gettext_lazy("Unknown product."),
    }

    def to_internal_value(self, data: Any) -> dict[int, int]:
        if isinstance(data, dict) and len(data) > MAX_DELIVERED:
            self.fail("too_many", max_count=MAX_DELIVERED)
        values = super().to_internal_value(data)
        pks = {natural(key): quantity for key, quantity in values.items()}
        # natural() takes at most 18 digits: below 2^63 - 1. "7" and "07" are one product.
        if any(pk is None or pk < 1 for pk in pks) or len(pks) != len(values):
            self.fail("key")
        return {int(pk): quantity for pk, quantity in pks.items() if pk is not None}


class Finish(serializers.Serializer[Any]):
    delivered = DeliveredField(
        child=serializers.IntegerField(min_value=0, max_value=services.MAX_QUANTITY),
        required=False,
        help_text=f"Product id -> quantity delivered (at most {MAX_DELIVERED} products).",
    )


class Transfer(serializers.Serializer[Any]):
    queue = IdField(required=False)
    desk = IdField(required=False)
    user = IdField(required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DeskRef(serializers.Serializer[Any]):
    desk = IdField()


def _desk(pk: Any) -> Desk:
    desk = services.load_desk(pk)
    if desk is None:
        raise NotFound(_("This desk does not exist."))
    return desk


class TicketCreateView(APIView):
    """Issue a ticket (kiosk or reception). The kiosk is refused when walk-in is closed."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=TicketCreate,
        responses={201: IssuedTicketSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = TicketCreate(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        queue = selectors.queue_with_place(values["queue"])
        if queue is not None and queue.location_id == values["location"]:
            location: Location | None = queue.location
        else:
            location = Location.objects.filter(pk=values["location"]).first()
        errors: dict[str, list[str]] = {}
        if location is None:
            errors["location"] = [_("Unknown location.")]
        if queue is None:
            errors["queue"] = [_("Unknown queue.")]
        wanted = set(values.get("products", []))
        products = list(Product.objects.filter(pk__in=wanted)) if wanted else []
        if len(products) != len(wanted):
            errors["products"] = [_("Unknown product.")]
        if errors:
            raise DomainError(_("The ticket cannot be issued."), fields=errors)
        assert location is not None and queue is not None
        capability = "queue.kiosk" if values["source"] == Source.KIOSK else "queue.issue"
        # Reception issues tickets for every department of the location (numbers only).
        access.require(
            request.user,
            capability,
            object_type="queue.queue",
            object_id=str(queue.pk),
        )
        ticket = services.issue_ticket(
            location=location,
            queue=queue,
            products=products,
            source=values["source"],
            priority=values["priority"],
            actor=request.user,
            check_hours=values["source"] == Source.KIOSK,
        )
        return Response(ticket_data(ticket, issued=True), status=201)


class CallNextView(APIView):
    """Call the next visitor to the desk. 200 with the ticket, 204 when nobody waits."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: TicketSerializer,
            204: None,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
    )
    def post(self, request: Request, desk_id: int) -> Response:
        ticket = services.call_next(desk=_desk(desk_id), actor=request.user)
        if ticket is None:
            return Response(status=204)
        return Response(ticket_data(ticket))


class TicketActionView(APIView):
    """start, finish, no-show, recall or transfer a ticket at the caller's desk."""

    permission_classes = [IsAuthenticated]
    action_name = ""
    body: type[serializers.Serializer[Any]] = DeskRef

    def post(self, request: Request, ticket_id: int) -> Response:
        ticket = services.get_ticket(ticket_id)
        body = self.body(data=request.data)
        body.is_valid(raise_exception=True)
        values = body.validated_data
        desk = _desk(values["desk"]) if values.get("desk") else None
        user = request.user
        if self.action_name == "transfer":
            ticket = self._transfer(request, ticket, values)
        else:
            if desk is None:
                raise DomainError(
                    _("Say at which desk."), fields={"desk": [_("This field is required.")]}
                )
            if self.action_name == "start":
                ticket = services.start(ticket=ticket, desk=desk, actor=user)
            elif self.action_name == "recall":
                ticket = services.recall(ticket=ticket, desk=desk, actor=user)
            elif self.action_name == "no-show":
                ticket = services.no_show(ticket=ticket, desk=desk, actor=user)
            elif self.action_name == "finish":
                ticket = services.finish(
                    ticket=ticket, desk=desk, actor=user, delivered=values.get("delivered", {})
                )
        return Response(ticket_data(ticket))

    def _transfer(self, request: Request, ticket: Ticket, values: dict[str, Any]) -> Ticket:
        from_desk = services.current_ticket_desk(ticket, request.user)
        errors: dict[str, list[str]] = {}
        queue = to_desk = to_user = None
        if values.get("queue"):
            queue = Queue.objects.filter(pk=values["queue"]).first()
            if queue is None:
                errors["queue"] = [_("Unknown queue.")]
        if values.get("desk"):
            to_desk = Desk.objects.filter(pk=values["desk"]).first()
            if to_desk is None:
                errors["desk"] = [_("This desk does not exist.")]
        if values.get("user"):
            to_user = get_user_model().objects.filter(pk=values["user"], is_active=True).first()
            if to_user is None:
                errors["user"] = [_("Unknown staff member.")]
        if errors:
            raise DomainError(_("The hand-off is not possible."), fields=errors)
        return services.transfer(
            ticket=ticket,
            actor=request.user,
            queue=queue,
            to_desk=to_desk,
            to_user=to_user,
            note=values.get("note", ""),
            from_desk=from_desk,
        )


def _action_view(name: str, body: type[serializers.Serializer[Any]]) -> Any:
    @extend_schema(
        request=body,
        responses={
            200: TicketSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        operation_id=f"tickets_{name.replace('-', '_')}",
    )
    def post(self: TicketActionView, request: Request, ticket_id: int) -> Response:
        return TicketActionView.post(self, request, ticket_id)

    return type(
        f"Ticket{name.title().replace('-', '')}View",
        (TicketActionView,),
        {"action_name": name, "body": body, "post": post, "__doc__": f"{name} a ticket."},
    )


class FinishBody(DeskRef, Finish):
    pass


StartView = _action_view("start", DeskRef)
RecallView = _action_view("recall", DeskRef)
NoShowView = _action_view("no-show", DeskRef)
FinishView = _action_view("finish", FinishBody)
TransferView = _action_view("transfer", Transfer)

CallSerializer = inline_serializer(
    name="DisplayCall",
    many=True,
    fields={
        "code": serializers.CharField(),
        "queue": serializers.CharField(),
        "desk": serializers.CharField(),
        "called_at": serializers.DateTimeField(),
        "status": serializers.CharField(),
    },
)


class DisplayView(APIView):
    """What a waiting-room screen shows: the latest called numbers and their desks."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []

    @extend_schema(
        responses={
            200: inline_serializer(
                name="Display",
                fields={
                    "location": inline_serializer(
                        name="DisplayLocation",
                        fields={
                            "id": serializers.IntegerField(),
                            "name": serializers.CharField(),
                            "slug": serializers.CharField(),
                        },
                    ),
                    "at": serializers.DateTimeField(),
                    "waiting": serializers.IntegerField(),
                    "calls": CallSerializer,
                },
            ),
            404: ErrorSerializer,
        }
    )
    def get(self, request: Request, location_id: int) -> Response:
        location = Location.objects.filter(pk=location_id).first()
        if location is None:
            raise NotFound(_("Unknown location."))
        return Response(selectors.display_state(location))
