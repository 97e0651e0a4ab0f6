"""/healthz, /readyz and /metrics as Django views (the ASGI handlers share their code; the
processes' side is in tests/test_readyz_processes.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from onthaal.core import clock
from onthaal.core.clock import BRUSSELS
from onthaal.operations import health
from onthaal.operations.models import WorkerHeartbeat

TUESDAY_10 = dt.datetime(2027, 3, 23, 10, 0, tzinfo=BRUSSELS)


@pytest.fixture
def zonnedoorn(db: None) -> Any:
    from onthaal.demo import zonnedoorn as demo

    with time_machine.travel(TUESDAY_10, tick=False) as traveller:
        demo.load()
        yield traveller


def _beat(seconds_ago: float) -> None:
    WorkerHeartbeat.objects.update_or_create(
        worker="test:1",
        defaults={"beat_at": clock.now() - dt.timedelta(seconds=seconds_ago)},
        create_defaults={
            "beat_at": clock.now() - dt.timedelta(seconds=seconds_ago),
            "started_at": clock.now(),
        },
    )


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) -> value, read with Prometheus's own parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_healthz_answers_without_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_unready_without_a_recent_worker_heartbeat_and_names_the_check(
    client: Client,
) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unready" and body["failing"] == ["worker"]
    assert body["checks"]["worker"] == {"ok": False, "detail": "no task worker has run"}
    assert body["checks"]["database"]["ok"] is True

    _beat(seconds_ago=health.READY_WORKER_SECONDS + 1)
    assert client.get("/readyz").json()["failing"] == ["worker"]

    _beat(seconds_ago=0.5)
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ready" and response.json()["failing"] == []
    assert set(response.json()["checks"]) == {"database", "worker", "outbox"}  # no REDIS_URL


def test_readyz_is_unready_when_a_due_message_waits_too_long(client: Client, zonnedoorn) -> None:
    from onthaal.appointments.models import Notification
    from onthaal.organisation.models import Location
    from onthaal.queue.models import Queue, Source
    from onthaal.queue.services import issue_ticket

    _beat(seconds_ago=0)
    ac = Location.objects.get(slug="administratief-centrum")
    ticket = issue_ticket(
        location=ac,
        queue=Queue.objects.get(location=ac, prefix="B"),
        source=Source.RECEPTION,
        actor=None,
    )
    Notification.objects.create(
        ticket=ticket,
        kind=Notification.Kind.TURN,
        recipient="x@example.org",
        subject="s",
        body="b",
        next_attempt_at=clock.now() - dt.timedelta(seconds=health.READY_OUTBOX_SECONDS + 5),
        created_at=clock.now() - dt.timedelta(hours=1),
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["outbox"]
    assert response.json()["checks"]["outbox"]["detail"] == (
        f"a due message has waited {health.READY_OUTBOX_SECONDS + 5:.0f} s"
    )


def test_metrics_count_requests_by_route_name_and_read_the_figures_from_the_database(
    client: Client, zonnedoorn, django_capture_on_commit_callbacks
) -> None:
    from onthaal.organisation.models import Location
    from onthaal.queue.models import Queue, Source
    from onthaal.queue.services import issue_ticket

    ac = Location.objects.get(slug="administratief-centrum")
    burgerzaken = Queue.objects.get(location=ac, prefix="B")
    before = _samples(client.get("/metrics").content.decode())
    # Audit events are counted when they commit (the test's transaction never does).
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            issue_ticket(location=ac, queue=burgerzaken, source=Source.RECEPTION, actor=None)
        client.post("/staff/login/", {"username": "balie", "password": "wrong"})
    client.get("/ticket/does-not-exist/")
    client.get("/locations/")

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    after = _samples(response.content.decode())

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert (
        delta("onthaal_http_requests_total", view="queue:ticket", method="GET", status="404") == 1
    )
    assert delta("onthaal_http_requests_total", view="hours:index", method="GET", status="200") == 1
    assert delta("onthaal_http_request_duration_seconds_count", view="hours:index") == 1
    assert not any("does-not-exist" in str(key) for key in after)  # never the raw path
    assert (
        after[("onthaal_tickets_waiting", (("location", "administratief-centrum"), ("queue", "B")))]
        == 3
    )
    assert after[("onthaal_tickets_waiting", (("location", "sociaal-huis"), ("queue", "M")))] == 0
    assert delta("onthaal_audit_events_total", action="create") == 3  # the three tickets
    assert delta("onthaal_audit_events_total", action="login_failed") == 1
    assert delta("onthaal_failed_logins_total") == 1
    assert after[("onthaal_database_up", ())] == 1
    for outbox in ("appointments", "mail"):
        assert ("onthaal_outbox_pending", (("outbox", outbox),)) in after
        assert ("onthaal_outbox_failed", (("outbox", outbox),)) in after
        assert ("onthaal_outbox_oldest_due_seconds", (("outbox", outbox),)) in after


@pytest.mark.django_db
def test_metrics_are_only_for_loopback_and_the_configured_scrapers(settings) -> None:
    client = Client()
    settings.FORWARDED_ALLOW_IPS = ["127.0.0.1"]
    settings.METRICS_ALLOW_IPS = []
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.10").status_code == 403
    # Through the trusted proxy on this machine, the internet is not loopback.
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"
        ).status_code
        == 403
    )
    settings.METRICS_ALLOW_IPS = ["192.0.2.0/28"]
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.10").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.200").status_code == 403
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.10"
        ).status_code
        == 200
    )


def test_a_call_event_fanned_out_to_a_screen_is_observed_as_publish_lag() -> None:
    import json

    from onthaal.operations import metrics
    from onthaal.queue import broker

    def count() -> float:
        for family in text_string_to_metric_families(
            __import__("prometheus_client").generate_latest().decode()
        ):
            if family.name == "onthaal_call_publish_lag_seconds":
                for sample in family.samples:
                    if sample.name.endswith("_count"):
                        return sample.value
        return 0.0

    before = count()
    at = (dt.datetime.now(tz=dt.UTC) - dt.timedelta(milliseconds=200)).isoformat()
    broker.observe_call_lag(json.dumps({"type": "called", "code": "B001", "at": at}))
    broker.observe_call_lag(json.dumps({"type": "waiting", "code": "B002", "at": at}))
    assert count() == before + 1
    assert metrics.CALL_PUBLISH_LAG is not None


@pytest.mark.django_db
def test_every_metric_of_the_grafana_dashboard_is_served(client: Client) -> None:
    import json
    import re
    from pathlib import Path

    dashboard = json.loads(
        (Path(__file__).resolve().parents[4] / "deploy" / "grafana-dashboard.json").read_text()
    )
    wanted = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"onthaal_[a-z_]+", target["expr"])
    }
    served = set()
    for family in text_string_to_metric_families(client.get("/metrics").content.decode()):
        # A labelled family is served (HELP, TYPE) before its first sample.
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
        served.add(family.name)
        served.update(family.name + suffix for suffix in suffixes.get(family.type, []))
    assert len(wanted) >= 12
    assert wanted <= served, wanted - served
