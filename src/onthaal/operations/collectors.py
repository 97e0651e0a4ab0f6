"""The figures of ``/metrics`` read from the database when it is scraped: the same from every
app process, whatever process changed them."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from django.db.models import Count, Q
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from onthaal.core import clock
from onthaal.operations import health

log = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    """Tickets waiting per queue, the outboxes' backlog, failures and oldest due message, the
    live events kept for the worker to relay, and the age of the worker's heartbeat. A
    database that does not answer leaves them out (``onthaal_database_up`` says 0)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("onthaal_database_up", "1 when the database answered this scrape.")
        try:
            families = list(self._families())
        except Exception:
            log.warning("metrics: the database did not answer", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[GaugeMetricFamily]:
        from onthaal.appointments.models import Notification
        from onthaal.mail.models import OutgoingMessage
        from onthaal.queue.models import KeptLiveEvent, Queue, Status, Ticket

        waiting = GaugeMetricFamily(
            "onthaal_tickets_waiting",
            "Tickets waiting today, per location and queue.",
            labels=["location", "queue"],
        )
        counts = {
            row["queue_id"]: row["n"]
            for row in Ticket.objects.filter(status=Status.WAITING, service_day=clock.today())
            .values("queue_id")
            .annotate(n=Count("pk"))
        }
        for queue_id, location, prefix in Queue.objects.values_list(
            "pk", "location__slug", "prefix"
        ).order_by("location__slug", "prefix"):
            waiting.add_metric([location, prefix], counts.get(queue_id, 0))
        yield waiting

        backlog = GaugeMetricFamily(
            "onthaal_outbox_pending",
            "Messages waiting to be sent (pending or being sent), per outbox.",
            labels=["outbox"],
        )
        failed = GaugeMetricFamily(
            "onthaal_outbox_failed",
            "Messages given up on after their last attempt, per outbox.",
            labels=["outbox"],
        )
        oldest = GaugeMetricFamily(
            "onthaal_outbox_oldest_due_seconds",
            "How long the oldest due message has waited to be sent (0: none), per outbox.",
            labels=["outbox"],
        )
        ages = health.outbox_oldest_due_seconds()
        for name, model in (("appointments", Notification), ("mail", OutgoingMessage)):
            row = model.objects.aggregate(
                pending=Count(
                    "pk", filter=Q(status__in=[model.State.PENDING, model.State.SENDING])
                ),
                failed=Count("pk", filter=Q(status=model.State.FAILED)),
            )
            backlog.add_metric([name], row["pending"])
            failed.add_metric([name], row["failed"])
            oldest.add_metric([name], ages[name] or 0.0)
        yield backlog
        yield failed
        yield oldest

        kept = GaugeMetricFamily(
            "onthaal_live_events_kept",
            "Live events an app process could not publish, kept for the worker to relay.",
        )
        kept.add_metric([], KeptLiveEvent.objects.count())
        yield kept

        heartbeat = GaugeMetricFamily(
            "onthaal_worker_heartbeat_age_seconds",
            "Seconds since a task worker last wrote its heartbeat (absent: none ever did).",
        )
        age = health.worker_heartbeat_age()
        if age is not None:
            heartbeat.add_metric([], age)
        yield heartbeat
