"""The event stream of a location (Server-Sent Events), served two ways with the same code:

* ``asgi_events`` — a bare ASGI handler that ``onthaal.asgi`` routes
  ``GET /api/v1/locations/{id}/events/`` to, outside Django's (synchronous) middleware: an open
  stream then holds no thread and no database connection, so one app process keeps thousands
  of screens connected;
* the Django view ``onthaal.queue.views.events`` (tests, and servers without that routing).

The stream first sends the current state (so a screen that reconnects re-reads it), then every
live event of the location, and a comment every 15 s (the broker's heartbeat) to keep proxies from closing it. When the
broker is unavailable it answers 503 and the screen polls ``/display/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections
from django.utils.translation import gettext as _

from onthaal.queue import broker

HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


def _state(location_id: int) -> dict[str, Any] | None:
    """Read the display state and give the database connection back at once."""
    from onthaal.organisation.models import Location
    from onthaal.queue import selectors

    try:
        location = Location.objects.filter(pk=location_id).first()
        return selectors.display_state(location) if location is not None else None
    finally:
        connections.close_all()


async def open_stream(
    location_id: int,
) -> tuple[int, dict[str, Any] | None, AsyncIterator[str] | None]:
    """(status, error body, stream). Listens before reading the state: nothing falls between."""
    live = broker.get_broker()
    try:
        await live.ready()
    except broker.BrokerUnavailable:
        return (
            503,
            {"code": "unavailable", "message": _("Live updates are unavailable; poll.")},
            None,
        )
    listener = live.listen(broker.channel_for(location_id))
    first = asyncio.ensure_future(anext(listener))
    await asyncio.sleep(0)  # let the listener register
    state = await sync_to_async(_state, thread_sensitive=False)(location_id)
    if state is None:
        first.cancel()
        with contextlib.suppress(BaseException):
            await first
        await listener.aclose()
        return 404, {"code": "not_found", "message": _("Unknown location.")}, None
    return 200, None, _stream(state, listener, first)


async def _stream(
    state: dict[str, Any], listener: AsyncGenerator[str, None], first: asyncio.Future[str]
) -> AsyncIterator[str]:
    """State, then every event as it comes. The keep-alive comes from the broker's heartbeat
    (one timer per process), so waiting for the next event is a plain await: a call reaches
    thousands of screens without a task or a timer per screen."""
    yield f"event: state\ndata: {json.dumps(state)}\n\n"
    try:
        try:
            message = await first
            while True:
                if message == broker.HEARTBEAT:
                    yield ": keep-alive\n\n"
                else:
                    yield f"event: ticket\ndata: {message}\n\n"
                message = await anext(listener)
        except (broker.BrokerUnavailable, StopAsyncIteration):
            return  # the client reconnects (and re-reads the state) or polls
    finally:
        if not first.done():
            first.cancel()
            with contextlib.suppress(BaseException):
                await first
        await listener.aclose()


async def asgi_events(scope: dict[str, Any], receive: Any, send: Any, location_id: int) -> None:
    """The location's stream as a bare ASGI response; stops when the client goes away."""
    await _serve(receive, send, *await open_stream(location_id))


async def asgi_ticket_events(
    scope: dict[str, Any], receive: Any, send: Any, public_id: str
) -> None:
    """One ticket's stream as a bare ASGI response; stops when the client goes away."""
    await _serve(receive, send, *await open_ticket_stream(public_id))


