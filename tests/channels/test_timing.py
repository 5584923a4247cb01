"""Digest times from IANA zones: DST gaps and overlaps, period tiling, bad input."""

from __future__ import annotations

import itertools
from datetime import date, time, timedelta

import pytest

from bot.channels.timing import (
    latest_digest_at,
    next_digest_at,
    parse_time,
    parse_zone,
    period_for,
)
from bot.errors import BadInput
from tests.channels.helpers import utc

BERLIN = parse_zone("Europe/Berlin")
NEW_YORK = parse_zone("America/New_York")


def test_berlin_morning_digest_moves_one_utc_hour_at_spring_forward() -> None:
    at = time(8, 0)
    before = next_digest_at(utc(2026, 3, 27, 12), at, BERLIN)
    assert before == utc(2026, 3, 28, 7)  # CET, UTC+1
    after = next_digest_at(before, at, BERLIN)
    assert after == utc(2026, 3, 29, 6)  # CEST, UTC+2: still 08:00 on the wall clock
    assert after - before == timedelta(hours=23)


def test_nonexistent_local_time_fires_later_by_the_gap() -> None:
    # 02:30 does not exist in Berlin on 2026-03-29 (02:00 -> 03:00): the digest comes at 03:30.
    fired = next_digest_at(utc(2026, 3, 28, 12), time(2, 30), BERLIN)
    assert fired == utc(2026, 3, 29, 1, 30)
    assert fired.astimezone(BERLIN).strftime("%H:%M") == "03:30"
    # New York skips 02:00-03:00 on 2026-03-08.
    fired_ny = next_digest_at(utc(2026, 3, 7, 12), time(2, 30), NEW_YORK)
    assert fired_ny.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"


def test_ambiguous_local_time_fires_once_at_its_first_occurrence() -> None:
    # 02:30 happens twice in Berlin on 2026-10-25; the first is still summer time (UTC+2).
    first = next_digest_at(utc(2026, 10, 24, 12), time(2, 30), BERLIN)
    assert first == utc(2026, 10, 25, 0, 30)
    # The second 02:30 (01:30 UTC) must not fire again the same day.
    again = next_digest_at(first, time(2, 30), BERLIN)
    assert again == utc(2026, 10, 26, 1, 30)
    # New York: 01:30 twice on 2026-11-01; first is EDT (UTC-4).
    ny = next_digest_at(utc(2026, 10, 31, 12), time(1, 30), NEW_YORK)
    assert ny == utc(2026, 11, 1, 5, 30)
    assert next_digest_at(ny, time(1, 30), NEW_YORK) == utc(2026, 11, 2, 6, 30)


def test_new_york_evening_digest_across_fall_back() -> None:
    at = time(18, 0)
    saturday = next_digest_at(utc(2026, 10, 31, 12), at, NEW_YORK)
    sunday = next_digest_at(saturday, at, NEW_YORK)
    assert saturday == utc(2026, 10, 31, 22)  # EDT
    assert sunday == utc(2026, 11, 1, 23)  # EST
    assert sunday - saturday == timedelta(hours=25)


def test_periods_tile_time_across_dst() -> None:
    at = time(8, 0)
    days = [date(2026, 3, 28) + timedelta(days=i) for i in range(3)]
    periods = [period_for(day, at, BERLIN) for day in days]
    for earlier, later in itertools.pairwise(periods):
        assert earlier.end == later.start
    assert periods[1].end - periods[1].start == timedelta(hours=23)
    assert periods[1].key == "daily:2026-03-29"


def test_latest_digest_at_is_the_one_catch_up() -> None:
    at = time(8, 0)
    now = utc(2026, 5, 10, 12)  # 14:00 in Berlin
    assert latest_digest_at(now, at, BERLIN) == utc(2026, 5, 10, 6)
    assert latest_digest_at(utc(2026, 5, 10, 5, 59), at, BERLIN) == utc(2026, 5, 9, 6)


@pytest.mark.parametrize(
    "text", ["25:00", "7", "07:60", "seven", "", "07:30:00", "-1:30", "²:00", "07:³⁰"]
)
def test_bad_times_are_refused_with_one_sentence(text: str) -> None:
    with pytest.raises(BadInput, match="HH:MM"):
        parse_time(text)


def test_good_times_parse() -> None:
    assert parse_time("7:05") == time(7, 5)
    assert parse_time(" 23:59 ") == time(23, 59)


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/Berln", "", "../etc/passwd", "/etc/x"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(BadInput, match="IANA"):
        parse_zone(name)
