"""The quick counter apart in the figures: its visits, and the share served within each
product's target, read from the rollups' histograms, equal a count straight from the facts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from onthaal.catalogue.models import QUICK_TARGET_MINUTES, Product, quick_targets
from onthaal.reporting import facts, report, selectors
from onthaal.reporting.models import Visit

pytestmark = pytest.mark.django_db


def test_the_share_within_target_equals_a_count_of_the_facts(history):
    scope = selectors.scope_for(
        history["users"]["manager"], start=dt.date(2027, 1, 12), end=dt.date(2027, 3, 22)
    )
    rows = selectors.grouped_by(
        scope, ("location", "department", "product", "channel"), fields=report.PLACE
    )
    targets = quick_targets()
    bags = Product.objects.get(slug="huisvuilzakken").pk
    assert targets[bags] == 3 and QUICK_TARGET_MINUTES == 5
    counter = report.quick_figure({}, rows, targets)

    quick = Visit.objects.filter(
        channel=facts.QUICK_COUNTER,
        service_day__range=(scope.start, scope.end),
        department_id__in=scope.department_ids,
    )
    timed = [v for v in quick if v.service_seconds is not None]
    within = [
        v
        for v in timed
        if v.service_seconds <= targets.get(v.product_id, QUICK_TARGET_MINUTES) * 60
    ]
    assert quick.count() > 0 and 0 < len(within) < len(timed)
    assert any(v.product_id == bags for v in timed)
    assert (counter.visits, counter.measured, counter.within) == (
        quick.count(),
        len(timed),
        len(within),
    )


def test_the_dashboard_shows_the_quick_counter_apart(client, history):
    client.force_login(history["users"]["manager"])
    with translation.override("en"):
        page = client.get(
            "/staff/reports/",
            {"start": "2027-01-12", "end": "2027-03-22"},
            HTTP_ACCEPT_LANGUAGE="en",
        ).content.decode()
    assert 'id="figure-quick"' in page
    assert "Quick counter within target" in page
