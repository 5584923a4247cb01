"""Feed bytes -> Articles: formats, odd and hostile feeds, dates, text, the process pool."""

from __future__ import annotations

import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import NotAFeed
from bot.feeds.parse import ParsedFeed, ParserPool, parse_feed
from bot.feeds.urls import article_id
from tests.feeds.samples import NOW, atom, rss

FEED_URL = "https://harbour-gazette.example/rss.xml"


def parse(body: bytes, **options: object) -> ParsedFeed:
    headers = options.pop("headers", {"Content-Type": "application/rss+xml"})
    return parse_feed(body, url=FEED_URL, headers=headers, fetched_at=NOW, **options)  # type: ignore[arg-type]


def all_text(feed: ParsedFeed) -> str:
    parts = [feed.title, feed.outlet, feed.warning]
    for a in feed.articles:
        parts += [a.title, a.text, a.url, a.outlet]
    return "\n".join(parts)


def one_item(title: str, description: str = "Body text.", pub: str = "") -> bytes:
    date = f"<pubDate>{pub}</pubDate>" if pub else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Harbour Gazette</title>
<item><title>{title}</title><link>https://harbour-gazette.example/a</link>
<description>{description}</description>{date}</item>
</channel></rss>""".encode()


def test_rss_entries_become_normalised_articles() -> None:
    feed = parse(rss(3))
    assert feed.title == feed.outlet == "Harbour Gazette" and feed.warning == ""
    first = feed.articles[0]
    assert first.url == "https://harbour-gazette.example/news/0"  # utm_source removed
    assert first.id == article_id(first.url)
    assert first.title == "Harbour story 0: ferry timetable changes"
    assert first.text == "Story 0 about the ferry timetable."
    assert first.published == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert first.feed_url == FEED_URL and first.fetched == NOW
    assert len({a.id for a in feed.articles}) == 3


def test_atom_prefers_full_content_and_converts_times_to_utc() -> None:
    feed = parse(atom(2), headers={"Content-Type": "application/atom+xml"})
    entry = feed.articles[1]
    assert entry.url == "https://valley-courier.example/r/1"
    assert entry.text == "Full text of report 1, with the whole story."
    assert entry.title == "Valley report 1 & update"
    assert entry.published == datetime(2026, 11, 25, 0, 30, tzinfo=UTC)
    assert entry.published.tzinfo is UTC


def test_the_given_outlet_wins_and_the_host_stands_in_for_a_missing_title() -> None:
    assert parse(rss(1), outlet="The Gazette").articles[0].outlet == "The Gazette"
    untitled = rss(1).replace(b"<title>Harbour Gazette</title>", b"")
    assert parse(untitled).outlet == "harbour-gazette.example"


def test_entries_without_link_get_a_stable_unique_url() -> None:
    body = b"""<rss version="2.0"><channel><title>Notices</title>
<item><guid isPermaLink="false">n-1</guid><title>Water off Tuesday</title></item>
<item><guid isPermaLink="false">n-2</guid><title>Water off Wednesday</title></item>
</channel></rss>"""
    first, second = parse(body).articles
    assert first.url.startswith("https://harbour-gazette.example/rss.xml#entry-")
    assert first.url != second.url and first.id != second.id
    assert parse(body).articles[0].id == first.id  # same feed tomorrow: same id


def test_javascript_links_are_not_article_urls() -> None:
    body = one_item("Click").replace(
        b"https://harbour-gazette.example/a", b"javascript:alert(document.cookie)"
    )
    assert not parse(body).articles[0].url.startswith("javascript")


def test_html_and_script_in_fields_become_plain_text() -> None:
    title = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Quay&lt;/b&gt; reopens"
    description = "&lt;img src=x onerror=alert(1)&gt;Works &lt;i&gt;done&lt;/i&gt;."
    article = parse(one_item(title, description)).articles[0]
    assert article.title == "Quay reopens"
    assert article.text == "Works done."
    assert "<" not in article.title + article.text


def test_control_characters_and_bad_bytes_do_not_break_parsing() -> None:
    body = one_item("Tide\x01 tables", "Depth \x07 rising").replace(b"Tide", b"Tide \xe9\xff\xfe")
    feed = parse(body)
    article = feed.articles[0]
    assert "tables" in article.title and "\x01" not in article.title
    assert article.text == "Depth rising"


@pytest.mark.parametrize(
    "date", ["31 Feb 2024 99:99:99", "not a date", "Mon, 01 Jan 2099 00:00:00 GMT", ""]
)
def test_missing_invalid_or_future_dates_become_the_fetch_time(date: str) -> None:
    assert parse(one_item("Dated", pub=date)).articles[0].published == NOW


def test_a_date_a_few_hours_ahead_is_kept() -> None:
    soon = (NOW + timedelta(hours=3)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse(one_item("Soon", pub=soon)).articles[0].published == NOW + timedelta(hours=3)


def test_a_newline_before_the_xml_declaration_keeps_the_entries() -> None:
    feed = parse(b"\n" + rss(4))
    assert len(feed.articles) == 4
    assert feed.warning.startswith("the feed is not well-formed")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (rss(2).replace(b'encoding="utf-8"', b'encoding="us-ascii"'), "application/rss+xml"),
        (rss(2), "text/xml; charset=windows-1252"),
        (rss(2).replace(b"ferry", "f\u00e9rry".encode("latin-1")), "application/rss+xml"),
    ],
)
def test_a_wrong_charset_keeps_the_entries(body: bytes, content_type: str) -> None:
    assert len(parse(body, headers={"Content-Type": content_type}).articles) == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            b"<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>",
            "HTML page",
        ),
        (b"<html><body><p>Welcome</p></body></html>", "HTML page"),
        (
            b'<?xml version="1.0"?><opml version="2.0"><head><title>My feeds</title></head>'
            b'<body><outline text="Gazette" xmlUrl="https://h.example/rss"/></body></opml>',
            "OPML",
        ),
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"just some words", "did not return an RSS, Atom or JSON feed"),
        (b'{"hello": "world"}', "JSON that is not a JSON Feed"),
        (b"{not json", "broken JSON"),
    ],
)
def test_things_that_are_not_feeds_get_a_clear_reason(body: bytes, reason: str) -> None:
    with pytest.raises(NotAFeed, match=reason):
        parse(body, headers={})


def test_a_local_path_as_body_is_not_opened(tmp_path: Path) -> None:
    local = tmp_path / "other.xml"
    local.write_bytes(rss(1, title="Private local outlet"))
    with pytest.raises(NotAFeed):
        parse(str(local).encode())


@pytest.mark.parametrize(
    "version", ["https://jsonfeed.org/version/1.1", "https://jsonfeed.org/version/1"]
)
def test_json_feed_is_read(version: str) -> None:
    body = json.dumps(
        {
            "version": version,
            "title": "Ridge Times",
            "items": [
                {
                    "id": "1",
                    "url": "https://ridge-times.example/p/1?utm_medium=social",
                    "title": "Snow closes <em>pass</em>",
                    "content_html": "<p>The <b>pass</b> is closed.</p>",
                    "summary": "Teaser",
                    "date_published": "2026-11-25T08:15:00+02:00",
                },
                {
                    "id": "2",
                    "content_text": "Untitled note about the road.",
                    "date_published": "bad",
                },
                "not an item",
            ],
        }
    ).encode()
    feed = parse(body, headers={"Content-Type": "application/feed+json"})
    assert feed.outlet == "Ridge Times"
    first, second = feed.articles
    assert first.url == "https://ridge-times.example/p/1"
    assert (first.title, first.text) == ("Snow closes pass", "The pass is closed.")
    assert first.published == datetime(2026, 11, 25, 6, 15, tzinfo=UTC)
    assert second.title == "Untitled note about the road." and second.published == NOW
    assert "#entry-" in second.url


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-42")
    for target in (secret.as_uri(), "file:///etc/passwd"):
        body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{target}">]>
<rss version="2.0"><channel><title>Gazette &xxe;</title>
<item><title>Leak &xxe;</title><link>https://h.example/1</link>
<description>&xxe;</description></item></channel></rss>""".encode()
        feed = parse(body)
        text = all_text(feed)
        assert "TOPSECRET" not in text and "root:" not in text
        assert len(feed.articles) == 1


