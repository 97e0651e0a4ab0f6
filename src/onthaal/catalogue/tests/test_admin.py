import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, staff
from onthaal.audit.models import Action, AuditEvent
from onthaal.catalogue.models import (
    QUICK_TARGET_MAX,
    QUICK_TARGET_MINUTES,
    Channel,
    Product,
    ProductChannel,
    quick_targets,
)

pytestmark = pytest.mark.django_db


def _product(department, slug):
    return Product.objects.create(department=department, slug=slug, name_nl=slug.title())


def _form(department, slug, name):
    return {
        "department": department.pk,
        "slug": slug,
        "active": "on",
        "name_nl": name,
        "channels-TOTAL_FORMS": "1",
        "channels-INITIAL_FORMS": "0",
        "channels-MIN_NUM_FORMS": "0",
        "channels-MAX_NUM_FORMS": "1000",
        "channels-0-channel": "appointment",
        "channels-0-duration_minutes": "15",
    }


def test_team_lead_sees_and_edits_only_own_department_products(client):
    own, other = DepartmentFactory(), DepartmentFactory()
    mine, theirs = _product(own, "mine"), _product(other, "theirs")
    client.force_login(staff(Role.TEAM_LEAD, own))
    listing = client.get(reverse("admin:catalogue_product_changelist"))
    assert listing.status_code == 200
    assert list(listing.context["cl"].queryset) == [mine]
    assert client.get(reverse("admin:catalogue_product_change", args=[theirs.pk])).status_code in (
        302,
        403,
    )


def test_team_lead_creates_product_and_it_is_audited(client):
    own = DepartmentFactory()
    client.force_login(staff(Role.TEAM_LEAD, own))
    response = client.post(reverse("admin:catalogue_product_add"), _form(own, "nieuw", "Nieuw"))
    assert response.status_code == 302, response.context and response.context["adminform"].errors
    product = Product.objects.get(slug="nieuw")
    assert product.channels.get().duration_minutes == 15
    event = AuditEvent.objects.get(action=Action.CREATE, object_type="catalogue.product")
    assert event.object_id == str(product.pk)
    assert event.department_id == own.pk


def test_team_lead_cannot_create_in_another_department(client):
    own, other = DepartmentFactory(), DepartmentFactory()
    client.force_login(staff(Role.TEAM_LEAD, own))
    response = client.post(reverse("admin:catalogue_product_add"), _form(other, "x", "X"))
    assert response.status_code == 200
    assert "department" in response.context["adminform"].errors
    assert not Product.objects.filter(slug="x").exists()


def test_desk_agent_has_no_admin(client):
    client.force_login(staff(Role.DESK_AGENT, DepartmentFactory()))
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert response.templates[0].name == "accounts/login.html"


def test_admin_change_records_changed_fields(client):
    dept = DepartmentFactory()
    product = _product(dept, "p")
    client.force_login(staff(Role.ADMIN))
    data = _form(dept, "p", "Nieuwe naam")
    data["channels-TOTAL_FORMS"] = "0"
    response = client.post(reverse("admin:catalogue_product_change", args=[product.pk]), data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action=Action.UPDATE, object_type="catalogue.product")
    assert "name_nl" in str(event.details["changed"]) or "Name (Dutch)" in str(
        event.details["changed"]
    )


def test_a_product_is_marked_quick_in_the_admin_with_its_target(client):
    """A product is served at the quick counter when it has that channel; its target is the
    service time to stay within (empty: the default 5 minutes, ``quick_targets``)."""
    own = DepartmentFactory()
    client.force_login(staff(Role.TEAM_LEAD, own))
    data = _form(own, "uittreksel", "Uittreksel")
    data["channels-0-channel"] = "quick_counter"
    data["channels-0-duration_minutes"] = "5"
    data["channels-0-target_minutes"] = "3"
    response = client.post(reverse("admin:catalogue_product_add"), data)
    assert response.status_code == 302
    quick = Product.objects.get(slug="uittreksel")
    other = _product(own, "ander")
    ProductChannel.objects.create(product=other, channel=Channel.QUICK_COUNTER)
    _product(own, "traag")
    assert quick_targets() == {quick.pk: 3, other.pk: QUICK_TARGET_MINUTES}

    listing = client.get(reverse("admin:catalogue_product_changelist"), {"quick": "1"})
    assert sorted(p.slug for p in listing.context["cl"].queryset) == ["ander", "uittreksel"]
    slow = client.get(reverse("admin:catalogue_product_changelist"), {"quick": "0"})
    assert [p.slug for p in slow.context["cl"].queryset] == ["traag"]


def test_a_target_is_only_for_the_quick_counter_and_at_most_20_minutes(client):
    own = DepartmentFactory()
    client.force_login(staff(Role.TEAM_LEAD, own))
    for channel, target in [("walk_in", "5"), ("quick_counter", "21")]:
        data = _form(own, "fout", "Fout")
        data["channels-0-channel"] = channel
        data["channels-0-target_minutes"] = target
        response = client.post(reverse("admin:catalogue_product_add"), data)
        assert response.status_code == 200, channel
        assert not Product.objects.filter(slug="fout").exists()
    product = _product(own, "p")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductChannel.objects.create(product=product, channel=Channel.WALK_IN, target_minutes=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductChannel.objects.create(
            product=product, channel=Channel.QUICK_COUNTER, target_minutes=QUICK_TARGET_MAX + 1
        )
