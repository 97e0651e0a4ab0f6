"""500 e-loket requests filed at once through two app processes (two ``onthaal serve`` on one
PostgreSQL, the cache shared through Redis), each with a proof of work solved against a
challenge of the process it is sent to and an uploaded file, through the public API as an
integration or the browser's script would send them.

Every request is filed once, with a gapless mail register number (1..500, none twice), a
structured communication of its own, and its upload stored and readable with the bytes that
were sent. The number of submissions is ``ONTHAAL_TEST_ELOKET_SUBMISSIONS`` (default 500);
the wall-clock time is written to test-artifacts/, not asserted (figures belong in bench/)."""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from django.db import connection

from tests.test_cache_invalidation import _app_process, _database_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("live"),
]

SUBMISSIONS = int(os.environ.get("ONTHAAL_TEST_ELOKET_SUBMISSIONS", "500"))
CLIENTS = 16
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# What the run took, for the record (not asserted).
FIGURES = Path(__file__).resolve().parents[2] / "test-artifacts" / "eloket-two-processes.txt"


def _env(data_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SECRET_KEY": "tests-only",
        "DEBUG": "0",
        "DB_POOL": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "ONTHAAL_DATA_DIR": str(data_dir),  # both processes store the uploads here
        "REDIS_URL": REDIS_URL,
        "ONTHAAL_INSTALL_PREFIX": f"test-eloket-{uuid.uuid4().hex[:8]}",
        # One machine sends everything: the per-connection limit would stop it at 10.
        "ONTHAAL_ELOKET_PER_IP": str(SUBMISSIONS * 2),
        # A lighter proof than a phone's, so the test's one client solves 500 of them.
        "ONTHAAL_ALTCHA_MAX_NUMBER": "2000",
    }
    env.pop("ONTHAAL_READ_CACHE", None)
    return env


def _solve(challenge: dict[str, Any]) -> str:
    from onthaal.appointments import proof

    return proof.solve(challenge)


def _file(n: int) -> bytes:
    from onthaal.mail.samples import text_pdf

    return text_pdf(f"Inschrijvingsbewijs {n}")


def test_500_submissions_through_two_app_processes_get_gapless_numbers_and_keep_every_upload(
    settings: Any, tmp_path: Path
) -> None:
    from django.core.files.storage import storages

    from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory
    from onthaal.eloket.models import Request, RequestFile
    from onthaal.eloket.tests.conftest import make_product
    from onthaal.mail import documents
    from onthaal.mail.models import MailItem

    department = DepartmentFactory(organisation=OrganisationFactory(name="Gemeente Twee"))
    make_product(
        department,
        "twee-kaart",
        [
            {"key": "plate", "kind": "text", "required": True},
            {"key": "proof", "kind": "file", "required": True},
        ],
        price="25.00",
    )
    files = {n: _file(n) for n in range(SUBMISSIONS)}
    connection.close()  # the app processes use the database from here
    env = _env(tmp_path)

    with _app_process(env) as first, _app_process(env) as second:
        ports = (first, second)

        def submit(n: int) -> tuple[int, int, float]:
            port = ports[n % 2]
            base = f"http://127.0.0.1:{port}/api/v1"
            with requests.Session() as http:
                challenge = http.get(f"{base}/appointments/challenge/", timeout=60).json()
                started = time.perf_counter()
                answer = http.post(
                    f"{base}/eloket/requests/",
                    data={
                        "product": "twee-kaart",
                        "answers": json.dumps({"plate": f"PLATE-{n}"}),
                        "email": f"burger{n}@example.org",
                        "altcha": _solve(challenge),
                    },
                    files={"proof": (f"{n}.pdf", files[n], "application/pdf")},
                    timeout=120,
                )
            return n, answer.status_code, time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(submit, range(SUBMISSIONS)))
        wall = time.perf_counter() - started

    refused = [(n, status) for n, status, _s in results if status != 201]
    assert refused == []
    seconds = [s for _n, _status, s in results]
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(
        f"{SUBMISSIONS} submissions, 2 app processes, {CLIENTS} clients: {wall:.1f} s wall, "
        f"{SUBMISSIONS / wall:.1f}/s; per submission median "
        f"{statistics.median(seconds) * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms\n"
    )

    assert Request.objects.count() == SUBMISSIONS
    sequences = sorted(MailItem.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, SUBMISSIONS + 1))
    assert Request.objects.values("register_number").distinct().count() == SUBMISSIONS
    assert Request.objects.values("communication").distinct().count() == SUBMISSIONS
    plates = sorted(Request.objects.values_list("answers__plate", flat=True))
    assert plates == sorted(f"PLATE-{n}" for n in range(SUBMISSIONS))

    settings.STORAGES = {
        **settings.STORAGES,
        "mail": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    storages._storages.pop("mail", None)
    try:
        attached = RequestFile.objects.select_related("request", "document")
        assert attached.count() == SUBMISSIONS
        for one in attached:
            n = int(one.request.answers["plate"].split("-")[1])
            data = documents.get(one.document.sha256)
            assert data == files[n]
            assert one.document.sha256 == hashlib.sha256(files[n]).hexdigest()
    finally:
        storages._storages.pop("mail", None)
