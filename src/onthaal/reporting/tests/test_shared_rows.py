"""The dashboard reads a few rollup queries and shares their rows between figures
(``report.build``): each figure equals the one the figure makes with its own query, and the
advice kept between requests equals a fresh one."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from onthaal.catalogue.models import Product
from onthaal.reporting import advisor, report, selectors

pytestmark = pytest.mark.django_db


def test_the_shared_rows_give_each_figure_what_its_own_query_gives(history):
    scope = selectors.scope_for(
        history["users"]["manager"], start=dt.date(2027, 1, 12), end=dt.date(2027, 3, 22)
    )
    with translation.override("en"):
        built = {f.key: f for f in report.build(scope).figures}
        names = {p.pk: p.name for p in Product.objects.all()}
        alone = {
            "heatmap": report.heatmap_figure(scope),
            "products": report.product_figure(scope, names),
            "waiting": report.waiting_figure(scope)[0],
            "service": report.service_time_figure(scope, names),
            "outcomes": report.outcome_figure(scope),
            "capacity": report.capacity_figure(scope),
        }
        fresh = advisor.advise(scope)
        kept = report.build(scope).advice

    assert built["products"].rows, "the history has visits in the period"
    for key, figure in alone.items():
        assert (built[key].summary, built[key].rows) == (figure.summary, figure.rows), key
    assert [p.texts for p in kept] == [p.texts for p in fresh]
    assert [[n.desks_needed for n in p.needs] for p in kept] == [
        [n.desks_needed for n in p.needs] for p in fresh
    ]
