"""Opening hours of the demo municipality Zonnedoorn."""

from __future__ import annotations

import datetime as dt
from typing import Any

from onthaal.hours.models import HoursChannel, OpeningException, OpeningRule

START = dt.date(2026, 1, 1)
MON_FRI = range(5)
W, A, P = HoursChannel.WALK_IN, HoursChannel.APPOINTMENT, HoursChannel.PHONE

# Local closure days of the administration (on top of the public holidays).
CLOSURE_DAYS = [
    (dt.date(2026, 11, 2), "Allerzielen"),
    (dt.date(2026, 11, 15), "Feest van de Dynastie"),
    (dt.date(2026, 12, 26), "Tweede kerstdag"),
    (dt.date(2026, 12, 31), "Oudejaarsdag"),
    (dt.date(2027, 1, 2), "Brugdag na Nieuwjaar"),
    (dt.date(2027, 5, 7), "Brugdag na O.L.H. Hemelvaart"),
    (dt.date(2027, 11, 2), "Allerzielen"),
    (dt.date(2027, 11, 15), "Feest van de Dynastie"),
    (dt.date(2027, 12, 26), "Tweede kerstdag"),
]


def _t(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def load_demo_hours(*, locations: dict[str, Any], departments: dict[str, Any]) -> None:
    """Administratief Centrum: walk-in mornings, appointment-only afternoons and a late
    Thursday evening, phone all day. Sociaal Huis: walk-in on Monday, Wednesday and Friday
    mornings, appointments for the social service in the afternoons."""
    ac, sh = locations["ac"], locations["sh"]
    social = departments["sociale-dienst"]
    rules: list[OpeningRule] = []

    def rule(
        location: Any, channel: str, day: int, opens: str, closes: str, department: Any = None
    ) -> None:
        rules.append(
            OpeningRule(
                location=location,
                department=department,
                channel=channel,
                weekday=day,
                opens=_t(opens),
                closes=_t(closes),
                valid_from=START,
            )
        )

    for day in MON_FRI:
        rule(ac, W, day, "08:30", "12:00")
        rule(ac, A, day, "08:30", "12:00")
        rule(ac, A, day, "13:30", "16:00")
        rule(ac, P, day, "08:30", "12:00")
        rule(ac, P, day, "13:00", "16:00")
    rule(ac, A, 3, "16:00", "19:00")  # the late Thursday evening, by appointment
    rule(ac, W, 5, "09:00", "12:00")  # Saturday morning walk-in (ID cards pick-up)
    for day in (0, 2, 4):
        rule(sh, W, day, "09:00", "12:00")
    for day in MON_FRI:
        rule(sh, A, day, "13:00", "16:30", department=social)
        rule(sh, P, day, "09:00", "12:00")
    OpeningRule.objects.bulk_create(rules)
    OpeningException.objects.bulk_create(
        OpeningException(location=location, date=day, reason=reason, closed=True)
        for location in (ac, sh)
        for day, reason in CLOSURE_DAYS
    )
