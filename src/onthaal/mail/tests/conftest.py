"""What the mail tests share: two organisations (a municipality and its OCMW), Burgerzaken and
the confidential Sociale Dienst, document types, and one person per role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import DepartmentFactory, OrganisationFactory, staff
from onthaal.core import clock
from onthaal.mail.models import Confidentiality, Correspondent, DocumentType
from onthaal.organisation.models import Organisation


@pytest.fixture(autouse=True)
def _document_storage(settings: Any, tmp_path: Any) -> None:
    """Each test stores its documents in a directory of its own."""
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


@pytest.fixture(autouse=True)
def _no_refusal_left_behind() -> Any:
    """A refusal kept aside in a test's transaction must be flushed (and counted) by the test
    itself, not leak into the next test on the same worker."""
    from onthaal.audit import services as audit_services

    yield
    left = audit_services._pending_refusals.get()
    audit_services._pending_refusals.set(None)
    assert not left, f"refusals not flushed: {left}"


@dataclass
class World:
    gemeente: Organisation
    ocmw: Organisation
    burgerzaken: Any
    omgeving: Any
    sociale_dienst: Any
    letter: DocumentType
    social: DocumentType
    clerk: Any
    lead: Any
    agent: Any
    agent2: Any
    social_worker: Any
    manager: Any
    auditor: Any
    citizen: Correspondent


@pytest.fixture
def world(db: None) -> World:
    gemeente = OrganisationFactory(name="Gemeente Testdorp")
    ocmw = OrganisationFactory(name="OCMW Testdorp", kind=Organisation.Kind.OCMW)
    burgerzaken = DepartmentFactory(organisation=gemeente, name="Burgerzaken")
    omgeving = DepartmentFactory(organisation=gemeente, name="Omgeving")
    sociale_dienst = DepartmentFactory(organisation=ocmw, name="Sociale Dienst", confidential=True)
    return World(
        gemeente=gemeente,
        ocmw=ocmw,
        burgerzaken=burgerzaken,
        omgeving=omgeving,
        sociale_dienst=sociale_dienst,
        letter=DocumentType.objects.create(name="Brief", answer_days=30),
        social=DocumentType.objects.create(
            name="Sociaal dossier", answer_days=14, confidentiality=Confidentiality.CONFIDENTIAL
        ),
        clerk=staff(Role.MAIL_CLERK, None, username="post"),
        lead=staff(Role.TEAM_LEAD, burgerzaken, username="lead"),
        agent=staff(Role.DESK_AGENT, burgerzaken, username="agent"),
        agent2=staff(Role.DESK_AGENT, burgerzaken, username="agent2"),
        social_worker=staff(Role.SOCIAL_WORKER, sociale_dienst, username="mw"),
        manager=staff(Role.MANAGER, None, username="manager"),
        auditor=staff(Role.AUDITOR, None, username="auditor"),
        citizen=Correspondent.objects.create(name="Jan Peeters", created_at=clock.now()),
    )
