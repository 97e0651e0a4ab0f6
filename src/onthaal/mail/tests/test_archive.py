"""The package for the archive: the items an approved list transfers, with their original
documents, metadata and audit trail in a ZIP in the BagIt layout whose SHA-256 manifest holds
for the bytes in it. Built only by a retention officer (a refusal is recorded), confidential
items only for the members of their department, and building it is one ``export`` event."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from onthaal.accounts.models import Role
from onthaal.accounts.tests.factories import staff
from onthaal.audit.models import AuditEvent
from onthaal.core.clock import BRUSSELS
from onthaal.mail import retention, services
from onthaal.mail.models import DestructionList, Direction, DocumentType, FinalAction
from onthaal.mail.samples import scan_image, text_pdf
from onthaal.mail.services import Upload

pytestmark = pytest.mark.django_db

REGISTERED = dt.datetime(2015, 3, 10, 10, 0, tzinfo=BRUSSELS)
LIST_DAY = dt.datetime(2026, 1, 12, 9, 0, tzinfo=BRUSSELS)
PDF = text_pdf("Besluit van de gemeenteraad")
PNG = scan_image("Bijlage")


@pytest.fixture
def transfers(world: Any) -> dict[str, Any]:
    """Two approved lists of 2026: the municipality's transfers a council decision (two
    files) and destroys a letter; the OCMW's transfers a confidential social report."""
    decisions = DocumentType.objects.create(
        name="Raadsbesluit", retention_years=5, final_action=FinalAction.TRANSFER
    )
    world.letter.retention_years = 5
    world.letter.save()
    world.social.retention_years = 5
    world.social.final_action = FinalAction.TRANSFER
    world.social.save()
    with time_machine.travel(REGISTERED, tick=False):
        decision = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=decisions,
            subject="Besluit gemeenteraad",
            correspondent=world.citizen,
            files=[Upload("besluit raad.pdf", PDF), Upload("bijlage.png", PNG)],
        )
        services.close_item(actor=world.lead, item=decision)
        letter = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.burgerzaken,
            document_type=world.letter,
            subject="Brief",
        )
        services.close_item(actor=world.lead, item=letter)
        social = services.register_item(
            actor=world.clerk,
            direction=Direction.IN,
            department=world.sociale_dienst,
            document_type=world.social,
            subject="Sociaal verslag",
            handler=world.social_worker,
            files=[Upload("verslag.pdf", text_pdf("Verslag"))],
        )
        services.close_item(actor=world.social_worker, item=social)
    dpo = staff(Role.ADMIN, None, username="dpo")
    with time_machine.travel(LIST_DAY, tick=False):
        lists = {d.organisation: d for d in retention.propose_yearly()}
        for found in lists.values():
            retention.approve_list(actor=dpo, destruction_list=found)
    return {
        "decision": decision,
        "letter": letter,
        "social": social,
        "municipal": lists[world.gemeente],
        "ocmw": lists[world.ocmw],
        "dpo": dpo,
    }


