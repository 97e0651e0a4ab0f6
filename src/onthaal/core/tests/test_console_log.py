"""The console log of a development install: each line once; a refusal is one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import logging, django
django.setup()
from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.test import RequestFactory
logging.getLogger("django.request").info("one line of django")
from django.contrib.auth.models import AnonymousUser
request = RequestFactory().get("/staff/desk/")
request.user = AnonymousUser()
try:
    raise PermissionDenied("not for you")
except PermissionDenied as exc:
    response_for_exception(request, exc)
try:
    raise RuntimeError("a real fault")
except RuntimeError:
    logging.getLogger("django.request").error("Server error", exc_info=True,
                                              extra={"status_code": 500})
"""


def test_each_line_once_and_a_403_without_traceback(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEBUG": "1",
        "ONTHAAL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "onthaal.settings",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    log = result.stderr
    assert log.count("one line of django") == 1, log
    assert log.count("Forbidden (Permission denied): /staff/desk/") == 1, log
    assert "PermissionDenied" not in log, log
    assert log.count("Traceback") == 1, log  # the server error's, once
    assert "RuntimeError: a real fault" in log
