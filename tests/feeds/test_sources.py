"""`digest --feeds` sources (issue 14.6): bad feeds are skipped with a reason, never fatal."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

from bot.config import FetchSettings
from bot.feeds.sources import SourcesRead, read_sources
from tests.fakes.feed_server import FeedServer

MESSY = Path(__file__).resolve().parents[2] / "benchmarks" / "feeds" / "messy"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
FETCH = FetchSettings(allow_private_addresses=True)

LINKLESS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Quay Notes</title>
<item><title>Ferry timetable changes from Monday</title>
<description>The harbour ferry will run every twenty minutes from Monday, the operator said.
</description><pubDate>Fri, 04 Dec 2026 09:00:00 GMT</pubDate></item></channel></rss>"""


def _read(*sources: str) -> SourcesRead:
    return asyncio.run(read_sources(list(sources), FETCH, fetched_at=NOW))


def test_a_messy_folder_is_read_with_one_warning_per_skipped_source() -> None:
    read = _read(str(MESSY))
    assert read.readable and read.refusal == ""
    assert sorted(read.warnings) == [
        f"{MESSY / 'broken.xml'}: skipped, it is a broken feed with no readable entry.",
        f"{MESSY / 'frontpage.xml'}: skipped, it is a web page (HTML), not a feed.",
        f"{MESSY / 'reading-list.opml'} lists gone.xml: skipped, no such file.",
    ]
    urls = [a.url for a in read.articles]
    assert len(urls) == len(set(urls)) == 33  # the mirror and the OPML's copy add nothing


def test_files_beside_the_feeds_that_are_no_sources_are_passed_over(tmp_path: Path) -> None:
    shutil.copy(MESSY / "valley-courier.xml", tmp_path / "valley.xml")
    (tmp_path / "README.md").write_text("My saved feeds.\n")
    (tmp_path / "notes.json").write_text('{"stories": []}\n')
    read = _read(str(tmp_path))
    assert read.warnings == ()
    assert {a.outlet for a in read.articles} == {"Valley Courier"}


def test_nothing_readable_is_refused_in_one_sentence(tmp_path: Path) -> None:
    shutil.copy(MESSY / "frontpage.xml", tmp_path / "page.xml")
    only = _read(str(tmp_path / "page.xml"))
    assert not only.readable
    assert only.refusal == f"{tmp_path / 'page.xml'}: it is a web page (HTML), not a feed."
    several = _read(str(tmp_path / "page.xml"), "/no/such/folder", "ftp://example.org/f.xml")
    assert several.refusal == "None of the sources could be read as a feed (3 skipped)."
    assert several.warnings == (
        "/no/such/folder: skipped, no such file or folder.",
        "ftp://example.org/f.xml: skipped, not an http(s) URL.",
        f"{tmp_path / 'page.xml'}: skipped, it is a web page (HTML), not a feed.",
    )


def test_a_url_that_is_no_feed_is_skipped_in_words_for_an_address() -> None:
    with FeedServer() as server:
        server.serve(
            "/page", b"<!DOCTYPE html><html><body>Hi</body></html>", content_type="text/html"
        )
        server.serve("/quay.xml", LINKLESS)
        read = _read(server.url("/page"), server.url("/quay.xml"))
    assert read.readable and read.fetched_any
    assert len(read.warnings) == 1
    assert read.warnings[0].startswith(server.url("/page") + ": skipped, the address returned")
    assert "HTML page" in read.warnings[0]
    assert [a.title for a in read.articles] == ["Ferry timetable changes from Monday"]


def test_the_same_article_from_a_file_and_its_url_appears_once_with_its_outlet(
    tmp_path: Path,
) -> None:
    saved = tmp_path / "quay.xml"
    saved.write_bytes(LINKLESS.replace(b"<title>Quay Notes</title>", b""))
    with FeedServer() as server:
        server.serve("/quay.xml", LINKLESS)
        read = _read(str(saved), server.url("/quay.xml"))
    assert read.warnings == ()
    assert [(a.title, a.outlet) for a in read.articles] == [
        ("Ferry timetable changes from Monday", "Quay Notes")
    ]
