"""A write's new read version and its live event go to Redis in one round trip
(``shared_cache.one_round_trip``, used by ``queue.broker.publish``), in order; when Redis
fails, each is handled as alone: the version goes to the database, the event is kept."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest
import redis
from django.core.cache import cache

from onthaal.accounts.tests.factories import LocationFactory
from onthaal.core import cache as shared_cache
from onthaal.queue import broker, snapshots
from onthaal.queue.models import KeptLiveEvent

pytestmark = pytest.mark.django_db

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CLOSED_PORT = "redis://127.0.0.1:1/0"


def _use(settings: Any, url: str, prefix: str) -> None:
    shared_cache.health.reset()
    settings.CACHES = {
        "default": {
            "BACKEND": "onthaal.core.cache.FailoverCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.REDIS_URL = url
    settings.ONTHAAL_INSTALL_PREFIX = prefix
    broker.reset_broker()


@pytest.fixture
def sent(monkeypatch):
    """The packets this process sends to Redis (a pipeline is one)."""
    packets: list[Any] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counted(conn: Any, command: Any, check_health: bool = True) -> None:
        packets.append(command)
        original(conn, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counted)
    yield packets
    broker.reset_broker()
    shared_cache.health.reset()


def test_the_new_version_and_the_event_go_in_one_round_trip_version_first(settings, sent):
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    _use(settings, REDIS_URL, prefix)
    listener = redis.Redis.from_url(REDIS_URL).pubsub()
    listener.subscribe(broker.channel_for(4242, prefix))
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    cache.set("warm", 1)  # the connections are open
    broker.publish_now(4242, {"type": "warm"})
    assert listener.get_message(timeout=2)["type"] == "message"
    before = cache.get(snapshots.version_key(4242))
    sent.clear()
    with shared_cache.one_round_trip():
        snapshots.bump(4242)
        assert broker.publish_now(4242, {"type": "called", "code": "B001"})
        assert sent == []  # nothing sent yet
    assert len(sent) == 1  # one pipeline: SET and PUBLISH
    message = listener.get_message(timeout=2)
    assert message["type"] == "message" and b'"B001"' in message["data"]
    version = cache.get(snapshots.version_key(4242))
    assert version is not None and version != before
    # Without it, two round trips.
    sent.clear()
    snapshots.bump(4242)
    broker.publish_now(4242, {"type": "called", "code": "B002"})
    assert len(sent) == 2
    listener.close()


def test_when_redis_fails_the_version_goes_to_the_database_and_the_event_is_kept(settings, sent):
    _use(settings, CLOSED_PORT, f"test-{uuid.uuid4().hex[:12]}")
    place: Any = LocationFactory()
    with shared_cache.one_round_trip():
        snapshots.bump(place.pk)
        assert broker.publish_now(place.pk, {"type": "called", "code": "B003"})
    assert cache.get(snapshots.version_key(place.pk)) is not None  # from the database
    kept = KeptLiveEvent.objects.get(location_id=place.pk)
    assert kept.payload["code"] == "B003"
