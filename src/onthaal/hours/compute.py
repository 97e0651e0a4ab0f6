"""Opening hours, computed: plain data in, intervals out. No Django here.

The model follows Gent's Openingsuren platform: weekly rules with a validity period, and
exceptions per day (closed, or special hours) with a reason. Public holidays close everything.

Precedence, per day and channel:
1. An exception with special hours for that day replaces the weekly rules (an explicit decision
   by an administrator wins, even on a public holiday).
2. Otherwise a public holiday or a closing exception closes the channel, with its reason.
3. Otherwise the weekly rules that are valid that day. When a department is asked for and it
   has rules of its own for the channel that day, those are used; else the location's rules.
   Exceptions without a department hold for every department of the location.

Times: rules and exceptions are local wall-clock times in ``tz`` (Europe/Brussels). They are
turned into aware instants with ``zoneinfo`` (PEP 495, ``fold=0``): on the spring-forward
Sunday a local time in the missing hour (02:00-03:00) lands one hour later, as a wall clock
would show it; on the fall-back Sunday an ambiguous time is its first (summer-time) occurrence.
An interval that becomes empty that way is dropped. Intervals are returned in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")
WALK_IN = "walk_in"
APPOINTMENT = "appointment"
PHONE = "phone"
CHANNELS: tuple[str, ...] = (WALK_IN, APPOINTMENT, PHONE)


@dataclass(frozen=True)
class WeeklyRule:
    """Open on ``weekday`` (0 = Monday) from ``opens`` to ``closes``, local time."""

    weekday: int
    opens: dt.time
    closes: dt.time
    channel: str
    valid_from: dt.date
    valid_until: dt.date | None = None
    department_id: int | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class DayException:
    """A closed day, or special hours (``closed=False`` with ``opens``/``closes``), for one
    channel or for all (``channel=None``)."""

    day: dt.date
    reason: str
    closed: bool = True
    opens: dt.time | None = None
    closes: dt.time | None = None
    channel: str | None = None
    department_id: int | None = None

    def applies(self, channel: str, department_id: int | None) -> bool:
        return (self.channel is None or self.channel == channel) and (
            self.department_id is None or self.department_id == department_id
        )


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime
    channel: str

    def contains(self, at: dt.datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class ChannelDay:
    """One channel on one day: its intervals, or why it is closed."""

    channel: str
    intervals: tuple[Interval, ...]
    closed_reason: str = ""
    special_reason: str = ""


@dataclass(frozen=True)
class DaySchedule:
    day: dt.date
    channels: tuple[ChannelDay, ...]
    holiday: str = ""

    @property
    def intervals(self) -> tuple[Interval, ...]:
        return tuple(sorted((i for c in self.channels for i in c.intervals), key=lambda i: i.start))

    @property
    def closed(self) -> bool:
        return not any(c.intervals for c in self.channels)

    @property
    def reason(self) -> str:
        """Why the day is closed or special: the holiday, else the exceptions' reasons."""
        if self.holiday and self.closed:
            return self.holiday
        reasons = dict.fromkeys(
            c.closed_reason or c.special_reason
            for c in self.channels
            if c.closed_reason or c.special_reason
        )
        return "; ".join(reasons)


@dataclass(frozen=True)
class HoursData:
    """Everything the computation needs for one location."""

    rules: tuple[WeeklyRule, ...]
    exceptions: tuple[DayException, ...] = ()
    holidays: Mapping[dt.date, str] = field(default_factory=dict)
    tz: ZoneInfo = BRUSSELS