def _bag(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as bag:
        names = bag.namelist()
        root = names[0].split("/")[0]
        assert all(n.startswith(root + "/") for n in names)
        return {n[len(root) + 1 :]: bag.read(n) for n in names}


def _manifest(text: bytes) -> dict[str, str]:
    lines = [line.split("  ", 1) for line in text.decode().splitlines()]
    return {path: digest for digest, path in lines}


def test_the_package_holds_the_transferred_items_and_its_manifest_holds_for_the_bytes(
    client, world, transfers
):
    decision = transfers["decision"]
    municipal = transfers["municipal"]
    client.force_login(world.auditor)
    page = client.get(municipal.get_absolute_url()).content.decode()
    url = reverse("mail:retention-archive", args=[municipal.pk])
    assert f'href="{url}"' in page
    mark = AuditEvent.objects.order_by("-pk").first().pk
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    files = _bag(b"".join(response.streaming_content))

    assert files["bagit.txt"] == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    manifest = _manifest(files["manifest-sha256.txt"])
    # Every payload file is in the manifest with the SHA-256 of its bytes, and nothing else.
    assert set(manifest) == {n for n in files if n.startswith("data/")}
    for path, digest in manifest.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    tags = _manifest(files["tagmanifest-sha256.txt"])
    assert set(tags) == {"bagit.txt", "bag-info.txt", "manifest-sha256.txt"}
    for path, digest in tags.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest, path
    payload = [n for n in files if n.startswith("data/")]
    info = files["bag-info.txt"].decode()
    assert f"Payload-Oxum: {sum(len(files[n]) for n in payload)}.{len(payload)}" in info
    assert "Source-Organization: Gemeente Testdorp" in info

    # Only the item to transfer (not the letter to destroy), with its original bytes.
    number = decision.register_number
    assert {n.split("/")[1] for n in payload if n.count("/") > 1} == {number}
    originals = sorted(n for n in payload if "/documents/" in n)
    assert originals == [
        f"data/{number}/documents/1-besluit_raad.pdf",
        f"data/{number}/documents/2-bijlage.png",
    ]
    assert files[originals[0]] == PDF and files[originals[1]] == PNG
    stored = {d.position: d.sha256 for d in decision.documents.all()}
    assert manifest[originals[0]] == stored[1] and manifest[originals[1]] == stored[2]

    metadata = json.loads(files[f"data/{number}/metadata.json"])
    assert metadata["registernummer"] == number and metadata["id"] == str(decision.public_id)
    assert metadata["informatieobjecttype"] == "Raadsbesluit"
    assert metadata["archiefnominatie"] == "blijvend_bewaren"
    assert metadata["correspondent"]["naam"] == "Jan Peeters"
    assert [d["sha256"] for d in metadata["documenten"]] == [stored[1], stored[2]]
    assert [d["pad"] for d in metadata["documenten"]] == originals
    assert json.loads(files["data/items.json"]) == [metadata]
    trail = json.loads(files[f"data/{number}/audit.json"])
    chained = list(
        AuditEvent.objects.filter(
            object_type="mail.item", object_id=number, organisation_id=decision.organisation_id
        ).values_list("hash", flat=True)
    )
    assert [e["hash"] for e in trail][: len(chained)] == chained
    assert [e["action"] for e in trail][:2] == ["create", "transition"]

    # One export event naming the item and the manifest.
    events = list(AuditEvent.objects.filter(pk__gt=mark))
    assert [e.action for e in events] == ["export"]
    assert events[0].actor_label == "auditor"
    assert events[0].details["items"] == [number]
    assert events[0].details["ids"] == [str(decision.public_id)]
    assert (
        events[0].details["manifest_sha256"]
        == hashlib.sha256(files["manifest-sha256.txt"]).hexdigest()
    )


def test_confidential_items_go_in_only_for_members_of_their_department(
    client, world, transfers, tmp_path
):
    ocmw, social = transfers["ocmw"], transfers["social"]
    url = reverse("mail:retention-archive", args=[ocmw.pk])
    # The auditor (administration-wide) may not read OCMW social-service mail: refused,
    # and the refusal names the item.
    client.force_login(world.auditor)
    assert client.get(url).status_code == 403
    refusals = AuditEvent.objects.filter(action="permission_denied")
    assert [r.details["items"] for r in refusals] == [[social.register_number]]
    assert not AuditEvent.objects.filter(action="export").exists()

    # An administrator of the social service itself builds it (here through the command).
    officer = staff(Role.ADMIN, world.sociale_dienst, username="ocmw-dpo")
    target = tmp_path / "package.zip"
    output = io.StringIO()
    call_command(
        "mail", "archive", str(ocmw.pk), "--as", "ocmw-dpo", "--output", str(target), stdout=output
    )
    assert "1 items, 1 files" in output.getvalue()
    files = _bag(target.read_bytes())
    assert f"data/{social.register_number}/documents/1-verslag.pdf" in files
    event = AuditEvent.objects.filter(action="export").get()
    assert event.actor_label == officer.username == "ocmw-dpo"


def test_the_package_is_refused_to_other_roles_and_before_approval(client, world, transfers):
    municipal = transfers["municipal"]
    url = reverse("mail:retention-archive", args=[municipal.pk])
    client.force_login(world.lead)
    assert client.get(url).status_code == 403
    refusal = AuditEvent.objects.filter(action="permission_denied").get()
    assert refusal.actor_label == "lead" and refusal.object_id == str(municipal.pk)
    assert not AuditEvent.objects.filter(action="export").exists()

    # A list that is still proposed has no package yet; an unknown list is a 404.
    proposed = DestructionList.objects.create(
        organisation=world.ocmw, year=2025, proposed_by=transfers["dpo"], proposed_at=LIST_DAY
    )
    client.force_login(world.auditor)
    response = client.get(reverse("mail:retention-archive", args=[proposed.pk]))
    assert response.status_code == 302
    assert response["Location"] == proposed.get_absolute_url()
    assert client.get(reverse("mail:retention-archive", args=[999999])).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
    assert proposed.status == DestructionList.State.PROPOSED
