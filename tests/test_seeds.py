"""The bundled sample feeds are what `newsbot digest` shows a newcomer first: they must parse
cleanly, cover two days and five distinct outlets, and tell several stories more than once so
clustering and neutral, attributed summaries have something real to work on."""

from __future__ import annotations

import calendar
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import feedparser
import pytest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
FEED_FILES = sorted(p.name for p in SEEDS.glob("*.xml"))
TAG = re.compile(r"<[^>]+>")


@cache
def parsed(name: str) -> Any:
    """Parse one seed file the way the project does: feedparser on bytes wrapped in BytesIO."""
    return feedparser.parse(io.BytesIO((SEEDS / name).read_bytes()))


def entry_text(entry: Any) -> str:
    """The richest body an entry carries (content over summary), as feedparser returns it."""
    contents = entry.get("content") or []
    return str(contents[0]["value"] if contents else entry.get("summary", ""))


def all_entries() -> list[tuple[str, Any]]:
    return [(name, e) for name in FEED_FILES for e in parsed(name).entries]


def without_tracking(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")]
    return urlunsplit(
        (parts.scheme, parts.netloc, parts.path, "&".join(f"{k}={v}" for k, v in query), "")
    )


def opml_feed_urls() -> list[str]:
    root = ET.fromstring((SEEDS / "seeds.opml").read_bytes())
    return [o.attrib["xmlUrl"] for o in root.iter("outline") if "xmlUrl" in o.attrib]


def stories() -> list[dict[str, Any]]:
    doc = json.loads((SEEDS / "stories.json").read_text(encoding="utf-8"))
    return list(doc["stories"])


@pytest.mark.parametrize("name", FEED_FILES)
def test_every_seed_feed_parses_cleanly_with_titled_entries(name: str) -> None:
    feed = parsed(name)
    assert not feed.bozo, f"{name}: {feed.get('bozo_exception')}"
    assert feed.version in {"rss20", "atom10"}
    assert feed.feed.get("title")
    assert len(feed.entries) >= 8
    for entry in feed.entries:
        assert entry.get("title") and entry.get("id") and entry.get("link"), entry.get("title")
        assert entry.get("published_parsed"), f"{name}: no date on {entry.title!r}"


def test_there_are_five_outlets_in_both_formats_and_enough_items() -> None:
    outlets = {parsed(name).feed.title for name in FEED_FILES}
    versions = Counter(parsed(name).version for name in FEED_FILES)
    assert len(outlets) >= 5
    assert versions["rss20"] >= 2 and versions["atom10"] >= 2
    assert len(all_entries()) >= 48


def test_items_span_exactly_the_two_seed_days_in_utc() -> None:
    days = Counter(
        datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC).date()
        for _, e in all_entries()
    )
    assert set(days) == {date(2026, 11, 24), date(2026, 11, 25)}
    assert min(days.values()) >= 15, days


def test_links_are_unique_https_on_the_outlets_own_domain_even_without_tracking() -> None:
    links = [e.link for _, e in all_entries()]
    ids = [e.id for _, e in all_entries()]
    assert len(set(links)) == len(links)
    assert len(set(ids)) == len(ids)
    # Canonicalisation must not merge two different seed stories into one.
    assert len({without_tracking(u) for u in links}) == len(links)
    assert sum("utm_" in u for u in links) >= 5
    for name in FEED_FILES:
        home = urlsplit(parsed(name).feed.link).netloc
        for entry in parsed(name).entries:
            parts = urlsplit(entry.link)
            assert parts.scheme == "https" and parts.netloc == home, entry.link
            assert parts.netloc.endswith(".example")


def test_bodies_are_real_prose_and_exercise_html_stripping() -> None:
    bodies = [entry_text(e) for _, e in all_entries()]
    for body in bodies:
        plain = TAG.sub(" ", body)
        assert len(plain) >= 250, plain[:80]
        assert plain.count(".") >= 2, plain[:80]
    assert sum("<p>" in b for b in bodies) >= 20
    assert any("<img" in b for b in bodies)
    assert any("&amp;" in (SEEDS / n).read_text(encoding="utf-8") for n in FEED_FILES)


def test_one_item_is_not_in_english() -> None:
    langs = [
        c.get("language")
        for _, e in all_entries()
        for c in e.get("content") or []
        if c.get("language") and not str(c.get("language")).startswith("en")
    ]
    assert langs == ["es"]


def test_partisan_outlet_writes_louder_than_the_others() -> None:
    def marks(name: str) -> float:
        text = " ".join(TAG.sub(" ", entry_text(e)) + e.title for e in parsed(name).entries)
        return (text.count("!") + text.count("?")) / len(parsed(name).entries)

    loud = marks("bulldog-bulletin.rss.xml")
    assert loud >= 1.5
    assert all(marks(n) * 4 < loud for n in FEED_FILES if n != "bulldog-bulletin.rss.xml")


def test_opml_lists_every_feed_file_by_relative_name_and_each_exists() -> None:
    urls = opml_feed_urls()
    assert sorted(urls) == FEED_FILES
    for url in urls:
        assert not urlsplit(url).scheme and "/" not in url
        assert (SEEDS / url).is_file()


def test_story_map_covers_every_item_exactly_once() -> None:
    mapped = Counter((i["feed"], i["id"], i["link"]) for s in stories() for i in s["items"])
    actual = Counter((name, e.id, e.link) for name, e in all_entries())
    assert mapped == actual


def test_several_stories_are_told_by_several_outlets_with_disputed_facts() -> None:
    outlet_counts = {s["story"]: len({i["feed"] for i in s["items"]}) for s in stories()}
    assert all(n == len(s["items"]) for s, n in zip(stories(), outlet_counts.values(), strict=True))
    assert sum(n >= 2 for n in outlet_counts.values()) >= 8
    assert sum(n >= 3 for n in outlet_counts.values()) >= 3
    disputed = [s for s in stories() if s.get("disputed")]
    assert len(disputed) >= 1
    for story in disputed:
        told_by = {i["feed"] for i in story["items"]}
        for fact in story["disputed"]:
            assert {c["feed"] for c in fact["claims"]} <= told_by


def test_loaded_outlet_retells_at_least_two_stories_others_report_neutrally() -> None:
    shared = [
        s
        for s in stories()
        if len(s["items"]) >= 2 and any(i["feed"] == "bulldog-bulletin.rss.xml" for i in s["items"])
    ]
    assert len(shared) >= 2
    for story in shared:
        assert {"meridian-wire.atom.xml", "harbour-gazette.rss.xml"} & {
            i["feed"] for i in story["items"]
        }


def test_readme_names_every_feed_and_every_shared_story() -> None:
    readme = (SEEDS / "README.md").read_text(encoding="utf-8")
    for name in FEED_FILES:
        assert f"`{name}`" in readme
    for story in stories():
        if len(story["items"]) >= 2:
            assert f"`{story['story']}`" in readme
