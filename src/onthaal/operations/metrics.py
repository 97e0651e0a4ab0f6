"""Prometheus metrics that processes count as things happen (``prometheus_client``).

The figures that live in the database — tickets waiting per queue, the outboxes' backlog and
failures, the worker's heartbeat — are read when ``/metrics`` is scraped
(``onthaal.operations.collectors``), so every app process answers the same.

Several processes, one answer: ``onthaal serve``, ``worker`` and ``demo`` set
``PROMETHEUS_MULTIPROC_DIR`` (``onthaal.cli``, before this module is first imported) to
``ONTHAAL_METRICS_DIR`` (default ``<data dir>/metrics``); every process of the install then
writes its counts to files there and any app process sums them for a scrape (prometheus_client's
multiprocess mode). Without it (tests, ``manage.py shell``) the counts are the process's own.
At their start ``serve`` and ``worker`` remove the files of processes that no longer run, so a
counter falls back when one restarts, which Prometheus's ``rate()`` treats as a reset.

Labels never hold a raw path or an id: a request is counted under its route's name
(``queue:ticket``), never ``/ticket/AbC.../``.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "onthaal_http_requests",
    "HTTP requests by route name, method and status code.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "onthaal_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CALL_PUBLISH_LAG = Histogram(
    "onthaal_call_publish_lag_seconds",
    "From a call (or recall) at a desk to its event being sent down a screen's stream.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
)
AUDIT_APPENDS = Counter(
    "onthaal_audit_events",
    "Audit events appended (committed), by action.",
    ["action"],
)
FAILED_LOGINS = Counter(
    "onthaal_failed_logins",
    "Failed staff sign-ins (a wrong password or second-factor code; audited as login_failed).",
)
TASKS = Counter(
    "onthaal_tasks",
    "Background tasks the worker ran, by task and outcome.",
    ["task", "status"],
)
