"""The ``onthaal`` console command: Django's management commands plus Onthaal's own.

onthaal demo [--port N]           migrate, load the demo, serve and run the worker
onthaal serve [--port N] [--workers N]
onthaal worker
onthaal load-demo
onthaal audit verify
onthaal mail destroy              carry out approved mail destruction lists
onthaal token create USERNAME [--name kiosk-1] | revoke USERNAME --name N | list
onthaal <any Django management command>
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        command = args[1]
        if command == "demo":
            # The demo is a development install: DEBUG on, embedded defaults.
            os.environ.setdefault("DEBUG", "1")
        args[1] = {"load-demo": "load_demo"}.get(command, command)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onthaal.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
