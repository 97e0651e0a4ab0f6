"""Erlang C against a published worked example and exact values, and against a discrete-event
simulation (SimPy) of 20 random cases."""

from __future__ import annotations

import random

import pytest
import simpy

from onthaal.reporting import erlang


def test_the_call_centre_helper_worked_example() -> None:
    # Source: Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
    # (callcentrehelper.com): 100 calls in 30 minutes, average handling time 180 s, target 80 %
    # answered within 20 s. Traffic 10 Erlangs; with 11 agents the probability of waiting is
    # 68.21 %, the service level 39.0 % and the average speed of answer 122.8 s; 12 agents give
    # 64.0 %, 13 give 79.6 %, and 14 agents (88.8 %) are the number required.
    demand = erlang.Demand(arrivals_per_hour=200, service_minutes=3)
    assert demand.load == 10

    eleven = erlang.performance(demand, 11, 20)
    assert round(eleven.wait_probability, 4) == 0.6821
    assert round(eleven.service_level, 3) == 0.390
    assert round(eleven.average_wait_seconds, 1) == 122.8
    levels = [round(erlang.performance(demand, n, 20).service_level, 3) for n in (12, 13, 14)]
    assert levels == [0.640, 0.796, 0.888]
    assert erlang.desks_needed(demand, erlang.Target(20, 0.8)).desks == 14


def test_exact_values() -> None:
    # M/M/2 with a load of 1 Erlang: C = (1/2 * 2) / (1 + 1 + 1) = 1/3.
    assert erlang.erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # M/M/1: the probability of waiting is the load itself.
    assert erlang.erlang_c(1, 0.6) == pytest.approx(0.6)
    assert erlang.erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang.erlang_c(3, 3.0) == 1.0  # not stable: everyone waits
    nobody = erlang.desks_needed(erlang.Demand(0, 10), erlang.Target(60, 0.8))
    assert (nobody.desks, nobody.service_level, nobody.average_wait_seconds) == (0, 1.0, 0.0)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        erlang.Demand(-1, 5)
    with pytest.raises(ValueError):
        erlang.Demand(10, 0)
    with pytest.raises(ValueError):
        erlang.Target(60, 1.0)


def test_erlang_a_without_patience_limit_tends_to_erlang_c() -> None:
    demand = erlang.Demand(200, 3)
    patient = erlang.erlang_a(demand, 12, patience_minutes=1e6)
    impatient = erlang.erlang_a(demand, 12, patience_minutes=2)

    assert patient.wait_probability == pytest.approx(erlang.erlang_c(12, 10), abs=1e-3)
    assert patient.abandon_probability < 1e-4
    assert 0 < impatient.abandon_probability < 0.2
    assert impatient.average_wait_seconds < erlang.performance(demand, 12, 0).average_wait_seconds


def simulate(
    demand: erlang.Demand, desks: int, target_wait: float, customers: int, seed: int
) -> float:
    """The share of visitors called within ``target_wait`` seconds in an M/M/desks simulation
    (the first 10 % left out as warm-up)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    counter = simpy.Resource(env, capacity=desks)
    waits: list[float] = []
    rate = demand.arrivals_per_hour / 3600  # per second
    service = demand.service_minutes * 60

    def visitor(env: simpy.Environment) -> object:
        arrived = env.now
        with counter.request() as turn:
            yield turn
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / service))

    def arrivals(env: simpy.Environment) -> object:
        for _ in range(customers):
            yield env.timeout(rng.expovariate(rate))
            env.process(visitor(env))

    env.process(arrivals(env))
    env.run()
    kept = waits[len(waits) // 10 :]
    return sum(1 for w in kept if w <= target_wait) / len(kept)


TOLERANCE = 0.035


def _cases() -> list[tuple[erlang.Demand, erlang.Target]]:
    rng = random.Random(20270323)
    return [
        (
            erlang.Demand(rng.uniform(4, 60), rng.uniform(2, 20)),
            erlang.Target(rng.choice([60, 120, 300, 600, 900]), rng.choice([0.7, 0.8, 0.9])),
        )
        for _ in range(20)
    ]


@pytest.mark.parametrize(("demand", "target"), _cases())
def test_the_recommended_desks_reach_the_target_in_a_simulation_and_one_fewer_does_not(
    demand: erlang.Demand, target: erlang.Target
) -> None:
    recommended = erlang.desks_needed(demand, target)
    seed = round(demand.arrivals_per_hour * 1000)

    reached = simulate(demand, recommended.desks, target.wait_seconds, 12_000, seed)
    assert reached >= target.share - TOLERANCE
    assert reached == pytest.approx(recommended.service_level, abs=TOLERANCE)

    fewer = recommended.desks - 1
    if fewer == 0 or fewer <= demand.load:
        return  # one desk fewer cannot keep up at all: the queue grows without end
    analytic = erlang.performance(demand, fewer, target.wait_seconds).service_level
    missed = simulate(demand, fewer, target.wait_seconds, 12_000, seed)
    assert analytic < target.share
    # One desk fewer misses the target, within the simulation's noise (an analytic 89.96 %
    # against a 90 % target cannot be told apart by any finite run). Close to saturation a
    # simulation converges slowly, so its value is not compared with the analytic one.
    assert missed < target.share + TOLERANCE / 2
    assert missed < reached
