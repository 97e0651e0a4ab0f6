"""What the e-loket tests share: a municipality and its OCMW, Burgerzaken and the
confidential Sociale Dienst, products with a form, and one person per role."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory, staff
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.eloket.models import Form, FormField, FormVersion, ProductSettings
from onthaal.organisation.models import Organisation


@pytest.fixture(autouse=True)
def _document_storage(settings: Any, tmp_path: Any) -> Any:
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "mail": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents")},
        },
    }
    storages._storages.pop("mail", None)
    yield
    storages._storages.pop("mail", None)


def make_product(
    department: Any,
    slug: str,
    fields: list[dict[str, Any]],
    *,
    price: str = "0",
    needs_nn: bool = False,
    document_text: str = "",
) -> Product:
    product = Product.objects.create(department=department, slug=slug, name_nl=slug.title())
    ProductSettings.objects.create(
        product=product,
        price=Decimal(price),
        needs_national_number=needs_nn,
        lead_days=5,
        document_text=document_text,
        bring_nl="Een foto\nUw identiteitskaart",
    )
    form = Form.objects.create(product=product)
    version = FormVersion.objects.create(
        form=form, number=1, published=True, created_at=clock.now()
    )
    for position, spec in enumerate(fields, start=1):
        FormField.objects.create(
            version=version,
            position=position,
            label_nl=spec.get("label", spec["key"]),
            **{k: v for k, v in spec.items() if k != "label"},
        )
    return product


@dataclass
class World:
    burgerzaken: Any
    sociale_dienst: Any
    attest: Product  # free, a name and a reason
    parking: Product  # paid, with an upload
    strafregister: Product  # needs the national number
    ocmw: Product  # confidential department
    lead: Any
    agent: Any
    social_worker: Any
    manager: Any
    auditor: Any


@pytest.fixture
def world(db: None) -> World:
    gemeente = OrganisationFactory(name="Gemeente Testdorp")
    ocmw_org = OrganisationFactory(name="OCMW Testdorp", kind=Organisation.Kind.OCMW)
    burgerzaken = DepartmentFactory(organisation=gemeente, name="Burgerzaken")
    sociale_dienst = DepartmentFactory(
        organisation=ocmw_org, name="Sociale Dienst", confidential=True
    )
    attest = make_product(
        burgerzaken,
        "attest-woonst",
        [
            {"key": "name", "kind": "text", "required": True},
            {"key": "reason", "kind": "choice", "required": True, "choices": "werk\nschool"},
            {
                "key": "school",
                "kind": "text",
                "required": True,
                "show_when_key": "reason",
                "show_when_value": "school",
            },
        ],
        document_text="Attest van woonst voor {name}. Referentie {reference}.",
    )
    parking = make_product(
        burgerzaken,
        "bewonerskaart",
        [
            {"key": "plate", "kind": "text", "required": True},
            {"key": "registration", "kind": "file", "required": True},
        ],
        price="25.00",
    )
    strafregister = make_product(
        burgerzaken,
        "strafregister",
        [
            {"key": "nn", "kind": "national_number", "required": True},
            {"key": "purpose", "kind": "long_text"},
        ],
        needs_nn=True,
    )
    ocmw = make_product(
        sociale_dienst, "leefloon", [{"key": "question", "kind": "long_text", "required": True}]
    )
    return World(
        burgerzaken=burgerzaken,
        sociale_dienst=sociale_dienst,
        attest=attest,
        parking=parking,
        strafregister=strafregister,
        ocmw=ocmw,
        lead=staff(Role.TEAM_LEAD, burgerzaken, username="lead"),
        agent=staff(Role.DESK_AGENT, burgerzaken, username="agent"),
        social_worker=staff(Role.SOCIAL_WORKER, sociale_dienst, username="mw"),
        manager=staff(Role.MANAGER, None, username="manager"),
        auditor=staff(Role.AUDITOR, None, username="auditor"),
    )
