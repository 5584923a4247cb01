"""The project-written messy feeds of `benchmarks/feeds/messy`, read through the real parser."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from bot.feeds.parse import parse_feed
from bot.models import Article

MESSY = Path(__file__).resolve().parents[2] / "benchmarks" / "feeds" / "messy"
READ_AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


@cache
def feed(name: str) -> tuple[Article, ...]:
    """The articles of one feed file of the messy folder."""
    path = MESSY / name
    return parse_feed(
        path.read_bytes(), url=path.resolve().as_uri(), headers={}, fetched_at=READ_AT
    ).articles


def entry(name: str, title_start: str) -> Article:
    """The one article of feed `name` whose title starts with `title_start`."""
    found = [a for a in feed(name) if a.title.startswith(title_start)]
    assert len(found) == 1, f"{title_start!r} in {name}: {[a.title for a in feed(name)]}"
    return found[0]


def all_articles() -> list[Article]:
    """Every article of every feed file in the folder (non-feeds are left out)."""
    names = ["byte-ledger.rss", "circuit-daily.xml", "gadget-hour.xml", "kestrel-devlog.xml"]
    names += ["lena-notebook.atom", "night-signal.xml", "northwire.xml", "tagesblick.xml"]
    names += ["valley-courier.xml"]
    return [a for name in names for a in feed(name)]
