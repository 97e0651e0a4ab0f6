"""The ``onthaal`` console command: Django's management commands plus Onthaal's own.

onthaal demo [--port N]           migrate, load the demo, serve and run the worker
onthaal practice [--reset] [--port N]
                                  the practice environment: the demo in its own data dir, with
                                  the "OEFENOMGEVING" banner; --reset starts from a fresh demo
onthaal serve [--port N] [--workers N]
onthaal worker
onthaal upgrade --check           the migrations an upgrade will run, and which lock big tables
onthaal load-demo
onthaal audit verify
onthaal mail destroy              carry out approved mail destruction lists
onthaal token create USERNAME [--name kiosk-1] | revoke USERNAME --name N | list
onthaal <any Django management command>

A command that cannot start says why in one line on stderr and exits with 2 — no traceback,
nothing created: a DATABASE_URL that is not a URL or whose server does not answer (within
``DB_CONNECT_TIMEOUT`` seconds, default 5, instead of the pool's wait), or a command that reads
an install (``audit``, ``token``, ``backup``, ``worker``) pointed at a data dir without one.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Commands that read an existing install: on a data dir without a database they would create
# one (and the data dir) only to fail on its missing tables.
READS_AN_INSTALL = {"audit", "token", "backup", "worker"}
# What `onthaal demo` sets unless the shell does (`LOG_LEVEL=INFO make demo` prints a line per
# task and per request again).
DEMO_DEFAULTS = {"DEBUG": "1", "LOG_LEVEL": "WARNING"}


def _fail(message: str) -> None:
    sys.stderr.write(f"onthaal: {message}\n")
    sys.exit(2)


def _preflight(command: str) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url and command in READS_AN_INSTALL:
        database = Path(os.environ.get("ONTHAAL_DATA_DIR", "var")).resolve() / "onthaal.sqlite3"
        if not database.exists():
            _fail(
                f"no Onthaal database at {database}: set ONTHAAL_DATA_DIR (or DATABASE_URL) to "
                "an install, or create one with `onthaal migrate`."
            )
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return
    import dj_database_url
    import psycopg

    try:
        config = dj_database_url.parse(url)
    except (ValueError, KeyError) as exc:
        _fail(f"DATABASE_URL is not a database URL: {exc}")
    try:
        psycopg.connect(
            dbname=config["NAME"] or "",
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            connect_timeout=int(os.environ.get("DB_CONNECT_TIMEOUT", "5")),
        ).close()
    except psycopg.Error as exc:
        where = f"{config['HOST'] or 'localhost'}:{config['PORT'] or 5432}/{config['NAME']}"
        reason = " ".join(str(exc).split())
        _fail(f"cannot connect to the database {where} (DATABASE_URL): {reason}")


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        command = args[1]
        if command == "demo":
            # The demo is a development install: DEBUG on, embedded defaults; warnings and
            # errors only in the log, so that its instructions stay on the screen.
            for name, value in DEMO_DEFAULTS.items():
                os.environ.setdefault(name, value)
        elif command == "practice":
            # Its own data dir and SQLite, never the real database (before settings load).
            from onthaal.help.practice import environment

            practice_env = environment(os.environ)
            os.environ.clear()
            os.environ.update(practice_env)
        args[1] = {"load-demo": "load_demo"}.get(command, command)
        if not command.startswith("-") and command not in ("help", "version"):
            _preflight(command)
        from onthaal.operations import multiprocess

        multiprocess.enable(command)  # before prometheus_client is first imported
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        from django.conf import settings

        settings.DATABASES  # noqa: B018 -- read the settings here, to say what is wrong
    except ImproperlyConfigured as exc:
        _fail(str(exc))
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
