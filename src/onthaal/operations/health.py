"""Is this install ready to serve? The checks behind ``/readyz``.

* ``database`` — a ``SELECT 1`` answers;
* ``redis`` — when ``REDIS_URL`` is set, Redis answers a PING within a second (live screens
  and the shared cache need it; without it screens poll and the cache falls back to the
  database, so the install works, slower: a monitor should page someone);
* ``worker`` — a task worker wrote its heartbeat within ``READY_WORKER_SECONDS``;
* ``outbox`` — no message has waited to be sent for longer than ``READY_OUTBOX_SECONDS``
  since it was due (e-mails and SMS of appointments, tickets and the mail register).

Each check says ``ok`` and a short, fixed text: no host name, address or error message
leaves the install (``/readyz`` answers anyone, as ``/healthz`` does).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import Max, Min

from onthaal.core import clock

log = logging.getLogger(__name__)

# ONTHAAL_WORKER_HEARTBEAT_SECONDS: how often `onthaal worker` writes its heartbeat (default 1).
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("ONTHAAL_WORKER_HEARTBEAT_SECONDS", "1"))
# ONTHAAL_READY_WORKER_SECONDS: /readyz is unready when the newest heartbeat is older (default 4:
# a stopped worker shows within 5 seconds).
READY_WORKER_SECONDS = float(os.environ.get("ONTHAAL_READY_WORKER_SECONDS", "4"))
# ONTHAAL_READY_OUTBOX_SECONDS: /readyz is unready when a due message has waited longer
# (default 600).
READY_OUTBOX_SECONDS = float(os.environ.get("ONTHAAL_READY_OUTBOX_SECONDS", "600"))
# Heartbeats of workers gone this long are removed.
FORGET_WORKER_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def database() -> Check:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.warning("readiness: the database does not answer", exc_info=True)
        return Check(False, "the database does not answer")
    return Check(True, "answers")


_redis_client: Any = None
_redis_lock = threading.Lock()


def redis() -> Check | None:
    """None when no Redis is configured."""
    if not settings.REDIS_URL:
        return None
    global _redis_client
    import redis as redis_library

    with _redis_lock:
        if _redis_client is None:
            _redis_client = redis_library.Redis.from_url(
                settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
            )
        client = _redis_client
    try:
        client.ping()
    except Exception:
        return Check(False, "Redis does not answer")
    return Check(True, "answers")


def worker_heartbeat_age() -> float | None:
    """Seconds since the newest heartbeat of a task worker, None when none ever beat."""
    from onthaal.operations.models import WorkerHeartbeat

    newest = WorkerHeartbeat.objects.aggregate(newest=Max("beat_at"))["newest"]
    if newest is None:
        return None
    return max(0.0, (clock.now() - newest).total_seconds())


def worker() -> Check:
    try:
        age = worker_heartbeat_age()
    except Exception:
        return Check(False, "the worker's heartbeat cannot be read")
    if age is None:
        return Check(False, "no task worker has run")
    if age > READY_WORKER_SECONDS:
        return Check(False, f"no heartbeat for {age:.0f} s")
    return Check(True, f"heartbeat {age:.1f} s ago")


def outbox_oldest_due_seconds() -> dict[str, float | None]:
    """Per outbox, seconds that its oldest due message (pending or being sent) has waited."""
    from onthaal.appointments.models import Notification
    from onthaal.mail.models import OutgoingMessage

    now = clock.now()
    ages: dict[str, float | None] = {}
    for name, model in (("appointments", Notification), ("mail", OutgoingMessage)):
        oldest = model.objects.filter(
            status__in=[model.State.PENDING, model.State.SENDING], next_attempt_at__lte=now
        ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
        ages[name] = None if oldest is None else max(0.0, (now - oldest).total_seconds())
    return ages


def outbox() -> Check:
    try:
        ages = outbox_oldest_due_seconds()
    except Exception:
        return Check(False, "the outbox cannot be read")
    late = {name: age for name, age in ages.items() if age is not None}
    oldest = max(late.values(), default=0.0)
    if oldest > READY_OUTBOX_SECONDS:
        return Check(False, f"a due message has waited {oldest:.0f} s")
    return Check(True, f"oldest due message {oldest:.0f} s")


def readiness() -> tuple[bool, dict[str, Any]]:
    """(ready, the JSON body of /readyz)."""
    checks: dict[str, Check] = {"database": database()}
    found = redis()
    if found is not None:
        checks["redis"] = found
    if checks["database"].ok:
        checks["worker"] = worker()
        checks["outbox"] = outbox()
    else:  # the other two read the database: they cannot say
        checks["worker"] = checks["outbox"] = Check(False, "the database does not answer")
    ready = all(check.ok for check in checks.values())
    failing = [name for name, check in checks.items() if not check.ok]
    body = {
        "status": "ready" if ready else "unready",
        "failing": failing,
        "checks": {name: asdict(check) for name, check in checks.items()},
    }
    return ready, body


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def beat(name: str, started_at: dt.datetime) -> None:
    """Write this worker's heartbeat (one upsert)."""
    from onthaal.operations.models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker=name,
        defaults={"beat_at": clock.now()},
        create_defaults={"beat_at": clock.now(), "started_at": started_at},
    )


def forget_gone_workers() -> int:
    from onthaal.operations.models import WorkerHeartbeat

    deleted, _ = WorkerHeartbeat.objects.filter(
        beat_at__lt=clock.now() - FORGET_WORKER_AFTER
    ).delete()
    return deleted
