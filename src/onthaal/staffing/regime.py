"""Working-time regimes and shifts, on plain data. No Django.

A pattern is twelve characters, one per half day from Monday morning to Saturday afternoon
(``1`` works). An alternating regime has a B pattern: ISO weeks with an even number are B
weeks, odd ones A weeks. The day is cut in three shifts, local wall-clock times: the morning,
the afternoon and the evening (an evening opening); the evening belongs to people who work
the afternoon and do evenings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MORNING, AFTERNOON, EVENING = "morning", "afternoon", "evening"
SHIFTS: dict[str, tuple[dt.time, dt.time]] = {
    MORNING: (dt.time(8, 0), dt.time(12, 30)),
    AFTERNOON: (dt.time(12, 30), dt.time(17, 0)),
    EVENING: (dt.time(17, 0), dt.time(20, 0)),
}


@dataclass(frozen=True, slots=True)
class Regime:
    percent: int
    pattern_a: str
    pattern_b: str = ""
    evenings: bool = True

    def pattern_for(self, day: dt.date) -> str:
        if self.pattern_b and day.isocalendar().week % 2 == 0:
            return self.pattern_b
        return self.pattern_a

    def works(self, day: dt.date, shift: str) -> bool:
        """Does the regime have the person work ``shift`` on ``day``? Never on Sunday."""
        weekday = day.weekday()
        if weekday > 5:
            return False
        pattern = self.pattern_for(day)
        if shift == EVENING:
            return self.evenings and pattern[weekday * 2 + 1] == "1"
        return pattern[weekday * 2 + (shift == AFTERNOON)] == "1"

    def half_days(self, day: dt.date) -> int:
        """Half days worked in the week of ``day`` by the pattern."""
        return self.pattern_for(day).count("1")


def validate_pattern(pattern: str, *, required: bool = True) -> bool:
    if not pattern:
        return not required
    return len(pattern) == 12 and set(pattern) <= {"0", "1"}


def shift_of(moment: dt.time) -> str:
    """The shift a local time falls in (before the morning: the morning)."""
    for name, (start, end) in SHIFTS.items():
        if start <= moment < end:
            return name
    return EVENING if moment >= SHIFTS[EVENING][0] else MORNING
