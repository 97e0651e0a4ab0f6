"""The dashboard for managers and team leads: scoped by role and department, every chart with
its table and summary, filters, two periods compared; each view audited."""

from __future__ import annotations

import re

import pytest

from onthaal.audit.models import AuditEvent
from onthaal.reporting.models import Visit

pytestmark = pytest.mark.django_db

URL = "/staff/reports/"


def _get(client, user, params=None):
    client.force_login(user)
    return client.get(URL, params or {}, HTTP_ACCEPT_LANGUAGE="en")


def test_a_manager_sees_every_figure_with_its_table_and_summary(client, history):
    response = _get(
        client, history["users"]["manager"], {"start": "2027-01-12", "end": "2027-03-22"}
    )

    assert response.status_code == 200
    page = response.content.decode()
    figures = re.findall(r'<section class="card figure" id="figure-([a-z]+)"', page)
    assert figures == [
        "visitors",
        "heatmap",
        "products",
        "channels",
        "waiting",
        "service",
        "quick",
        "outcomes",
        "capacity",
        "survey",
        "desks",
    ]
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg"') == len(figures)
    assert page.count('class="figure-summary"') == len(figures)
    assert page.count("<table>") >= len(figures)
    assert "<script" not in page
    event = AuditEvent.objects.filter(object_type="reporting.dashboard").latest("pk")
    assert (event.action, event.actor_label) == ("view", "manager")
    assert event.details["from"] == "2027-01-12"


def test_scope_follows_role_and_department(client, history):
    manager = _get(client, history["users"]["manager"]).context["scope"]
    lead = _get(client, history["users"]["teamlead"]).context["scope"]

    # The manager (administration-wide) sees every department but the OCMW's confidential one;
    # the team lead only Burgerzaken.
    assert history["sd"].pk not in manager.department_ids
    assert len(manager.department_ids) == 3
    assert lead.department_ids == (history["bz"].pk,)
    assert Visit.objects.filter(department=history["sd"]).exists()


def test_the_social_service_figures_are_for_its_own_team_lead_only(client, history):
    from onthaal.accounts.models import Membership, Role

    social_lead = history["users"]["mw"]
    Membership.objects.create(user=social_lead, department=history["sd"], role=Role.TEAM_LEAD)

    scope = _get(client, social_lead).context["scope"]

    assert scope.department_ids == (history["sd"].pk,)


def test_staff_without_the_capability_are_refused_and_the_refusal_is_audited(client, history):
    response = _get(client, history["users"]["balie"])

    assert response.status_code == 403
    event = AuditEvent.objects.filter(action="permission_denied").latest("pk")
    assert (event.actor_label, event.object_type) == ("balie", "reporting.dashboard")
    assert not AuditEvent.objects.filter(object_type="reporting.dashboard", action="view").exists()


def test_a_department_outside_the_scope_is_not_a_choice(client, history):
    response = _get(client, history["users"]["teamlead"], {"department": history["sd"].pk})

    assert response.status_code == 200
    assert "department" in response.context["form"].errors
    assert response.context["scope"].department_ids == (history["bz"].pk,)


def test_filters_and_two_periods_compared(client, history):
    from onthaal.catalogue.models import Product

    product = Product.objects.get(slug="eid-aanvragen")
    response = _get(
        client,
        history["users"]["manager"],
        {
            "start": "2027-02-01",
            "end": "2027-02-28",
            "product": product.pk,
            "channel": "appointment",
            "compare_start": "2026-02-02",
            "compare_end": "2026-03-01",
        },
    )

    scope = response.context["scope"]
    assert (scope.product_id, scope.channel) == (product.pk, "appointment")
    rows = response.context["comparison"]
    assert [r[0] for r in rows][:2] == ["Visits", "Visits per day"]
    expected = Visit.objects.filter(
        service_day__range=("2027-02-01", "2027-02-28"),
        product_id=product.pk,
        channel="appointment",
        department_id__in=scope.department_ids,
    ).count()
    assert int(rows[0][1].replace(",", "")) == expected > 0
    assert 'id="comparison"' in response.content.decode()


def test_bad_dates_get_field_errors_and_the_default_period(client, history):
    response = _get(
        client, history["users"]["manager"], {"start": "2027-03-01", "end": "2027-02-01"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["end"]
    assert response.context["scope"].end.isoformat() == "2027-03-21"  # the last full week
