"""Redis down must not stop citizens (issue #5, finding 6): with the shared cache pointed at a
closed port, anonymous booking, holding a time and "warn me" work; limits and spent proofs
hold, in the database; the degradation is logged once."""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from onthaal.appointments import limits, proof
from onthaal.appointments.models import Appointment, Status
from onthaal.appointments.tests.data import BODY
from onthaal.core import cache as shared_cache
from onthaal.core import ratelimit
from onthaal.core.models import CacheEntry
from onthaal.queue import services as queue_services
from onthaal.queue.models import Source, Ticket

pytestmark = pytest.mark.django_db

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens there: connection refused
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _failover(location: str, prefix: str = "") -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "onthaal.core.cache.FailoverCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def redis_down(settings):
    shared_cache.health.reset()
    settings.CACHES = _failover(CLOSED_PORT)
    yield
    shared_cache.health.reset()


def _solved(client: Client) -> str:
    response = client.get("/api/v1/appointments/challenge/")
    assert response.status_code == 200
    return proof.solve(response.json())


def _warnings(caplog) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "onthaal.core.cache" and r.levelno == logging.WARNING
    ]


def test_citizens_book_hold_and_ask_to_be_warned_with_redis_down(
    client, zonnedoorn, redis_down, caplog
):
    caplog.set_level(logging.WARNING, logger="onthaal.core.cache")
    z = zonnedoorn
    # Holding a time on the citizen's form (spends a proof).
    held = client.post(
        reverse("appointments:hold"),
        {
            "product": "eid-aanvragen",
            "location": "administratief-centrum",
            "start": "2027-03-24T10:00:00+01:00",
            "altcha": _solved(client),
        },
    )
    assert held.status_code == 200, held.content
    # Booking through the API (spends a proof, counts against the limits).
    payload = _solved(client)
    booked = client.post(
        "/api/v1/appointments/", {**BODY, "altcha": payload}, content_type="application/json"
    )
    assert booked.status_code == 201, booked.content
    replay = client.post(
        "/api/v1/appointments/",
        {**BODY, "start": "2027-03-24T11:00:00+01:00", "altcha": payload},
        content_type="application/json",
    )
    assert replay.status_code == 400 and replay.json()["code"] == "proof_invalid"
    assert list(Appointment.objects.order_by("pk").values_list("status", flat=True)) == [
        Status.HELD,
        Status.BOOKED,
    ]
    # "Warn me" on a ticket's status page.
    ticket = queue_services.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.RECEPTION,
        actor=z["users"]["onthaal"],
        check_hours=False,
    )
    warned = client.post(
        reverse("queue:ticket", args=[ticket.public_id]), {"email": "jan@example.org"}
    )
    assert warned.status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).alert_email == "jan@example.org"
    # The spent proofs and counters are in the database; one log line for all of it.
    assert CacheEntry.objects.filter(cache_key__contains="altcha").count() == 2
    assert len(_warnings(caplog)) == 1
    assert "unreachable" in _warnings(caplog)[0]


def test_limits_still_count_every_hit_with_redis_down(redis_down):
    for _ in range(limits.PER_CONTACT[0]):
        limits.check(ip=None, contact="same@example.org")
    with pytest.raises(limits.TooMany):
        limits.check(ip=None, contact="same@example.org")
    assert [ratelimit.hit("onthaal:test:hits", 3, 60) for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.exceptions.RedisError:
        return False


def test_a_proof_spent_while_redis_was_down_is_not_good_again_once_it_is_back(
    client, zonnedoorn, settings, caplog
):
    """Redis at 127.0.0.1:6379 (make test needs it, as the README says)."""
    if not _redis_answers():
        pytest.fail(f"needs Redis at {REDIS_URL} (make test needs it; see the README)")
    caplog.set_level(logging.WARNING, logger="onthaal.core.cache")
    shared_cache.health.reset()
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = _failover(CLOSED_PORT, prefix)
    payload = _solved(client)
    assert proof.verify(payload)  # spent in the database
    settings.CACHES = _failover(REDIS_URL, prefix)  # Redis is back
    shared_cache.health.down_until = 0.0  # (the retry pause is over)
    try:
        assert not proof.verify(payload)
        assert proof.verify(_solved(client))  # a new one is good, in Redis
        assert _warnings(caplog) == [
            _warnings(caplog)[0],
            "The shared cache (Redis) answers again.",
        ]
    finally:
        from django.core.cache import cache

        cache.clear()
        shared_cache.health.reset()


def test_clearing_the_cache_leaves_the_keys_of_other_installs_in_redis(db):
    """The Redis server is shared: clearing one install's cache (as every test does) deletes
    its own keys, those under its prefix, and no other install's."""
    if not _redis_answers():
        pytest.fail(f"needs Redis at {REDIS_URL} (make test needs it; see the README)")
    import redis

    shared_cache.health.reset()
    ours, theirs = f"test-{uuid.uuid4().hex}", f"test-{uuid.uuid4().hex}"
    ours_cache = shared_cache.FailoverCache(REDIS_URL, _failover(REDIS_URL, ours)["default"])
    theirs_cache = shared_cache.FailoverCache(REDIS_URL, _failover(REDIS_URL, theirs)["default"])
    direct = redis.Redis.from_url(REDIS_URL)
    unprefixed = f"no-prefix-{uuid.uuid4().hex}"
    try:
        for number in range(1500):  # more than one batch of the clearing's scan
            ours_cache.set(f"k{number}", number)
        theirs_cache.set("k1", "theirs")
        direct.set(unprefixed, b"x")

        ours_cache.clear()

        assert [ours_cache.get(f"k{n}") for n in (0, 1, 1499)] == [None, None, None]
        assert direct.keys(f"{ours}:*") == []
        assert theirs_cache.get("k1") == "theirs"
        assert direct.get(unprefixed) == b"x"
    finally:
        theirs_cache.clear()
        direct.delete(unprefixed)
        shared_cache.health.reset()


def test_requests_in_contexts_of_their_own_share_one_redis_connection(settings):
    """The server runs each request in a context of its own (a2wsgi), where Django makes a
    new cache backend: 20 such requests, one after the other, use one pooled connection to
    Redis, not one each."""
    if not _redis_answers():
        pytest.fail(f"needs Redis at {REDIS_URL} (make test needs it; see the README)")
    import contextvars

    from django.core.cache import caches

    shared_cache.health.reset()
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = _failover(REDIS_URL, prefix)

    def request(n: int) -> Any:
        cache = caches["default"]
        cache.set(f"k{n}", n)
        assert cache.get(f"k{n}") == n
        return cache

    backends = [contextvars.Context().run(request, n) for n in range(20)]
    try:
        assert len({id(b) for b in backends}) == 20  # a backend per request, as Django does
        clients = {id(b.primary._cache) for b in backends}
        assert len(clients) == 1
        pools = backends[0].primary._cache._pools.values()
        assert sum(len(p._available_connections) + len(p._in_use_connections) for p in pools) == 1
    finally:
        backends[0].clear()
        shared_cache.health.reset()
