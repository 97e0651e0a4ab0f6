"""The package for the archive: the items a destruction list transfers, with their documents,
their metadata and their audit trail, as one ZIP in the BagIt layout (RFC 8493).

Only for a list that was approved (or carried out), only its lines whose final action is
"transfer" and that were not taken off, and only for a person who holds ``mail.retention``
(a refusal is recorded). A confidential item (the OCMW social service's mail, a restricted
document type) goes in only when the person is a member of its department: the others are
left out, named in ``bag-info.txt`` by register number, and one refusal event names them.
Building the package is one ``export`` event naming every item in it and the SHA-256 of the
manifest.

Layout (one folder ``<name>/`` in the ZIP)::

    bagit.txt                 BagIt-Version: 1.0, UTF-8
    bag-info.txt              organisation, list, dates, Payload-Oxum, items left out
    manifest-sha256.txt       "<sha256>  data/<path>" for every file under data/
    tagmanifest-sha256.txt    the same for the three files above
    data/items.json           every item's metadata (the list ``metadata.json`` holds below)
    data/<register number>/metadata.json
    data/<register number>/audit.json     the item's audit events, with their chain hashes
    data/<register number>/documents/<n>-<file name>   the original bytes, unchanged

A document's manifest line is the SHA-256 it was registered with; its bytes are checked
against it when read from storage (a changed file stops the package).
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any

from django.db.models import Q
from django.utils.translation import gettext as _

from onthaal.accounts import access
from onthaal.audit.models import Action, AuditEvent
from onthaal.audit.services import record_event, record_refusal
from onthaal.core import clock
from onthaal.core.errors import AccessDenied, Conflict
from onthaal.mail import documents, retention
from onthaal.mail.models import DestructionList, FinalAction, MailItem

READY = (DestructionList.State.APPROVED, DestructionList.State.CARRIED_OUT)


@dataclass
class Package:
    name: str
    items: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    files: int = 0
    manifest_sha256: str = ""


def _may_read(actor: Any, item: MailItem) -> bool:
    """Confidential items only for the members of their own department."""
    if not item.confidential:
        return True
    return any(m.department_id == item.department_id for m in access.memberships(actor))


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:80] or "document"


def _metadata(item: MailItem, paths: dict[int, str]) -> dict[str, Any]:
    """An item's metadata, with the RGBZ/ZGW names the API uses where they fit."""
    correspondent = item.correspondent
    return {
        "id": str(item.public_id),
        "registernummer": item.register_number,
        "organisatie": item.organisation.name,
        "richting": item.direction,
        "kanaal": item.channel,
        "ontvangstdatum": item.received_on.isoformat() if item.received_on else None,
        "verzenddatum": item.sent_on.isoformat() if item.sent_on else None,
        "registratiedatum": item.registered_at.isoformat(),
        "onderwerp": item.subject,
        "correspondent": (
            {
                "soort": correspondent.kind,
                "naam": correspondent.name,
                "adres": correspondent.address_lines,
                "email": correspondent.email,
            }
            if correspondent
            else None
        ),
        "informatieobjecttype": item.document_type.name,
        "vertrouwelijkheidaanduiding": item.document_type.confidentiality,
        "vertrouwelijk": item.confidential,
        "bewaartermijn_jaren": item.document_type.retention_years,
        "archiefnominatie": "blijvend_bewaren",
        "afdeling": item.department.name,
        "status": item.status,
        "beantwoordt": item.answers.register_number if item.answers else None,
        "documenten": [
            {
                "volgnummer": d.position,
                "bestandsnaam": d.filename,
                "formaat": d.content_type,
                "bestandsomvang": d.size,
                "sha256": d.sha256,
                "pad": paths[d.position],
            }
            for d in item.documents.filter(destroyed_at__isnull=True).order_by("position")
        ],
    }


def _audit_trail(item: MailItem) -> list[dict[str, Any]]:
    """The events about the item itself (its register number within its organisation, or its
    id), oldest first, with their place in the hash chain."""
    events = AuditEvent.objects.filter(object_type="mail.item").filter(
        Q(object_id=item.register_number, organisation_id=item.organisation_id)
        | Q(details__id=str(item.public_id))
    )
    return [
        {
            "at": e.at.isoformat(),
            "action": e.action,
            "actor": e.actor_label,
            "actor_type": e.actor_type,
            "role": e.role,
            "details": e.details,
            "chain": e.chain,
            "hash": e.hash,
            "prev_hash": e.prev_hash,
        }
        for e in events.order_by("pk")
    ]


