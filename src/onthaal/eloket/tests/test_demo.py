"""The demo's e-loket: the products Flemish towns offer online, requests in every state, one
confidential OCMW request."""

from __future__ import annotations

import pytest

from onthaal.eloket.models import Request, Status
from onthaal.mail.models import Channel, MailItem

pytestmark = pytest.mark.django_db


def test_the_demo_has_requests_in_every_state_each_in_the_mail_register() -> None:
    from onthaal.demo import zonnedoorn

    zonnedoorn.load()
    assert set(Request.objects.values_list("status", flat=True)) == set(Status.values)
    assert Request.objects.filter(confidential=True, department__slug="sociale-dienst").exists()
    assert Request.objects.filter(amount__gt=0).exists()
    items = MailItem.objects.filter(eloket_request__isnull=False)
    assert set(items.values_list("channel", flat=True)) == {Channel.ELOKET}
    assert items.count() == Request.objects.count()
    # And no incoming e-loket item without its request (the generated year of mail has none).
    orphans = MailItem.objects.filter(channel=Channel.ELOKET, direction="in")
    assert not orphans.filter(eloket_request__isnull=True).exists()
    slugs = set(Request.objects.values_list("product__slug", flat=True))
    assert {"attest-woonst", "strafregister", "bewonersparkeerkaart", "melding-openbaar-domein",
            "renovatiepremie", "recyclageparkkaart", "hulpvraag-sociale-dienst"} <= slugs  # fmt: skip
