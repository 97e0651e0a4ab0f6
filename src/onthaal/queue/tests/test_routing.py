"""Who is next: examples per tier and rule, and Hypothesis properties (incl. no starvation)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from onthaal.queue.routing import (
    Candidate,
    DeskView,
    Policy,
    can_serve,
    next_ticket,
    rank,
)

NOW = datetime(2027, 3, 28, 9, 0, tzinfo=UTC)
POLICY = Policy()
DESK = DeskView(desk_id=1, user_id=10, queue_ids=frozenset({1}))


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def ticket(id: int, waited: float, **kw: object) -> Candidate:
    """A ticket in queue 1, issued ``waited`` minutes before NOW."""
    fields: dict[str, object] = {"queue_id": 1, "product_ids": frozenset()}
    fields.update(kw)
    return Candidate(id=id, issued_at=NOW - minutes(waited), **fields)  # type: ignore[arg-type]


def ids(candidates: list[Candidate]) -> list[int]:
    return [c.id for c in candidates]


# --- examples ---------------------------------------------------------------------------


def test_fcfs_among_walk_ins() -> None:
    tickets = [ticket(1, 5), ticket(2, 20), ticket(3, 12)]
    assert ids(rank(DESK, tickets, NOW)) == [2, 3, 1]


def test_ties_broken_by_issued_at_then_id() -> None:
    tickets = [ticket(7, 5), ticket(3, 5), ticket(5, 5)]
    assert ids(rank(DESK, tickets, NOW)) == [3, 5, 7]


def test_priority_beats_slightly_older_normal_ticket() -> None:
    tickets = [ticket(1, 15), ticket(2, 8, priority=True)]  # 8 + 10 credit > 15
    assert next_ticket(DESK, tickets, NOW) == tickets[1]


def test_priority_does_not_beat_ticket_older_by_more_than_credit() -> None:
    tickets = [ticket(1, 25), ticket(2, 8, priority=True)]  # 8 + 10 credit < 25
    assert next_ticket(DESK, tickets, NOW) == tickets[0]


def test_priority_equal_effective_wait_falls_back_to_issued_at() -> None:
    tickets = [ticket(1, 18), ticket(2, 8, priority=True)]  # 8 + 10 == 18
    assert next_ticket(DESK, tickets, NOW) == tickets[0]


def test_appointment_in_window_beats_walk_ins() -> None:
    walk_in = ticket(1, 40)
    appointment = ticket(2, 1, appointment_at=NOW + minutes(5))  # early but within 10 min
    assert next_ticket(DESK, [walk_in, appointment], NOW) == appointment


def test_appointments_due_ordered_by_appointment_time() -> None:
    a = ticket(1, 30, appointment_at=NOW + minutes(5))
    b = ticket(2, 2, appointment_at=NOW - minutes(10))
    assert ids(rank(DESK, [a, b], NOW)) == [2, 1]


def test_appointment_window_bounds_are_inclusive() -> None:
    walk_in = ticket(1, 30)
    at_start = ticket(2, 0, appointment_at=NOW + POLICY.punctuality_before)
    at_end = ticket(3, 0, appointment_at=NOW - POLICY.punctuality_after)
    assert ids(rank(DESK, [walk_in, at_start, at_end], NOW)) == [3, 2, 1]


def test_late_appointment_falls_back_to_fcfs() -> None:
    late = ticket(2, 20, appointment_at=NOW - minutes(16))
    older = ticket(1, 25)
    newer = ticket(3, 10)
    assert ids(rank(DESK, [newer, late, older], NOW)) == [1, 2, 3]


def test_too_early_appointment_is_a_walk_in() -> None:
    early = ticket(2, 20, appointment_at=NOW + minutes(11))
    older = ticket(1, 25)
    assert ids(rank(DESK, [early, older], NOW)) == [1, 2]


def test_named_handoff_only_to_that_user_even_outside_desk_queues() -> None:
    handoff = ticket(1, 1, queue_id=99, assigned_user_id=10)
    other_desk = DeskView(desk_id=2, user_id=11, queue_ids=frozenset({99}))
    assert can_serve(DESK, handoff)  # queue 99 is not served by DESK, user 10 is named
    assert not can_serve(other_desk, handoff)  # serves queue 99, but is not user 10
    assert next_ticket(other_desk, [handoff], NOW) is None
    assert next_ticket(DeskView(2, None, frozenset({99})), [handoff], NOW) is None


def test_handoff_to_desk_only_to_that_desk() -> None:
    handoff = ticket(1, 1, queue_id=99, assigned_desk_id=1)
    assert can_serve(DESK, handoff)
    assert not can_serve(DeskView(2, 10, frozenset({1, 99})), handoff)


def test_handoff_to_user_and_desk_needs_both() -> None:
    handoff = ticket(1, 1, assigned_user_id=10, assigned_desk_id=1)
    assert can_serve(DESK, handoff)
    assert not can_serve(DeskView(1, 11, frozenset({1})), handoff)
    assert not can_serve(DeskView(2, 10, frozenset({1})), handoff)


def test_personal_beats_appointment_and_walk_ins() -> None:
    walk_in = ticket(1, 40, priority=True)
    appointment = ticket(2, 5, appointment_at=NOW)
    handoff = ticket(3, 1, assigned_user_id=10)
    assert ids(rank(DESK, [walk_in, appointment, handoff], NOW)) == [3, 2, 1]


def test_aged_ticket_beats_everything() -> None:
    aged = ticket(1, 45)
    handoff = ticket(2, 1, assigned_desk_id=1)
    appointment = ticket(3, 5, appointment_at=NOW)
    priority = ticket(4, 44, priority=True)
    assert ids(rank(DESK, [handoff, appointment, priority, aged], NOW)) == [1, 2, 3, 4]


def test_aged_tickets_oldest_first_regardless_of_priority() -> None:
    a = ticket(1, 50, priority=True)
    b = ticket(2, 60)
    assert ids(rank(DESK, [a, b], NOW)) == [2, 1]


def test_other_queue_is_not_served() -> None:
    assert not can_serve(DESK, ticket(1, 5, queue_id=2))
    assert next_ticket(DESK, [ticket(1, 5, queue_id=2)], NOW) is None


def test_product_restriction() -> None:
    desk = DeskView(1, 10, frozenset({1}), product_ids=frozenset({5, 6}))
    assert can_serve(desk, ticket(1, 5, product_ids=frozenset({5})))
    assert can_serve(desk, ticket(2, 5, product_ids=frozenset({5, 6})))
    assert can_serve(desk, ticket(3, 5))  # no products named: any product of the queue
    assert not can_serve(desk, ticket(4, 5, product_ids=frozenset({5, 7})))
    unrestricted = DeskView(1, 10, frozenset({1}))
    assert can_serve(unrestricted, ticket(5, 5, product_ids=frozenset({7})))


def test_empty_input() -> None:
    assert rank(DESK, [], NOW) == []
    assert next_ticket(DESK, [], NOW) is None


def test_custom_policy() -> None:
    policy = Policy(priority_credit=minutes(30), max_wait=minutes(20))
    tickets = [ticket(1, 19), ticket(2, 1, priority=True), ticket(3, 21)]
    assert ids(rank(DESK, tickets, NOW, policy)) == [3, 2, 1]


# --- properties -------------------------------------------------------------------------

SMALL = st.integers(min_value=1, max_value=3)
id_sets = st.frozensets(st.integers(min_value=1, max_value=4), max_size=3)


@st.composite
def candidate_fields(draw: st.DrawFn, now: datetime) -> Candidate:
    appointment = draw(st.none() | st.integers(min_value=-60, max_value=60))
    return Candidate(
        id=0,
        queue_id=draw(SMALL),
        product_ids=draw(id_sets),
        issued_at=now - minutes(draw(st.integers(min_value=0, max_value=120))),
        priority=draw(st.booleans()),
        appointment_at=None if appointment is None else now + minutes(appointment),
        assigned_user_id=draw(st.none() | SMALL),
        assigned_desk_id=draw(st.none() | SMALL),
    )


def with_unique_ids(candidates: list[Candidate]) -> list[Candidate]:
    return [dataclasses.replace(c, id=i) for i, c in enumerate(candidates)]


candidate_lists = st.lists(candidate_fields(NOW), max_size=25).map(with_unique_ids)
desks = st.builds(
    DeskView,
    desk_id=SMALL,
    user_id=st.none() | SMALL,
    queue_ids=st.frozensets(SMALL, max_size=3),
    product_ids=st.none() | id_sets,
)
policies = st.builds(
    Policy,
    punctuality_before=st.integers(0, 30).map(minutes),
    punctuality_after=st.integers(0, 30).map(minutes),
    priority_credit=st.integers(0, 30).map(minutes),
    max_wait=st.integers(1, 90).map(minutes),
)


@given(desks, candidate_lists, policies)
def test_next_ticket_is_serveable_and_none_only_when_nothing_is(
    desk: DeskView, candidates: list[Candidate], policy: Policy
) -> None:
    chosen = next_ticket(desk, candidates, NOW, policy)
    if chosen is None:
        assert not any(can_serve(desk, c) for c in candidates)
    else:
        assert can_serve(desk, chosen)
        assert chosen in candidates


@given(desks, candidate_lists, policies)
def test_rank_is_a_permutation_of_the_serveable_subset(
    desk: DeskView, candidates: list[Candidate], policy: Policy
) -> None:
    ranked = rank(desk, candidates, NOW, policy)
    serveable = [c for c in candidates if can_serve(desk, c)]
    assert sorted(ids(ranked)) == sorted(ids(serveable))
    assert len(ranked) == len(set(ids(ranked)))


@given(desks, candidate_lists, policies)
def test_aged_never_preceded_by_non_aged(
    desk: DeskView, candidates: list[Candidate], policy: Policy
) -> None:
    ranked = rank(desk, candidates, NOW, policy)
    aged = [NOW - c.issued_at >= policy.max_wait for c in ranked]
    # All aged tickets form a prefix, and within it the order is by issue time.
    assert aged == sorted(aged, reverse=True)
    prefix = ranked[: sum(aged)]
    assert [(c.issued_at, c.id) for c in prefix] == sorted((c.issued_at, c.id) for c in prefix)


@given(desks, candidate_lists, policies)
def test_rank_ignores_input_order(
    desk: DeskView, candidates: list[Candidate], policy: Policy
) -> None:
    assert rank(desk, candidates, NOW, policy) == rank(desk, candidates[::-1], NOW, policy)


@settings(max_examples=150, deadline=None)
@given(
    arrivals=st.lists(
        st.lists(candidate_fields(NOW), max_size=3),  # new tickets per step
        min_size=1,
        max_size=40,
    ),
    steps=st.lists(st.integers(min_value=1, max_value=5), min_size=200, max_size=200),
    policy=policies,
)
def test_no_starvation(arrivals: list[list[Candidate]], steps: list[int], policy: Policy) -> None:
    """Simulate one desk serving every queue; it calls one ticket per step.

    Bound: once a ticket has aged (waited >= max_wait at a call), at most the tickets that
    were still waiting then and come before it in (issued_at, id) order are called before it.
    Proof: an aged ticket is in tier 0, so while it waits every call takes a tier-0 ticket
    with a smaller (issued_at, id); later arrivals have a later issued_at, so they are never
    among those. Every serveable ticket is eventually called (the desk drains the queue).
    """
    desk = DeskView(desk_id=1, user_id=1, queue_ids=frozenset({1, 2, 3}))
    now = NOW
    waiting: dict[int, Candidate] = {}
    budget: dict[int, int] = {}  # aged ticket id -> calls it may still let go first
    next_id = 0
    called: set[int] = set()
    serveable_ids: set[int] = set()
    step = 0
    while step < len(arrivals) or any(can_serve(desk, c) for c in waiting.values()):
        assert step < len(steps), "the desk did not drain the queue in time"
        for fields in arrivals[step] if step < len(arrivals) else []:
            c = dataclasses.replace(
                fields,
                id=next_id,
                issued_at=now,
                appointment_at=(
                    None if fields.appointment_at is None else now + (fields.appointment_at - NOW)
                ),
            )
            next_id += 1
            waiting[c.id] = c
            if can_serve(desk, c):
                serveable_ids.add(c.id)
        serveable = [c for c in waiting.values() if can_serve(desk, c)]
        for c in serveable:
            if c.id not in budget and now - c.issued_at >= policy.max_wait:
                budget[c.id] = sum((o.issued_at, o.id) < (c.issued_at, c.id) for o in serveable)
        chosen = next_ticket(desk, waiting.values(), now, policy)
        if chosen is not None:
            assert can_serve(desk, chosen)
            del waiting[chosen.id]
            called.add(chosen.id)
            for cid in budget:
                if cid in waiting:
                    budget[cid] -= 1
                    assert budget[cid] >= 0, f"aged ticket {cid} passed too often"
        now += minutes(steps[step])
        step += 1
    assert called == serveable_ids


@given(desks, candidate_fields(NOW))
def test_can_serve_matches_the_rules(desk: DeskView, c: Candidate) -> None:
    handoff = c.assigned_user_id is not None or c.assigned_desk_id is not None
    expected = (
        (handoff or c.queue_id in desk.queue_ids)
        and c.assigned_user_id in (None, desk.user_id)
        and c.assigned_desk_id in (None, desk.desk_id)
        and (desk.product_ids is None or c.product_ids <= desk.product_ids or not c.product_ids)
    )
    assert can_serve(desk, c) == expected
