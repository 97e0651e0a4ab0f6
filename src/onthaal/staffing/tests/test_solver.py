"""The CP-SAT roster model on plain data: hard rules hold, coverage is met when it can be, and
what cannot be met is reported."""

from __future__ import annotations

import datetime as dt

from onthaal.staffing import regime as reg
from onthaal.staffing import solver

MONDAY = dt.date(2027, 3, 22)
DAYS = [MONDAY + dt.timedelta(days=n) for n in range(5)]
HALVES = (reg.MORNING, reg.AFTERNOON)


def everyone(n: int, **fields) -> list[solver.Person]:
    return [
        solver.Person(
            id=i,
            departments=frozenset({1}),
            shifts=frozenset((d, s) for d in DAYS for s in HALVES),
            **fields,
        )
        for i in range(n)
    ]


def test_coverage_is_met_and_wishes_honoured_when_possible():
    # Two wish Tuesday and Thursday, two Monday and Wednesday: all can be honoured.
    people = [
        solver.Person(
            id=i,
            departments=frozenset({1}),
            shifts=frozenset((d, s) for d in DAYS for s in HALVES),
            telework_max=2,
            telework_wishes=frozenset({DAYS[1], DAYS[3]} if i < 2 else {DAYS[0], DAYS[2]}),
        )
        for i in range(4)
    ]
    needs = [solver.Need(d, s, 1, 2, 3) for d in DAYS for s in HALVES]

    answer = solver.propose(people, needs, time_limit=5)

    assert answer.unmet == []
    for d in DAYS:
        for s in HALVES:
            front = [p for (p, day, shift), dep in answer.front.items() if (day, shift) == (d, s)]
            assert 2 <= len(front) <= 3
    for p, d in answer.telework:  # never at the front on a telework day
        assert not [k for k in answer.front if k[0] == p and k[1] == d]
    assert all(sum(1 for k in answer.telework if k[0] == p.id) <= 2 for p in people)
    assert answer.wishes == 8 and answer.wishes_honoured == 8


def test_what_cannot_be_covered_is_reported_and_absent_people_are_not_planned():
    people = everyone(1)
    sick = solver.Person(id=9, departments=frozenset({1}), shifts=frozenset())
    needs = [solver.Need(DAYS[0], reg.MORNING, 1, 3, 3)]

    answer = solver.propose([*people, sick], needs, time_limit=5)

    assert answer.unmet == [(DAYS[0], reg.MORNING, 1, 2)]
    assert not [k for k in answer.front if k[0] == 9]


def test_evening_shifts_are_spread_fairly():
    thursday = DAYS[3]
    people = [
        solver.Person(
            id=i,
            departments=frozenset({1}),
            shifts=frozenset({(thursday, reg.EVENING)}),
            unsocial_before=before,
        )
        for i, before in enumerate([3, 0, 0])
    ]
    answer = solver.propose(people, [solver.Need(thursday, reg.EVENING, 1, 2, 2)], time_limit=5)

    assert sorted(k[0] for k in answer.front) == [1, 2]


def test_regime_alternating_weeks_and_dst():
    regime = reg.Regime(60, "111111000000", "000000111111")
    odd = dt.date(2027, 3, 29)  # ISO week 13: A (the week of the spring DST change)
    assert odd.isocalendar().week % 2 == 1
    assert regime.works(odd, reg.MORNING) and not regime.works(
        odd + dt.timedelta(days=3), reg.MORNING
    )
    even = odd + dt.timedelta(days=7)
    assert not regime.works(even, reg.MORNING) and regime.works(
        even + dt.timedelta(days=3), reg.MORNING
    )
    assert not regime.works(odd + dt.timedelta(days=6), reg.MORNING)  # never on Sunday
