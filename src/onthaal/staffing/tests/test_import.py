"""CSV import of people and absences: valid rows in, rejected rows reported with their reasons
and nothing of them written."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from onthaal.audit.models import AuditEvent
from onthaal.staffing import importing
from onthaal.staffing.models import Absence, StaffProfile
from onthaal.staffing.tests.data import WEDNESDAY, at, person

pytestmark = pytest.mark.django_db

PEOPLE = """username;first_name;last_name;department;percent;pattern_a;pattern_b;locations;products;telework_max_days;telework_days
els;Els;Smet;burgerzaken;80;111111110000;111111111100;administratief-centrum;eid-aanvragen|rijbewijs;2;13
wim;Wim;Wouters;nergens;120;11;;;;9;8
"""


def test_people_are_imported_and_bad_rows_rejected_with_reasons(zonnedoorn):
    report = importing.import_people(actor=zonnedoorn["users"]["teamlead"], data=PEOPLE)

    assert (report.created, report.updated) == (1, 0)
    assert [line for line, _ in report.rejected] == [3]
    reasons = " ".join(report.rejected[0][1])
    for column in ("department", "percent", "pattern_a", "telework_max_days", "telework_days"):
        assert column in reasons
    els = StaffProfile.objects.get(user__username="els")
    assert (els.percent, els.pattern_b, els.telework_days) == (80, "111111111100", "13")
    assert sorted(els.products.values_list("slug", flat=True)) == ["eid-aanvragen", "rijbewijs"]
    assert not StaffProfile.objects.filter(user__username="wim").exists()
    assert AuditEvent.objects.filter(object_type="staffing.import", object_id="people").count() == 1

    again = importing.import_people(actor=None, data=PEOPLE)
    assert (again.created, again.updated) == (0, 1)


def test_absences_by_day_half_day_and_hours(zonnedoorn, tmp_path, capsys):
    person("els", "burgerzaken")
    path = tmp_path / "absences.csv"
    path.write_text(
        "username,kind,start,end,half\n"
        f"els,leave,{WEDNESDAY},{WEDNESDAY},\n"
        f"els,training,{WEDNESDAY},,pm\n"
        f"els,other,{WEDNESDAY} 09:00,{WEDNESDAY} 10:30,\n"
        f"nobody,holiday,{WEDNESDAY},2027-13-01,\n"
    )

    with pytest.raises(SystemExit) as exit_:
        call_command("staffing", "import-absences", str(path))

    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "3 created" in out and "line 5:" in out and "kind" in out and "username" in out
    spans = sorted(Absence.objects.filter(user__username="els").values_list("kind", "start", "end"))
    assert spans == [
        ("leave", at(WEDNESDAY, "00:00"), at(WEDNESDAY.replace(day=25), "00:00")),
        ("other", at(WEDNESDAY, "09:00"), at(WEDNESDAY, "10:30")),
        ("training", at(WEDNESDAY, "12:30"), at(WEDNESDAY, "17:00")),
    ]


def test_a_file_without_a_header_is_refused_as_a_whole(zonnedoorn):
    from onthaal.core.errors import DomainError

    with pytest.raises(DomainError) as error:
        importing.import_people(actor=None, data="els;burgerzaken\n")
    assert "file" in error.value.fields
