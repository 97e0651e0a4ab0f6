"""Import of people and absences from CSV: the export of the time-registration system.

Each row is imported in its own transaction or not at all; a rejected row is reported with its
line number and every reason, and nothing of it is written. The file as a whole is one audit
event with the counts.

People (header row, ``,`` or ``;``): username, first_name, last_name, email, department (slug),
percent, pattern_a, pattern_b, locations (slugs separated by ``|``), products (slugs, ``|``),
telework_max_days, telework_mode (fixed/floating), telework_days, team_days, evenings (1/0).
Only username and department are required; a known username is updated.

Absences: username, kind (leave, sickness, training, telework, other), start, end — each an
ISO date (a whole day; the end day included) or a local date and time ``YYYY-MM-DD HH:MM``
(Europe/Brussels) — and an optional ``half`` (am/pm) with a single date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from onthaal.audit.models import Action
from onthaal.audit.services import record_event
from onthaal.catalogue.models import Product
from onthaal.core import clock
from onthaal.core.errors import DomainError
from onthaal.hours.compute import to_instant
from onthaal.organisation.models import Department, Location
from onthaal.staffing import regime
from onthaal.staffing.models import AbsenceKind, StaffProfile, TeleworkMode

MAX_ROWS = 5000


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)
    sicknesses: int = 0

    @property
    def accepted(self) -> int:
        return self.created + self.updated


def rows_of(data: bytes | str) -> list[dict[str, str]]:
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "username" not in [f.strip().lower() for f in reader.fieldnames]:
        raise DomainError(
            _("The file is not valid."),
            fields={"file": [_("The first row must name the columns, with username.")]},
        )
    out = []
    for n, row in enumerate(reader):
        if n >= MAX_ROWS:
            raise DomainError(
                _("The file is not valid."),
                fields={"file": [_("At most %(n)s rows at a time.") % {"n": MAX_ROWS}]},
            )
        out.append({(k or "").strip().lower(): (v or "").strip() for k, v in row.items()})
    return out


def _int(value: str, low: int, high: int) -> int | None:
    if not value.isascii() or not value.isdigit() or len(value) > 3:
        return None
    number = int(value)
    return number if low <= number <= high else None


def _weekdays(value: str) -> str | None:
    digits = value.replace(" ", "").replace("|", "")
    if len(digits) > 6 or not all(c in "012345" for c in digits):
        return None
    return "".join(sorted(set(digits)))


def _person(row: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    values: dict[str, Any] = {}
    username = row.get("username", "")
    if not username or len(username) > 150:
        errors.append(_("username: required, at most 150 characters."))
    values["username"] = username
    department = Department.objects.filter(slug=row.get("department", "")).first()
    if department is None:
        errors.append(
            _("department: unknown department %(value)s.") % {"value": row.get("department", "")}
        )
    values["department"] = department
    if row.get("percent"):
        percent = _int(row["percent"], 1, 100)
        if percent is None:
            errors.append(_("percent: a whole number from 1 to 100."))
        values["percent"] = percent
    for name in ("pattern_a", "pattern_b"):
        if row.get(name):
            if not regime.validate_pattern(row[name]):
                errors.append(_("%(column)s: twelve characters 0 or 1.") % {"column": name})
            values[name] = row[name]
    if row.get("telework_max_days"):
        days = _int(row["telework_max_days"], 0, 5)
        if days is None:
            errors.append(_("telework_max_days: a number from 0 to 5."))
        values["telework_max_days"] = days
    if row.get("telework_mode"):
        if row["telework_mode"] not in TeleworkMode.values:
            errors.append(_("telework_mode: fixed or floating."))
        values["telework_mode"] = row["telework_mode"]
    for name in ("telework_days", "team_days"):
        if row.get(name):
            days_text = _weekdays(row[name])
            if days_text is None:
                errors.append(
                    _("%(column)s: weekday numbers 0 (Monday) to 5 (Saturday).") % {"column": name}
                )
            values[name] = days_text
    if row.get("evenings"):
        if row["evenings"] not in ("0", "1"):
            errors.append(_("evenings: 1 or 0."))
        values["evenings"] = row["evenings"] == "1"
    slugs = [s for s in row.get("locations", "").split("|") if s]
    locations = list(Location.objects.filter(slug__in=slugs))
    if len(locations) != len(set(slugs)):
        errors.append(_("locations: unknown location in %(value)s.") % {"value": row["locations"]})
    values["locations"] = locations
    slugs = [s for s in row.get("products", "").split("|") if s]
    products = list(Product.objects.filter(slug__in=slugs))
    if len(products) != len(set(slugs)):
        errors.append(_("products: unknown product in %(value)s.") % {"value": row["products"]})
    values["products"] = products
    for name in ("first_name", "last_name"):
        if len(row.get(name, "")) > 150:
            errors.append(_("%(column)s: at most 150 characters.") % {"column": name})
    return values, errors


def import_people(*, actor: Any, data: bytes | str) -> Report:
    report = Report()
    users = get_user_model()
    for line, row in enumerate(rows_of(data), start=2):
        values, errors = _person(row)
        if errors:
            report.rejected.append((line, errors))
            continue
        try:
            with transaction.atomic():
                user, made = users.objects.get_or_create(
                    username=values["username"],
                    defaults={
                        "first_name": row.get("first_name", ""),
                        "last_name": row.get("last_name", ""),
                        "email": row.get("email", ""),
                    },
                )
                if made:
                    user.set_unusable_password()
                    user.save()
                fields = {
                    k: v
                    for k, v in values.items()
                    if k not in ("username", "locations", "products") and v is not None
                }
                profile, created = StaffProfile.objects.update_or_create(user=user, defaults=fields)
                profile.full_clean(exclude=["user", "department", "locations", "desks", "products"])
                if values["locations"] or "locations" in row:
                    profile.locations.set(values["locations"])
                if values["products"] or "products" in row:
                    profile.products.set(values["products"])
        except (IntegrityError, DomainError) as error:
            report.rejected.append((line, [str(error)]))
            continue
        except Exception as error:  # a validation error of a model field
            from django.core.exceptions import ValidationError

            if not isinstance(error, ValidationError):
                raise
            report.rejected.append(
                (line, [f"{k}: {' '.join(v)}" for k, v in error.message_dict.items()])
            )
            continue
        if created:
            report.created += 1
        else:
            report.updated += 1
    _audit_import(actor, "people", report)
    return report


def _moment(text: str, *, end: bool) -> dt.datetime | None:
    """A local date (the whole day: its start, or for an end the next day's start) or a local
    date and time, as an instant."""
    text = text.strip().replace("T", " ")
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            return to_instant(day + dt.timedelta(days=1 if end else 0), dt.time(0), clock.BRUSSELS)
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return to_instant(moment.date(), moment.time(), clock.BRUSSELS)
    return moment


HALVES = {"am": (dt.time(8), dt.time(12, 30)), "pm": (dt.time(12, 30), dt.time(17, 0))}


def absence_rows(rows: Iterable[dict[str, str]]) -> Iterable[tuple[int, dict[str, Any], list[str]]]:
    users = get_user_model()
    for line, row in enumerate(rows, start=2):
        errors: list[str] = []
        user = users.objects.filter(username=row.get("username", "")).first()
        if user is None or not StaffProfile.objects.filter(user=user).exists():
            errors.append(
                _("username: no staff member %(value)s.") % {"value": row.get("username", "")}
            )
        kind = row.get("kind", "")
        if kind not in AbsenceKind.values:
            errors.append(_("kind: one of %(values)s.") % {"values": ", ".join(AbsenceKind.values)})
        half = row.get("half", "").lower()
        start_text, end_text = row.get("start", ""), row.get("end", "") or row.get("start", "")
        if half:
            if half not in HALVES or len(start_text) != 10:
                errors.append(_("half: am or pm, with a date in start."))
                start = end = None
            else:
                try:
                    day = dt.date.fromisoformat(start_text)
                    start = to_instant(day, HALVES[half][0], clock.BRUSSELS)
                    end = to_instant(day, HALVES[half][1], clock.BRUSSELS)
                except ValueError:
                    start = end = None
        else:
            start, end = _moment(start_text, end=False), _moment(end_text, end=True)
        if start is None:
            errors.append(_("start: a date (YYYY-MM-DD) or a local time (YYYY-MM-DD HH:MM)."))
        if end is None:
            errors.append(_("end: a date (YYYY-MM-DD) or a local time (YYYY-MM-DD HH:MM)."))
        if start is not None and end is not None and end <= start:
            errors.append(_("end: must be after start."))
        yield (
            line,
            {"user": user, "kind": kind, "start": start, "end": end, "note": row.get("note", "")},
            errors,
        )


def import_absences(*, actor: Any, data: bytes | str, site: str = "") -> Report:
    """Import absences; a sickness is registered as ``services.register_absence`` does, with
    its affected appointments moved or their citizens notified."""
    from onthaal.staffing import services

    report = Report()
    for line, values, errors in absence_rows(rows_of(data)):
        if errors:
            report.rejected.append((line, errors))
            continue
        try:
            services.register_absence(actor=actor, site=site, **values)
        except DomainError as error:
            report.rejected.append(
                (
                    line,
                    [f"{k}: {' '.join(map(str, v))}" for k, v in error.fields.items()]
                    or [error.message],
                )
            )
            continue
        report.created += 1
        report.sicknesses += values["kind"] == AbsenceKind.SICKNESS
    _audit_import(actor, "absences", report)
    return report


def _audit_import(actor: Any, what: str, report: Report) -> None:
    with transaction.atomic():
        record_event(
            action=Action.CREATE,
            actor=actor,
            object_type="staffing.import",
            object_id=what,
            details={
                "created": report.created,
                "updated": report.updated,
                "rejected": [line for line, _reasons in report.rejected],
            },
        )
