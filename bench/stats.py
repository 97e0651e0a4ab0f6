"""Small helpers for benchmark figures: medians with their spread."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock seconds of ``runs`` calls of ``fn``."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def line(name: str, values: list[float], unit: str, scale: float = 1.0, digits: int = 1) -> str:
    scaled = [v * scale for v in values]
    return (
        f"{name}: {statistics.median(scaled):.{digits}f} {unit} "
        f"(median of {len(scaled)}, min {min(scaled):.{digits}f}, max {max(scaled):.{digits}f})"
    )
