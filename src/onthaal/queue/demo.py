"""Queues of the demo municipality: one per department and location, served by its desks."""

from __future__ import annotations

from onthaal.catalogue.models import Channel, Product
from onthaal.organisation.models import Department, Desk, Location
from onthaal.queue.models import Queue

# (location slug, department slug, prefix, name, desk names)
DEMO_QUEUES = [
    (
        "administratief-centrum",
        "burgerzaken",
        "B",
        "Burgerzaken",
        ["Balie 1", "Balie 2", "Balie 3", "Balie 4"],
    ),
    ("administratief-centrum", "onthaal", "S", "Snelbalie", ["Snelbalie", "Onthaal"]),
    ("administratief-centrum", "omgeving", "O", "Omgeving", ["Balie 5"]),
    (
        "sociaal-huis",
        "sociale-dienst",
        "M",
        "Sociale Dienst",
        ["Spreekkamer 1", "Spreekkamer 2", "Spreekkamer 3"],
    ),
    ("sociaal-huis", "onthaal", "A", "Onthaal", ["Onthaal Sociaal Huis"]),
]


def load_demo_queues() -> None:
    for location_slug, department_slug, prefix, name, desk_names in DEMO_QUEUES:
        location = Location.objects.get(slug=location_slug)
        department = Department.objects.get(slug=department_slug)
        queue = Queue.objects.create(
            location=location, department=department, prefix=prefix, name=name
        )
        if prefix == "S":
            # The quick counter: short matters of reception and Burgerzaken (pick-ups).
            products = Product.objects.filter(channels__channel=Channel.QUICK_COUNTER)
        else:
            # A department's own desks: its walk-in products. What the location's quick
            # counter serves is not offered again here, so the kiosk shows each product once.
            products = Product.objects.filter(
                department=department, channels__channel=Channel.WALK_IN
            )
            if any(slug == location_slug and p == "S" for slug, _, p, _, _ in DEMO_QUEUES):
                products = products.exclude(channels__channel=Channel.QUICK_COUNTER)
        queue.products.set(products.distinct())
        queue.desks.set(Desk.objects.filter(location=location, name__in=desk_names))
