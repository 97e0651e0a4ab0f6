"""The one table operations keep: the task workers' heartbeats."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """The last sign of life of each running task worker: ``onthaal worker`` writes its row
    every ``WORKER_HEARTBEAT_SECONDS`` and ``/readyz`` is ready while one row is recent. One
    row per worker process (``host:pid``); rows of workers gone for a day are removed."""

    worker = models.CharField(max_length=200, unique=True)
    beat_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField()

    class Meta:
        verbose_name = "worker heartbeat"
        verbose_name_plural = "worker heartbeats"

    def __str__(self) -> str:
        return f"{self.worker} {self.beat_at:%Y-%m-%d %H:%M:%S}"
