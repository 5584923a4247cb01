"""When a channel's daily digest is due, from its IANA time zone (DST included).

A channel keeps a local wall-clock time ("07:30") and a zone ("Europe/Berlin"); the store
keeps the next due instant in UTC so "what is due now?" is one indexed query. Two DST rules:
a local time that does not exist on a spring-forward day fires as many minutes later as the
clock jumped (02:30 -> 03:30 in Berlin), and a time that happens twice on a fall-back day
fires at its first occurrence. Both fall out of PEP 495's `fold=0`, which zoneinfo follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import BadInput

PERIOD_PREFIX = "daily:"


def parse_time(text: str) -> time:
    """`HH:MM` (24-hour) as a time; BadInput with the expected form otherwise."""
    parts = text.strip().split(":")
    if len(parts) == 2 and all(p.isascii() and p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if 0 <= hour < 24 and 0 <= minute < 60:
            return time(hour, minute)
    raise BadInput(f"{text!r} is not a time of day; use 24-hour HH:MM, for example 07:30.")


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone such as Europe/Berlin; BadInput for anything zoneinfo does not know."""
    cleaned = name.strip()
    # ZoneInfo also accepts relative paths; only plain zone names are valid here.
    if not cleaned or cleaned.startswith(("/", ".")) or ".." in cleaned:
        raise BadInput(f"{name!r} is not a time zone; use an IANA name such as Europe/Berlin.")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise BadInput(
            f"{name!r} is not a time zone; use an IANA name such as Europe/Berlin."
        ) from None


def digest_instant(local_date: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of `at` local time on `local_date` in `zone` (gap: later; overlap: first)."""
    local = datetime.combine(local_date, at, tzinfo=zone)  # fold=0
    return local.astimezone(UTC)


def next_digest_at(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first digest instant strictly after `now` (aware), in UTC."""
    today = now.astimezone(zone).date()
    for offset in range(-1, 3):
        candidate = digest_instant(today + timedelta(days=offset), at, zone)
        if candidate > now:
            return candidate
    raise AssertionError("a daily time always recurs within three days")


def latest_digest_at(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The most recent digest instant at or before `now`: the one catch-up after downtime."""
    today = now.astimezone(zone).date()
    for offset in range(1, -3, -1):
        candidate = digest_instant(today + timedelta(days=offset), at, zone)
        if candidate <= now:
            return candidate
    raise AssertionError("a daily time always recurs within three days")


@dataclass(frozen=True)
class Period:
    """One daily digest of a channel: its key, local date and the window it covers (UTC)."""

    key: str
    local_date: date
    start: datetime
    end: datetime


def period_for(local_date: date, at: time, zone: ZoneInfo) -> Period:
    """The digest period for `local_date`: from the previous day's digest instant to this one.

    Consecutive periods tile time exactly (23 or 25 hours across a DST change), so every
    article fetched between two digests lands in exactly one of them.
    """
    end = digest_instant(local_date, at, zone)
    return Period(
        key=f"{PERIOD_PREFIX}{local_date.isoformat()}",
        local_date=local_date,
        start=digest_instant(local_date - timedelta(days=1), at, zone),
        end=end,
    )


def local_date_of(instant: datetime, zone: ZoneInfo) -> date:
    """The local calendar date of a digest instant in `zone`."""
    return instant.astimezone(zone).date()