def test_billion_laughs_is_fast_and_small() -> None:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 11)
    ]
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [{"".join(levels)}]>
<rss version="2.0"><channel><title>&lol10;</title>
<item><title>&lol10;</title><link>https://h.example/1</link><description>&lol10;</description>
</item></channel></rss>""".encode()
    tracemalloc.start()
    started = time.monotonic()
    try:
        feed = parse(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 200 * 1024 * 1024
    assert len(all_text(feed)) < 10_000


def test_quadratic_entity_blowup_is_not_expanded() -> None:
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY a "{"A" * 10_000}">]>
<rss version="2.0"><channel><title>t</title><item><title>x</title>
<link>https://h.example/1</link><description>{"&a;" * 20_000}</description>
</item></channel></rss>""".encode()
    started = time.monotonic()
    feed = parse(body)
    assert time.monotonic() - started < 2
    assert len(all_text(feed)) < 1_000_000  # expanded it would be 200 MB


async def test_the_pool_parses_in_worker_processes() -> None:
    async with ParserPool(2) as pool:
        feeds = [
            await pool.parse(rss(5), url=FEED_URL, headers={}, fetched_at=NOW),
            await pool.parse(atom(3), url="https://valley-courier.example/atom", fetched_at=NOW),
        ]
        with pytest.raises(NotAFeed, match="HTML page"):
            await pool.parse(b"<html><body>x</body></html>", url=FEED_URL, fetched_at=NOW)
    assert [len(f.articles) for f in feeds] == [5, 3]
    assert feeds[0] == parse(rss(5), headers={})


async def test_the_in_process_pool_gives_the_same_result() -> None:
    async with ParserPool(in_process=True) as pool:
        feed = await pool.parse(rss(2), url=FEED_URL, headers={}, fetched_at=NOW, outlet="G")
    assert feed == parse(rss(2), headers={}, outlet="G")


def test_a_malformed_link_does_not_lose_the_feed() -> None:
    body = one_item("Broken link").replace(b"https://harbour-gazette.example/a", b"http://[::1/x")
    feed = parse(body)
    assert feed.articles[0].title == "Broken link"
    assert "#entry-" in feed.articles[0].url


@pytest.mark.parametrize("headers", [{}, {"content-location": "seeds/harbour.xml"}, None])
def test_a_feed_without_content_type_is_not_flagged(headers: dict[str, str] | None) -> None:
    feed = parse_feed(rss(3), url="seeds/harbour.xml", headers=headers, fetched_at=NOW)
    assert feed.warning == "" and len(feed.articles) == 3


def test_a_latin1_feed_read_from_a_file_keeps_its_declared_encoding() -> None:
    body = rss(1).replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')
    body = body.replace(b"ferry timetable changes", "f\u00e4hre".encode("latin-1"))
    feed = parse_feed(body, url="seeds/nord.xml", headers={}, fetched_at=NOW)
    assert feed.articles[0].title == "Harbour story 0: f\u00e4hre" and feed.warning == ""
