"""E-loket requests filed at the same moment on PostgreSQL (threads, each with its own
connection): every request gets its own gapless mail register number, nothing is filed twice,
no upload is lost, and a double-clicked submit files one request."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory
from onthaal.eloket import services
from onthaal.eloket.models import Request, RequestFile
from onthaal.eloket.tests.conftest import make_product
from onthaal.mail import documents
from onthaal.mail.models import MailItem
from onthaal.mail.samples import text_pdf
from tests.concurrency.threads import run_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("concurrency"),
]

THREADS = 16
EACH = 5


@pytest.fixture
def product(settings: Any, tmp_path: Any) -> Any:
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "mail": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    storages._storages.pop("mail", None)
    department = DepartmentFactory(organisation=OrganisationFactory(name="Gemeente Race"))
    yield make_product(
        department,
        "race-kaart",
        [
            {"key": "plate", "kind": "text", "required": True},
            {"key": "proof", "kind": "file", "required": True},
        ],
        price="25.00",
    )
    storages._storages.pop("mail", None)


def test_80_concurrent_submissions_get_80_gapless_numbers_and_keep_every_upload(product) -> None:
    sent: dict[str, str] = {}

    def work(n: int) -> None:
        for i in range(EACH):
            plate = f"{n}-{i}"
            data = text_pdf(f"Inschrijving {plate}")
            sent[plate] = hashlib.sha256(data).hexdigest()
            services.submit_request(
                product=product,
                answers={"plate": plate},
                email=f"burger{n}@example.org",
                uploads=[services.Upload("proof", f"{plate}.pdf", data)],
            )

    errors = run_at_once(THREADS, work)

    assert errors == []
    total = THREADS * EACH
    assert Request.objects.count() == total
    sequences = sorted(MailItem.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, total + 1))
    assert Request.objects.values("register_number").distinct().count() == total
    assert Request.objects.values("communication").distinct().count() == total
    stored = {
        f.request.answers["plate"]: f.document.sha256
        for f in RequestFile.objects.select_related("request", "document")
    }
    assert stored == sent
    for sha in stored.values():
        assert hashlib.sha256(documents.get(sha)).hexdigest() == sha


def test_ten_clicks_on_one_submit_file_one_request_and_use_one_number(product) -> None:
    filed: list[str] = []

    def work(n: int) -> None:
        request, _token = services.submit_request(
            product=product,
            answers={"plate": "1-ABC-123"},
            email="an@example.org",
            uploads=[services.Upload("proof", "a.pdf", text_pdf("a"))],
            idempotency_key="one-form-shown-once",
        )
        filed.append(request.reference)

    errors = run_at_once(10, work)

    assert errors == []
    assert len(set(filed)) == 1 and len(filed) == 10
    assert Request.objects.count() == 1
    assert list(MailItem.objects.values_list("sequence", flat=True)) == [1]
