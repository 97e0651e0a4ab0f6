"""The two versions of a location (``snapshots``, ADR 0015): issuing a ticket replaces the
version only, so the display's kept answer stays good for ``WAITING_LAG`` (its waiting counts
late); every other write replaces the calls version too, and nothing kept is read after it."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache

from onthaal.queue import services, snapshots
from onthaal.queue.models import Source


def _versions(location_id: int) -> tuple[Any, Any]:
    found = cache.get_many(
        [snapshots.version_key(location_id), snapshots.calls_version_key(location_id)]
    )
    return (
        found.get(snapshots.version_key(location_id)),
        found.get(snapshots.calls_version_key(location_id)),
    )


def _issue(z: dict[str, Any]) -> Any:
    return services.issue_ticket(
        location=z["ac"],
        queue=z["burgerzaken"],
        source=Source.RECEPTION,
        actor=z["users"]["onthaal"],
        check_hours=False,
    )


def test_after_its_commit_an_issue_replaces_the_version_and_a_call_both(
    zonnedoorn, django_capture_on_commit_callbacks
):
    z = zonnedoorn
    location = z["ac"].pk
    agent = z["users"]["balie"]
    services.open_desk(desk=z["balie1"], actor=agent)

    with django_capture_on_commit_callbacks() as issued:
        _issue(z)
    made = _versions(location)  # (in a test case's transaction both are replaced at once)
    for after_commit in issued:
        after_commit()
    version, calls = _versions(location)
    assert version not in (None, made[0])
    assert calls == made[1] is not None

    with django_capture_on_commit_callbacks() as called:
        services.call_next(desk=z["balie1"], actor=agent)
    made = _versions(location)
    for after_commit in called:
        after_commit()
    version, calls = _versions(location)
    assert version not in (None, made[0])
    assert calls not in (None, made[1])
    assert version == calls  # one token for both, written in one round trip


def test_an_answer_is_fresh_under_its_versions_or_within_the_lag_of_its_calls_version():
    stamp = ("v1", "c1", 100.0)
    assert snapshots.fresh(stamp, "v1", "c1", 0.0, 500.0)  # no write since: any age (TTL)
    assert not snapshots.fresh(stamp, "v2", "c1", 0.0, 100.1)  # strict: an issue since
    assert snapshots.fresh(stamp, "v2", "c1", 1.0, 100.999)  # the display: within the lag
    assert not snapshots.fresh(stamp, "v2", "c1", 1.0, 101.0)  # ... not after it
    assert not snapshots.fresh(stamp, "v2", "c1", 1.0, 99.0)  # ... nor from the future
    assert not snapshots.fresh(stamp, "v1", "c2", 1.0, 100.0)  # a call since: never
    assert not snapshots.fresh(stamp, "v2", "c2", 1.0, 100.0)
    assert not snapshots.fresh(("v1", "c1"), "v1", "c1", 1.0, 100.0)  # an old entry's shape
