"""Full text of teaser-only entries: extracted from the linked page, under the same guard."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from bot.config import FetchSettings
from bot.errors import BlockedAddress, FeedError
from bot.feeds.fetch import Fetcher
from bot.feeds.fulltext import extract_full_text, fetch_full_text
from tests.fakes.feed_server import FeedServer

needs_trafilatura = pytest.mark.skipif(
    importlib.util.find_spec("trafilatura") is None,
    reason="full text needs the optional trafilatura extra (pip install 'newsbot[fulltext]')",
)

PARAGRAPHS = [
    "The harbour board voted on Tuesday evening to extend the ferry timetable through the "
    "winter months, after a season in which passenger numbers rose for the third year.",
    "Board members said the extra crossings would be paid for from the existing budget, "
    "and that a review of fares would follow in the spring once the figures were known.",
    "Residents of the outer islands had asked for the change at two public meetings, "
    "saying that the last ferry left too early for people working in the town.",
]

PAGE = f"""<!DOCTYPE html>
<html><head><title>Ferry timetable extended | Harbour Gazette</title>
<script>window.tracker = "should never appear";</script></head>
<body>
<nav><a href="/">Home</a> <a href="/sport">Sport</a> <a href="/weather">Weather</a></nav>
<article>
<h1>Ferry timetable extended through winter</h1>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
</article>
<footer>Copyright Harbour Gazette. Subscribe to our newsletter.</footer>
</body></html>""".encode()


@needs_trafilatura
def test_the_article_text_is_extracted_without_page_furniture() -> None:
    text = extract_full_text(PAGE, "https://harbour-gazette.example/ferry")
    assert "extend the ferry timetable" in text
    assert "outer islands" in text
    assert "tracker" not in text and "\n" not in text


@needs_trafilatura
def test_a_page_without_an_article_gives_empty_text() -> None:
    assert extract_full_text(b"<html><body></body></html>", "https://x.example/") == ""


@needs_trafilatura
async def test_the_linked_page_is_fetched_through_the_fetcher(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/ferry", PAGE, content_type="text/html; charset=utf-8")
    async with Fetcher(loopback_settings) as fetcher:
        text = await fetch_full_text(fetcher, feed_server.url("/ferry"))
    assert "passenger numbers rose" in text


@needs_trafilatura
async def test_the_guard_applies_to_linked_pages(
    feed_server: FeedServer, guarded_settings: FetchSettings
) -> None:
    feed_server.serve("/ferry", PAGE, content_type="text/html")
    async with Fetcher(guarded_settings) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetch_full_text(fetcher, feed_server.url("/ferry"))
    assert feed_server.connections == 0


@needs_trafilatura
async def test_the_byte_cap_applies_to_linked_pages(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/huge", b"<p>words</p>", content_type="text/html", forever=True)
    settings = loopback_settings.model_copy(update={"max_bytes": 1024 * 1024})
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match="larger than 1 MiB"):
            await fetch_full_text(fetcher, feed_server.url("/huge"))


@needs_trafilatura
async def test_a_linked_file_that_is_not_html_is_refused(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/report.pdf", b"%PDF-1.7", content_type="application/pdf")
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError, match="not HTML"):
            await fetch_full_text(fetcher, feed_server.url("/report.pdf"))


async def test_without_the_extra_the_error_says_how_to_install_it(
    feed_server: FeedServer, loopback_settings: FetchSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # as if it were not installed
    feed_server.serve("/ferry", PAGE, content_type="text/html")
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError, match=r"pip install 'newsbot\[fulltext\]'"):
            await fetch_full_text(fetcher, feed_server.url("/ferry"))
    assert feed_server.requests == []  # nothing fetched for nothing
