"""A writer process of bench_audit: its own Django and database connection, as an app process
has. Imports Django only once started (a spawned process imports this module first)."""

from __future__ import annotations

import os
from typing import Any


def append(count: int) -> None:
    """``count`` audit events, each in its own transaction, as page views write them."""
    from django.db import transaction

    from onthaal.audit.services import record_event

    for i in range(count):
        with transaction.atomic():
            record_event(action="view", object_type="bench", object_id=i, details={"i": i})


# Appends each writer makes before the measured ones, as a served app process has made many: the
# first ones of a process also import code, read the roles' cache and have PostgreSQL plan the
# statements that psycopg prepares from their fifth run on.
WARM_UP = 50


def run(database_url: str, count: int, ready: Any, start: Any) -> None:
    os.environ["DATABASE_URL"] = database_url  # the pool and its prepared statements, as served
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    append(WARM_UP)
    ready.release()
    start.wait()
    append(count)
    connection.close()
