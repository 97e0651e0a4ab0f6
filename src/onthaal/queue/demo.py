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

WALK_IN_CHANNELS = (Channel.WALK_IN, Channel.QUICK_COUNTER)


def load_demo_queues() -> None:
    for location_slug, department_slug, prefix, name, desk_names in DEMO_QUEUES:
        location = Location.objects.get(slug=location_slug)
        department = Department.objects.get(slug=department_slug)
        queue = Queue.objects.create(
            location=location, department=department, prefix=prefix, name=name
        )
        products = Product.objects.filter(channels__channel__in=WALK_IN_CHANNELS).distinct()
        if prefix == "S":
            # The quick counter: short matters of reception and Burgerzaken (pick-ups).
            products = products.filter(channels__channel=Channel.QUICK_COUNTER)
        else:
            products = products.filter(department=department)
        queue.products.set(products)
        queue.desks.set(Desk.objects.filter(location=location, name__in=desk_names))