def _dump(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def write_package(*, actor: Any, list_pk: Any, target: IO[bytes]) -> Package:
    """Write the archive package of list ``list_pk`` to ``target``, as ``actor``."""
    destruction_list = _list_for(actor, list_pk)
    lines = list(
        destruction_list.lines.filter(action=FinalAction.TRANSFER, withdrawn=False)
        .select_related(
            "item__organisation",
            "item__department",
            "item__document_type",
            "item__correspondent",
            "item__answers",
        )
        .order_by("item__direction", "item__year", "item__sequence")
    )
    items = [line.item for line in lines if line.item.destroyed_at is None]
    if not items:
        raise Conflict(_("This list transfers no item to the archive."), code="nothing_to_transfer")
    included = [i for i in items if _may_read(actor, i)]
    withheld = [i for i in items if not _may_read(actor, i)]
    if withheld:
        record_refusal(
            actor=actor,
            capability="mail.view",
            object_type=retention.LIST_TYPE,
            object_id=str(destruction_list.pk),
            details={
                "what": "archive_package",
                "reason": "confidential items of another department",
                "items": [i.register_number for i in withheld],
                "ids": [str(i.public_id) for i in withheld],
            },
        )
    if not included:
        raise AccessDenied(_("You may not read the items this list transfers."))

    now = clock.now()
    organisation = destruction_list.organisation
    name = f"archief-{destruction_list.year}-lijst-{destruction_list.pk}"
    package = Package(name=name, withheld=[i.register_number for i in withheld])
    manifest: list[tuple[str, str]] = []
    payload_bytes = 0
    all_metadata = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bag:

        def put(path: str, data: bytes) -> str:
            nonlocal payload_bytes
            bag.writestr(f"{name}/{path}", data)
            digest = hashlib.sha256(data).hexdigest()
            if path.startswith("data/"):
                manifest.append((digest, path))
                payload_bytes += len(data)
            return digest

        for item in included:
            folder = f"data/{item.register_number}"
            paths: dict[int, str] = {}
            for document in item.documents.filter(destroyed_at__isnull=True).order_by("position"):
                path = f"{folder}/documents/{document.position}-{_safe(document.filename)}"
                put(path, documents.get(document.sha256))
                paths[document.position] = path
                package.files += 1
            metadata = _metadata(item, paths)
            all_metadata.append(metadata)
            put(f"{folder}/metadata.json", _dump(metadata))
            put(f"{folder}/audit.json", _dump(_audit_trail(item)))
            package.items.append(item.register_number)
        put("data/items.json", _dump(all_metadata))

        manifest_text = "".join(f"{digest}  {path}\n" for digest, path in manifest).encode()
        bagit = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
        info_lines = [
            f"Source-Organization: {organisation.name if organisation else ''}",
            f"External-Identifier: {name}",
            f"External-Description: destruction list {destruction_list.pk} "
            f"of {destruction_list.year}, items to transfer to the archive",
            f"Bagging-Date: {now.date().isoformat()}",
            f"Payload-Oxum: {payload_bytes}.{len(manifest)}",
            f"Onthaal-Items: {len(included)}",
            f"Onthaal-Items-Left-Out: {', '.join(package.withheld) or 'none'}",
        ]
        info = ("\n".join(info_lines) + "\n").encode()
        tags = []
        for path, data in (
            ("bagit.txt", bagit),
            ("bag-info.txt", info),
            ("manifest-sha256.txt", manifest_text),
        ):
            bag.writestr(f"{name}/{path}", data)
            tags.append(f"{hashlib.sha256(data).hexdigest()}  {path}\n")
        bag.writestr(f"{name}/tagmanifest-sha256.txt", "".join(tags).encode())
    package.manifest_sha256 = hashlib.sha256(manifest_text).hexdigest()
    record_event(
        action=Action.EXPORT,
        actor=actor,
        object_type=retention.LIST_TYPE,
        object_id=destruction_list.pk,
        details={
            "what": "archive_package",
            "items": package.items,
            "ids": [str(i.public_id) for i in included],
            "files": package.files,
            "manifest_sha256": package.manifest_sha256,
            "left_out": package.withheld,
        },
    )
    return package


def _list_for(actor: Any, list_pk: Any) -> DestructionList:
    retention._require(actor, list_pk)
    number = int(list_pk) if str(list_pk).isdigit() and len(str(list_pk)) < 12 else 0
    found = DestructionList.objects.select_related("organisation").filter(pk=number).first()
    if found is None:
        raise retention.not_found(actor, list_pk, "archive_package")
    if found.status not in READY:
        raise Conflict(
            _("A package for the archive is made once the list is approved."),
            code="not_approved",
        )
    return found
