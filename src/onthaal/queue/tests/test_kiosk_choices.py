"""What the demo's kiosks offer: each product in one queue of a location (the quick counter's
pick-ups are not offered again at Burgerzaken), and Omgeving more than "something else"."""

from __future__ import annotations

import collections

import pytest

from onthaal.organisation.models import Location
from onthaal.queue.models import Queue

pytestmark = pytest.mark.django_db


def test_each_product_is_offered_in_one_queue_of_a_location(zonnedoorn):
    for location in Location.objects.all():
        offered = collections.Counter(
            Queue.products.through.objects.filter(queue__location=location).values_list(
                "product__slug", flat=True
            )
        )
        assert offered and max(offered.values()) == 1, (location.slug, offered)


def test_omgeving_and_the_quick_counter_offer_their_products(zonnedoorn):
    ac = zonnedoorn["ac"]
    omgeving = Queue.objects.get(location=ac, prefix="O")
    assert list(omgeving.products.values_list("slug", flat=True)) == ["omgevingsvergunning-info"]
    quick = set(Queue.objects.get(location=ac, prefix="S").products.values_list("slug", flat=True))
    assert {"eid-afhalen", "huisvuilzakken"} <= quick
    burgerzaken = set(zonnedoorn["burgerzaken"].products.values_list("slug", flat=True))
    assert "eid-aanvragen" in burgerzaken and not burgerzaken & quick
    sociaal_huis_onthaal = Queue.objects.get(location=zonnedoorn["sh"], prefix="A")
    assert "huisvuilzakken" in sociaal_huis_onthaal.products.values_list("slug", flat=True)