def to_instant(day: dt.date, wall: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of a local wall-clock time (see the module docstring for DST)."""
    local = dt.datetime.combine(day, wall, tzinfo=tz)
    # Round-trip through UTC normalises a time in the spring-forward gap to a real time.
    return local.astimezone(dt.UTC)


def _interval(
    day: dt.date, opens: dt.time, closes: dt.time, channel: str, tz: ZoneInfo
) -> Interval | None:
    start, end = to_instant(day, opens, tz), to_instant(day, closes, tz)
    return Interval(start, end, channel) if end > start else None


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end), last.channel)
        else:
            merged.append(interval)
    return tuple(merged)


def _rules_for(
    data: HoursData, day: dt.date, channel: str, department_id: int | None
) -> list[WeeklyRule]:
    todays = [
        r
        for r in data.rules
        if r.channel == channel and r.weekday == day.weekday() and r.valid_on(day)
    ]
    if department_id is not None:
        own = [r for r in todays if r.department_id == department_id]
        if own:
            return own
    return [r for r in todays if r.department_id is None]


def channel_day(
    data: HoursData, day: dt.date, channel: str, department_id: int | None = None
) -> ChannelDay:
    exceptions = [e for e in data.exceptions if e.day == day and e.applies(channel, department_id)]
    special = [e for e in exceptions if not e.closed and e.opens and e.closes]
    if special:
        parts = (
            _interval(day, e.opens, e.closes, channel, data.tz)
            for e in special
            if e.opens and e.closes
        )
        return ChannelDay(
            channel,
            _merge(p for p in parts if p is not None),
            special_reason="; ".join(dict.fromkeys(e.reason for e in special)),
        )
    holiday = data.holidays.get(day, "")
    if holiday:
        return ChannelDay(channel, (), closed_reason=holiday)
    closing = [e for e in exceptions if e.closed]
    if closing:
        return ChannelDay(
            channel, (), closed_reason="; ".join(dict.fromkeys(e.reason for e in closing))
        )
    parts = (
        _interval(day, r.opens, r.closes, channel, data.tz)
        for r in _rules_for(data, day, channel, department_id)
    )
    return ChannelDay(channel, _merge(p for p in parts if p is not None))


def day_schedule(
    data: HoursData,
    day: dt.date,
    *,
    channels: Sequence[str] = CHANNELS,
    department_id: int | None = None,
) -> DaySchedule:
    return DaySchedule(
        day,
        tuple(channel_day(data, day, c, department_id) for c in channels),
        holiday=data.holidays.get(day, ""),
    )


def schedule(
    data: HoursData,
    start: dt.date,
    end: dt.date,
    *,
    channels: Sequence[str] = CHANNELS,
    department_id: int | None = None,
) -> list[DaySchedule]:
    """One ``DaySchedule`` per day from ``start`` to ``end``, both included."""
    days = (end - start).days + 1
    return [
        day_schedule(
            data, start + dt.timedelta(days=n), channels=channels, department_id=department_id
        )
        for n in range(max(days, 0))
    ]


def intervals(
    data: HoursData,
    start: dt.date,
    end: dt.date,
    *,
    channel: str,
    department_id: int | None = None,
) -> list[Interval]:
    """The open intervals of one channel from ``start`` to ``end`` (local dates, included)."""
    return [
        i
        for d in schedule(data, start, end, channels=(channel,), department_id=department_id)
        for i in d.intervals
    ]


def is_open(
    data: HoursData, at: dt.datetime, *, channel: str, department_id: int | None = None
) -> bool:
    """Is ``channel`` open at the aware instant ``at``?"""
    day = at.astimezone(data.tz).date()
    found = channel_day(data, day, channel, department_id).intervals
    return any(i.contains(at) for i in found)


def next_opening(
    data: HoursData,
    after: dt.datetime,
    *,
    channel: str,
    department_id: int | None = None,
    horizon_days: int = 366,
) -> dt.datetime | None:
    """The first opening of ``channel`` strictly after ``after`` within the horizon, or None."""
    day = after.astimezone(data.tz).date()
    for n in range(horizon_days + 1):
        for interval in channel_day(
            data, day + dt.timedelta(days=n), channel, department_id
        ).intervals:
            if interval.start > after:
                return interval.start
    return None


def overlaps(a: WeeklyRule, b: WeeklyRule) -> bool:
    """Do two rules of the same scope (channel, department, weekday) overlap in time and in
    validity? Rules that merely touch (12:00-13:00 and 13:00-16:00) do not."""
    if (a.channel, a.department_id, a.weekday) != (b.channel, b.department_id, b.weekday):
        return False
    far = dt.date.max
    periods_meet = a.valid_from <= (b.valid_until or far) and b.valid_from <= (a.valid_until or far)
    return periods_meet and a.opens < b.closes and b.opens < a.closes
