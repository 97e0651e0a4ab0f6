"""Run the background task worker (django-tasks database backend)."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the task worker: notifications, reminders, retention and end-of-day jobs."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls.")

    def handle(self, *args: Any, interval: float, **options: Any) -> None:
        call_command("db_worker", interval=interval, reload=False, queue_name="*")