async def _serve(
    receive: Any,
    send: Any,
    status: int,
    error: dict[str, Any] | None,
    stream: AsyncIterator[str] | None,
) -> None:
    if stream is None:
        body = json.dumps(error).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})

    async def pump() -> None:
        async for chunk in stream:
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    streaming = asyncio.ensure_future(pump())
    watching = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({streaming, watching}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (streaming, watching):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        with contextlib.suppress(BaseException):
            await stream.aclose()  # type: ignore[attr-defined]
        close_old_connections()
    with contextlib.suppress(Exception):
        await send({"type": "http.response.body", "body": b"", "more_body": False})


# --- one ticket's own stream (the status page on the citizen's phone) ----------------------

# A position changes with every call at the location; the ticket's own state is read again at
# most this often for those (its own call, recall or closing is read at once).
TICKET_REFRESH_SECONDS = 3.0


def _ticket_place(public_id: str) -> tuple[int, str] | None:
    """(location id, code) of the ticket, or None; gives the connection back at once."""
    from onthaal.queue.models import Ticket

    try:
        return (
            Ticket.objects.filter(public_id=public_id[:32])
            .values_list("location_id", "code")
            .first()
        )
    finally:
        connections.close_all()


def _ticket_state(public_id: str) -> dict[str, Any] | None:
    from onthaal.queue import selectors
    from onthaal.queue.models import Ticket

    try:
        ticket = (
            Ticket.objects.select_related("queue", "desk").filter(public_id=public_id[:32]).first()
        )
        return selectors.ticket_public_state(ticket) if ticket is not None else None
    finally:
        connections.close_all()


async def open_ticket_stream(
    public_id: str,
) -> tuple[int, dict[str, Any] | None, AsyncIterator[str] | None]:
    """The stream of one ticket, for its status page: ``event: status`` with that ticket's own
    state (status, position, expected wait, the desk it is called to) whenever it changes —
    nothing of any other ticket. Reached only through the ticket's private status id."""
    place = await sync_to_async(_ticket_place, thread_sensitive=False)(public_id)
    if place is None:
        return 404, {"code": "not_found", "message": _("This ticket does not exist.")}, None
    location_id, code = place
    live = broker.get_broker()
    try:
        await live.ready()
    except broker.BrokerUnavailable:
        return (
            503,
            {"code": "unavailable", "message": _("Live updates are unavailable; poll.")},
            None,
        )
    listener = live.listen(broker.channel_for(location_id))
    first = asyncio.ensure_future(anext(listener))
    await asyncio.sleep(0)  # let the listener register
    state = await sync_to_async(_ticket_state, thread_sensitive=False)(public_id)
    assert state is not None
    return 200, None, _ticket_stream(public_id, code, state, listener, first)


async def _ticket_stream(
    public_id: str,
    code: str,
    state: dict[str, Any],
    listener: AsyncGenerator[str, None],
    first: asyncio.Future[str],
) -> AsyncIterator[str]:
    """The ticket's state, then its state again whenever an event at its location changed it.
    The location's events stay on the server: they only say when to read the state again."""
    loop = asyncio.get_running_loop()
    read_at = loop.time()
    behind = False  # an event came that was not read yet (throttled)
    yield f"event: status\ndata: {json.dumps(state)}\n\n"
    try:
        try:
            if state["closed"]:
                return
            message = await first
            while True:
                if message == broker.HEARTBEAT:
                    yield ": keep-alive\n\n"
                    due = behind
                else:
                    own = _code_of(message) == code
                    due = own or loop.time() - read_at >= TICKET_REFRESH_SECONDS
                    behind = not due
                if due:
                    fresh = await sync_to_async(_ticket_state, thread_sensitive=False)(public_id)
                    read_at, behind = loop.time(), False
                    if fresh is not None and fresh != state:
                        state = fresh
                        yield f"event: status\ndata: {json.dumps(state)}\n\n"
                    if fresh is None or state["closed"]:
                        return
                message = await anext(listener)
        except (broker.BrokerUnavailable, StopAsyncIteration):
            return
    finally:
        if not first.done():
            first.cancel()
            with contextlib.suppress(BaseException):
                await first
        await listener.aclose()


def _code_of(message: str) -> str:
    try:
        event = json.loads(message)
    except ValueError:
        return ""
    return str(event.get("code", "")) if isinstance(event, dict) else ""
