"""Anchors: the chains' heads signed with a key outside the database, written to a file;
`onthaal audit verify` checks the log against the latest one. What an anchor adds: someone
who can write the table and rewrites an event, hashing every later event again, leaves chains
that are consistent on their own — only the anchor shows it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from onthaal.audit import anchors, chain, selectors
from onthaal.audit.models import AuditEvent
from onthaal.audit.services import record_event
from onthaal.audit.tests.test_chain import tampering

pytestmark = pytest.mark.django_db


def _events(n: int) -> list[AuditEvent]:
    return [
        record_event(action="view", object_type="mail.item", object_id=i, details={"n": i})
        for i in range(n)
    ]


def _verify() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue() + err.getvalue()
    return 0, out.getvalue() + err.getvalue()


def _rewrite_and_rehash(from_pk: int) -> None:
    """What someone with the table owner's rights can do without the anchor key: change event
    ``from_pk`` and hash it and every later event of its chain again."""
    event = AuditEvent.objects.get(pk=from_pk)
    later = AuditEvent.objects.filter(chain=event.chain, pk__gte=from_pk).order_by("pk")
    previous = event.prev_hash
    with tampering():
        for row in later:
            fields = {f: getattr(row, f) for f in chain.CHAINED_FIELDS}
            if row.pk == from_pk:
                fields["details"] = {"n": "rewritten"}
            fields["prev_hash"] = previous
            previous = chain.event_hash(fields)
            # Two steps: prev_hash and hash are unique, and the new values of one row may be
            # the old values of another.
            AuditEvent.objects.filter(pk=row.pk).update(prev_hash=f"x{row.pk}", hash=f"y{row.pk}")
            AuditEvent.objects.filter(pk=row.pk).update(**fields, hash=previous)


def test_a_rewrite_hashed_again_passes_the_chain_but_not_the_anchor(settings):
    events = _events(30)
    call_command("audit", "anchor", stdout=io.StringIO())
    assert _verify()[0] == 0
    _rewrite_and_rehash(events[18].pk)  # the review rewrote event #19
    assert selectors.verify().ok  # the chain alone cannot tell
    code, output = _verify()
    assert code == 1
    assert f"event #{events[-1].pk}: not the event the anchor holds" in output
    assert AuditEvent.objects.get(pk=events[18].pk).details == {"n": "rewritten"}


def test_verify_reports_the_anchor_it_matched():
    _events(3)
    anchor = anchors.write()
    code, output = _verify()
    assert code == 0
    assert f"Audit chain intact: 3 events in 1 chains, head {anchor.head}" in output
    assert f"matches the anchor of {anchor.at}" in output


def test_without_an_anchor_verify_says_what_it_cannot_see():
    _events(2)
    code, output = _verify()
    assert code == 0
    assert "No anchor in" in output and "Audit chain intact: 2 events" in output


def test_a_tail_cut_off_after_the_anchor_is_found():
    events = _events(5)
    anchors.write()
    with tampering():
        AuditEvent.objects.filter(pk__in=[e.pk for e in events[3:]]).delete()
    assert selectors.verify().ok
    code, output = _verify()
    assert code == 1
    assert f"event #{events[-1].pk}: in the anchor but no longer in chain" in output


def test_events_after_the_anchor_verify(settings):
    _events(2)
    anchors.write()
    _events(2)
    code, output = _verify()
    assert code == 0 and "Audit chain intact: 4 events" in output


def test_an_anchor_is_written_only_when_the_log_grew(settings):
    _events(2)
    first = anchors.write()
    assert anchors.write() == first
    _events(1)
    second = anchors.write()
    lines = Path(settings.AUDIT_ANCHOR_FILE).read_text().splitlines()
    assert [json.loads(line)["mac"] for line in lines] == [first.mac, second.mac]
    assert second.prev == first.mac
    assert anchors.latest() == second


def test_the_key_file_is_made_once_and_private(settings):
    _events(1)
    anchors.write()
    path = Path(settings.AUDIT_ANCHOR_KEY_FILE)
    assert path.stat().st_mode & 0o777 == 0o600
    assert Path(settings.AUDIT_ANCHOR_FILE).stat().st_mode & 0o777 == 0o600
    key = path.read_text()
    assert len(key) == 64
    _events(1)
    anchors.write()
    assert path.read_text() == key


def test_an_edited_anchor_is_refused(settings):
    events = _events(2)
    anchors.write()
    path = Path(settings.AUDIT_ANCHOR_FILE)
    data = json.loads(path.read_text())
    data["heads"][0][1] = events[0].pk  # point the anchor at an earlier event
    path.write_text(json.dumps(data) + "\n")
    code, output = _verify()
    assert code == 1
    assert "line 1: the anchor of" in output and "does not carry a valid signature" in output


def test_an_anchor_removed_from_the_middle_is_found(settings):
    for _ in range(3):
        _events(1)
        anchors.write()
    path = Path(settings.AUDIT_ANCHOR_FILE)
    lines = path.read_text().splitlines()
    path.write_text(f"{lines[0]}\n{lines[2]}\n")
    code, output = _verify()
    assert code == 1
    assert "line 2: the anchor before it is missing or replaced" in output


def test_anchors_signed_with_another_key_are_refused(settings):
    _events(1)
    settings.AUDIT_ANCHOR_KEY = "the-key-of-the-anchors"
    anchors.write()
    settings.AUDIT_ANCHOR_KEY = "a-key-someone-guessed"
    code, output = _verify()
    assert code == 1 and "does not carry a valid signature" in output


def test_anchors_without_their_key_are_refused(settings):
    _events(1)
    anchors.write()
    Path(settings.AUDIT_ANCHOR_KEY_FILE).unlink()
    code, output = _verify()
    assert code == 1 and "no anchor key" in output
