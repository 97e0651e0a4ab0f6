"""Erlang C (and Erlang A) for desks: how many are needed for a service level. No Django here.

A queue with Poisson arrivals, exponential service times and ``desks`` identical desks
(M/M/N). With A = arrivals x service time (the offered load in Erlangs) and N > A desks:

- Erlang C, the probability that a visitor has to wait: C(N, A), computed through the Erlang B
  recursion B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)) and C = N B / (N - A (1 - B)), which
  stays exact where factorials would overflow;
- service level, the share called within t: 1 - C e^(-(N - A) t / S);
- average wait: C S / (N - A).

Erlang A (M/M/N+M) adds abandonment: a waiting visitor leaves after an exponential patience
with mean ``patience``. Its measures come from the birth-death chain's stationary
distribution (truncated where the tail is negligible), see ``erlang_a``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MAX_DESKS = 500


@dataclass(frozen=True)
class Demand:
    """``arrivals_per_hour`` visitors, each served in ``service_minutes`` on average."""

    arrivals_per_hour: float
    service_minutes: float

    def __post_init__(self) -> None:
        if self.arrivals_per_hour < 0 or self.service_minutes <= 0:
            raise ValueError("arrivals must be >= 0 and the service time > 0")

    @property
    def load(self) -> float:
        """The offered load in Erlangs: desks that would be busy all the time."""
        return self.arrivals_per_hour * self.service_minutes / 60


@dataclass(frozen=True)
class Target:
    """``share`` of visitors called within ``wait_seconds`` (80 % within 15 minutes)."""

    wait_seconds: float
    share: float

    def __post_init__(self) -> None:
        if self.wait_seconds < 0 or not 0 < self.share < 1:
            raise ValueError("the wait must be >= 0 and the share between 0 and 1 (excluded)")


@dataclass(frozen=True)
class Performance:
    desks: int
    wait_probability: float
    service_level: float
    average_wait_seconds: float
    occupancy: float


def erlang_b(desks: int, load: float) -> float:
    """Erlang B: the probability that all ``desks`` are busy in a loss system."""
    b = 1.0
    for k in range(1, desks + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(desks: int, load: float) -> float:
    """Erlang C: the probability that a visitor has to wait (1 when ``desks`` <= load)."""
    if load <= 0:
        return 0.0
    if desks <= load:
        return 1.0
    b = erlang_b(desks, load)
    return desks * b / (desks - load * (1 - b))


def performance(demand: Demand, desks: int, target_wait_seconds: float) -> Performance:
    """Waiting probability, service level and average wait with ``desks`` desks."""
    load = demand.load
    service_seconds = demand.service_minutes * 60
    if load == 0:
        return Performance(desks, 0.0, 1.0, 0.0, 0.0)
    if desks <= load:  # the queue grows without end
        return Performance(desks, 1.0, 0.0, math.inf, 1.0)
    c = erlang_c(desks, load)
    level = 1 - c * math.exp(-(desks - load) * target_wait_seconds / service_seconds)
    return Performance(
        desks=desks,
        wait_probability=c,
        service_level=max(0.0, min(1.0, level)),
        average_wait_seconds=c * service_seconds / (desks - load),
        occupancy=load / desks,
    )


def desks_needed(demand: Demand, target: Target) -> Performance:
    """The fewest desks that reach ``target``, with their performance (0 desks without
    arrivals). Raises ``ValueError`` past ``MAX_DESKS``."""
    if demand.load == 0:
        return performance(demand, 0, target.wait_seconds)
    desks = max(1, math.floor(demand.load) + 1)
    while desks <= MAX_DESKS:
        result = performance(demand, desks, target.wait_seconds)
        if result.service_level >= target.share:
            return result
        desks += 1
    raise ValueError(f"more than {MAX_DESKS} desks would be needed")


@dataclass(frozen=True)
class AbandonPerformance:
    desks: int
    wait_probability: float
    abandon_probability: float
    average_wait_seconds: float


def erlang_a(demand: Demand, desks: int, patience_minutes: float) -> AbandonPerformance:
    """Erlang A (M/M/N+M): visitors who wait longer than their patience (exponential, mean
    ``patience_minutes``) leave. States n = visitors present; birth rate the arrivals, death
    rate min(n, N) mu + max(n - N, 0) theta. Truncated where a state's weight drops below
    1e-12 of the total (the chain is stable for every N > 0 since theta > 0)."""
    if patience_minutes <= 0:
        raise ValueError("patience must be > 0")
    lam = demand.arrivals_per_hour / 60  # per minute
    mu = 1 / demand.service_minutes
    theta = 1 / patience_minutes
    if lam == 0:
        return AbandonPerformance(desks, 0.0, 0.0, 0.0)
    weights = [1.0]
    n = 0
    total = 1.0
    while True:
        n += 1
        death = min(n, desks) * mu + max(n - desks, 0) * theta
        weight = weights[-1] * lam / death
        weights.append(weight)
        total += weight
        if n > desks and weight < 1e-12 * total:
            break
    probabilities = [w / total for w in weights]
    # Arrivals see the stationary distribution (PASTA).
    wait_probability = sum(probabilities[desks:])
    queue_length = sum(max(k - desks, 0) * p for k, p in enumerate(probabilities))
    abandon_rate = theta * queue_length
    return AbandonPerformance(
        desks=desks,
        wait_probability=wait_probability,
        abandon_probability=abandon_rate / lam,
        average_wait_seconds=queue_length / lam * 60,  # Little's law, abandoners included
    )
