"""`newsbot feeds|fetch|articles` as an operator uses them: output, errors, exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import feeds_cmd, run_parsed
from tests.fakes.feed_server import FeedServer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

ITEM = (
    "<item><title>{title}</title><link>https://news.example/{slug}</link>"
    "<description>{title}, as reported.</description>"
    "<pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate></item>"
)


def rss(*titles: str) -> bytes:
    items = "".join(ITEM.format(title=t, slug=t.lower().replace(" ", "-")) for t in titles)
    return (
        f'<rss version="2.0"><channel><title>Test Outlet</title>{items}</channel></rss>'
    ).encode()


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


def _parser() -> argparse.ArgumentParser:
    # Only this module's commands: the test does not depend on the other subcommand modules.
    parser = argparse.ArgumentParser(prog="newsbot")
    parser.add_argument("--config")
    feeds_cmd.register(parser.add_subparsers(dest="command", required=True))
    return parser


@pytest.fixture
def newsbot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Run]:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES", "true")
    monkeypatch.setenv("NEWSBOT_FETCH__PARSE_WORKERS", "1")
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "250")

    def run(*argv: str) -> Result:
        code = run_parsed(_parser().parse_args(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield run


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as feed_server:
        yield feed_server


def test_add_list_and_remove_a_feed(newsbot: Run, server: FeedServer) -> None:
    url = server.url("/a.xml")
    server.serve("/a.xml", rss("Ferry resumes"))
    added = newsbot("feeds", "add", url, "--outlet", "Harbour Gazette", "--interval", "30m")
    assert added.code == 0
    assert "Added feed 1: Harbour Gazette" in added.out and "every 30m" in added.out

    listed = newsbot("feeds", "list")
    assert listed.code == 0
    assert "Harbour Gazette" in listed.out and url in listed.out
    assert " ok " in listed.out  # fetched once when added

    removed = newsbot("feeds", "remove", "1")
    assert removed.code == 0 and "Removed feed 1" in removed.out
    assert "No feeds yet" in newsbot("feeds", "list").out


def test_bad_input_is_one_sentence_and_a_non_zero_exit(newsbot: Run, tmp_path: Path) -> None:
    cases = {
        ("feeds", "add", "ftp://files.example/feed.xml"): "ftp:// scheme",
        ("feeds", "add", "http://[::1/feed.xml"): "is not a valid URL",
        ("feeds", "import-opml", "https://[::1/feeds.opml"): "is not a valid URL",
        ("feeds", "add", str(tmp_path / "missing.xml")): "is not a file",
        ("feeds", "remove", "42"): "no feed with id 42",
        ("feeds", "remove", "https://nowhere.example/feed"): "no feed with URL",
        ("articles", "--feed", "7"): "no feed with id 7",
        ("feeds", "remove", "9" * 30): "no feed with id 999",
        ("feeds", "enable", "²"): "no feed with URL ²",
        ("feeds", "remove", " "): "give a feed id or URL",
        ("articles", "--limit", "9" * 30): "--limit must be between 1 and 10000.",
        ("articles", "--limit", "0"): "--limit must be between 1 and 10000.",
        ("feeds", "import-opml", str(tmp_path / "none.opml")): "is not a file",
    }
    for argv, expected in cases.items():
        result = newsbot(*argv)
        assert result.code != 0, argv
        assert expected in result.err, (argv, result.err)
        assert result.err.startswith("newsbot: ") and result.err.count("\n") == 1, result.err
        assert "Traceback" not in result.err


def test_adding_a_feed_twice_is_refused(newsbot: Run, server: FeedServer) -> None:
    server.serve("/a.xml", rss("Ferry resumes"))
    assert newsbot("feeds", "add", server.url("/a.xml")).code == 0
    again = newsbot("feeds", "add", server.url("/a.xml"))
    assert again.code == 2 and "already added (id 1)" in again.err


def test_a_bad_interval_is_refused_by_the_parser(newsbot: Run) -> None:
    with pytest.raises(SystemExit) as stopped:
        newsbot("feeds", "add", "https://a.example/feed", "--interval", "soon")
    assert stopped.value.code == 2


@pytest.mark.parametrize(
    "argv",
    [
        ("feeds", "add", "https://a.example/feed", "--interval", "99999999w"),
        ("articles", "--since", "99999999999w"),
        ("articles", "--since", "100000000d"),
    ],
)
def test_a_duration_too_long_for_a_date_is_refused_in_one_line(
    newsbot: Run, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        newsbot(*argv)
    err = capsys.readouterr().err
    assert stopped.value.code == 2
    assert "is too long; the longest is 520w" in err and "Traceback" not in err
    assert "No feeds yet" in newsbot("feeds", "list").out


def test_fetch_reports_new_and_failed_feeds_and_why(newsbot: Run, server: FeedServer) -> None:
    server.serve("/good.xml", rss("Ferry resumes", "Pier shut"))
    server.serve("/broken.xml", b"", status=500)
    # Unchecked: the first poll is `fetch`'s.
    newsbot("feeds", "add", server.url("/good.xml"), "--outlet", "Good Times", "--no-check")
    newsbot("feeds", "add", server.url("/broken.xml"), "--outlet", "Broken Post", "--no-check")

    fetched = newsbot("fetch")
    assert fetched.code == 1  # something failed: scripts can tell
    assert "Good Times" in fetched.out and "Broken Post" in fetched.out
    assert "500" in fetched.out
    assert "1 with new articles (2 articles)" in fetched.out and "1 failed" in fetched.out

    again = newsbot("fetch")
    assert again.code == 0 and "No feeds are due" in again.out

    server.serve("/broken.xml", rss("Tolls cut"))
    forced = newsbot("fetch", "--all", "--force")  # the broken feed is backing off
    assert forced.code == 0 and "0 failed" in forced.out

    health = newsbot("feeds", "list").out
    assert "failing" not in health and "ok" in health

    listed = newsbot("articles", "--since", "520w", "--feed", "1")
    assert listed.code == 0
    assert "Ferry resumes" in listed.out and "Tolls cut" not in listed.out


def test_import_the_bundled_seeds_then_fetch_and_list_articles(newsbot: Run) -> None:
    imported = newsbot("feeds", "import-opml", str(SEEDS / "seeds.opml"))
    assert imported.code == 0, imported.err
    assert "Imported 5 feeds; 0 already present" in imported.out
    again = newsbot("feeds", "import-opml", str(SEEDS / "seeds.opml"))
    assert "Imported 0 feeds; 5 already present" in again.out

    fetched = newsbot("fetch")
    assert fetched.code == 0, fetched.out + fetched.err
    assert "5 feeds: 5 with new articles" in fetched.out

    articles = newsbot("articles", "--since", "520w", "--limit", "3")
    assert articles.code == 0
    assert "3 articles" in articles.out


def test_import_opml_from_a_url_resolves_relative_feed_links(
    newsbot: Run, server: FeedServer
) -> None:
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><body>'
        b'<outline text="One" xmlUrl="feeds/one.xml"/>'
        b'<outline text="Bad" xmlUrl="file:///etc/passwd"/>'
        b"</body></opml>"
    )
    server.serve("/lists/news.opml", opml, content_type="text/x-opml")
    result = newsbot("feeds", "import-opml", server.url("/lists/news.opml"))
    assert "Imported 1 feeds" in result.out and "1 refused" in result.out
    assert result.code == 1
    assert server.url("/lists/feeds/one.xml") in newsbot("feeds", "list").out


def test_a_bad_opml_source_is_named_in_the_refusal(
    newsbot: Run, server: FeedServer, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.opml"
    broken.write_text("<opml><body><outline")
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss("Ferry resumes"))
    server.serve("/gone.opml", b"gone", status=404)
    cases = {
        str(broken): f"newsbot: {broken}: the file is not valid OPML",
        str(feed): f"newsbot: {feed}: the file is not OPML",
        str(tmp_path / "none.opml"): "give an http(s) URL or the path of an OPML file.",
        server.url("/gone.opml"): f"newsbot: {server.url('/gone.opml')} could not be fetched: ",
    }
    for source, expected in cases.items():
        result = newsbot("feeds", "import-opml", source)
        assert result.code == 2 and expected in result.err, result.err
        assert result.err.count("\n") == 1
    assert "No feeds yet" in newsbot("feeds", "list").out


def test_an_opml_entry_that_is_not_a_url_is_skipped_and_the_others_imported(
    newsbot: Run, tmp_path: Path
) -> None:
    (tmp_path / "one.xml").write_bytes(rss("Ferry resumes"))
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        '<outline text="Broken" xmlUrl="http://[::1/feed.xml"/>'
        '<outline text="One" xmlUrl="one.xml"/>'
        "</body></opml>"
    )
    result = newsbot("feeds", "import-opml", str(opml))
    assert result.code == 1 and "Traceback" not in result.err
    skipped = [line for line in result.out.splitlines() if line.startswith("Skipped")]
    assert len(skipped) == 1 and "is not a valid URL" in skipped[0]
    assert "Imported 1 feeds; 0 already present, 1 refused." in result.out
    assert str(tmp_path / "one.xml") in newsbot("feeds", "list").out


def test_feed_credentials_never_appear_in_output(newsbot: Run, server: FeedServer) -> None:
    server.serve("/private.xml", rss("Members only"))
    url = server.url("/private.xml").replace("http://", "http://reader:s3cret-pass@")
    outputs = [
        newsbot("feeds", "add", url),
        newsbot("feeds", "list"),
        newsbot("fetch"),
        newsbot("feeds", "remove", "https://other:hunter22@nowhere.example/feed"),
    ]
    for result in outputs:
        assert "s3cret-pass" not in result.out + result.err
        assert "hunter22" not in result.out + result.err
    # A feed with no name yet is listed by its address once, not once per column.
    assert outputs[1].out.count(url.replace("reader:s3cret-pass@", "")) == 1
    assert "Members only" in newsbot("articles", "--since", "520w").out
    # The credentials are still used for the request itself.
    assert (
        server.requests_for("/private.xml")[-1]
        .headers.get("Authorization", "")
        .startswith("Basic ")
    )


# ----------------------------------------------------------------- issue 17: the operator CLI


def _no_feeds(newsbot: Run) -> bool:
    return "No feeds yet" in newsbot("feeds", "list").out


def test_add_fetches_the_url_once_and_refuses_what_is_not_a_feed(
    newsbot: Run, server: FeedServer
) -> None:
    server.serve("/error.xml", b"oops", status=500)
    server.serve(
        "/page.html", b"<!doctype html><html><body>Hi</body></html>", content_type="text/html"
    )
    cases = {
        "/error.xml": "could not be fetched: the feed server answered 500",
        "/missing.xml": "could not be fetched: the feed server answered 404",
        "/page.html": "an HTML page, not a feed",
    }
    for path, expected in cases.items():
        refused = newsbot("feeds", "add", server.url(path))
        assert refused.code == 2 and expected in refused.err, refused.err
        assert refused.err.count("\n") == 1
    assert _no_feeds(newsbot)

    server.serve("/good.xml", rss("Ferry resumes", "Pier shut"))
    added = newsbot("feeds", "add", server.url("/good.xml"))
    assert added.code == 0, added.err
    # Named at once, from the feed itself; what it carries now is its starting point.
    assert added.out.startswith("Added feed 1: Test Outlet (")
    assert "2 items now" in added.out
    assert "ok" in newsbot("feeds", "list").out

    unchecked = newsbot("feeds", "add", server.url("/missing.xml"), "--no-check")
    assert unchecked.code == 0 and "Added feed 2" in unchecked.out
    assert server.requests_for("/missing.xml") and len(server.requests_for("/missing.xml")) == 1


def test_add_points_an_opml_url_to_import_opml(newsbot: Run, server: FeedServer) -> None:
    opml = b'<opml version="2.0"><body><outline text="One" xmlUrl="https://one.example/f"/></body></opml>'
    server.serve("/list.opml", opml, content_type="text/x-opml")
    result = newsbot("feeds", "add", server.url("/list.opml"))
    assert result.code == 2 and "newsbot feeds import-opml" in result.err
    assert _no_feeds(newsbot)


def test_disable_keeps_a_reason_and_enable_clears_old_errors(
    newsbot: Run, server: FeedServer
) -> None:
    server.serve("/flaky.xml", b"", status=500)
    newsbot("feeds", "add", server.url("/flaky.xml"), "--no-check", "--outlet", "Flaky")
    newsbot("fetch")
    assert "the feed server answered 500" in newsbot("feeds", "list").out

    disabled = newsbot("feeds", "disable", "1", "--reason", "the outlet closed its feed")
    assert disabled.code == 0
    assert "Disabled feed 1" in disabled.out and "the outlet closed its feed" in disabled.out
    listed = newsbot("feeds", "list").out
    assert "disabled" in listed and "the outlet closed its feed" in listed
    again = newsbot("feeds", "disable", "1")
    assert again.code == 0 and "already disabled" in again.out

    server.serve("/flaky.xml", rss("Back again"))
    enabled = newsbot("feeds", "enable", "1")
    assert enabled.code == 0 and "Enabled feed 1" in enabled.out
    listed = newsbot("feeds", "list").out
    assert "answered 500" not in listed and "closed its feed" not in listed
    assert "not polled yet" in listed

    assert newsbot("fetch").code == 0
    healthy = newsbot("feeds", "enable", "1")
    assert healthy.code == 0 and "already enabled" in healthy.out and "Enabled" not in healthy.out


def test_fetch_all_respects_retry_after_and_skips_backoff_unless_forced(
    newsbot: Run, server: FeedServer
) -> None:
    server.serve("/good.xml", rss("Ferry resumes"))
    server.serve("/down.xml", b"", status=500)
    server.serve("/busy.xml", b"", status=503, headers={"Retry-After": "3600"})
    for path in ("/good.xml", "/down.xml", "/busy.xml"):
        newsbot("feeds", "add", server.url(path), "--no-check")
    assert newsbot("fetch").code == 1
    server.reset_records()

    polled = newsbot("fetch", "--all")
    assert "1 feeds:" in polled.out
    assert "1 feed backing off after failures (--force polls it)" in polled.out
    assert "1 feed asked to wait (Retry-After) until" in polled.out
    assert server.requests_for("/down.xml") == [] and server.requests_for("/busy.xml") == []

    forced = newsbot("fetch", "--all", "--force")
    assert "2 feeds:" in forced.out
    assert len(server.requests_for("/down.xml")) == 1
    assert server.requests_for("/busy.xml") == []  # the host's wait holds even when forced

    enabled = newsbot("feeds", "enable", "3")
    assert enabled.code == 0 and "its host asked for a wait, so it is polled at" in enabled.out
    newsbot("fetch")
    assert server.requests_for("/busy.xml") == []  # nor does re-enabling make it due early


@pytest.mark.parametrize(
    ("status", "moves"), [(301, True), (308, True), (302, False), (307, False)]
)
def test_a_permanent_redirect_updates_the_stored_url(
    newsbot: Run, server: FeedServer, status: int, moves: bool
) -> None:
    server.serve("/new.xml", rss("Ferry resumes"))
    server.serve("/old.xml", status=status, redirect_to=server.url("/new.xml"))
    newsbot("feeds", "add", server.url("/old.xml"), "--no-check")
    assert newsbot("fetch").code == 0
    listed = newsbot("feeds", "list").out
    assert (server.url("/new.xml") in listed) is moves
    assert (server.url("/old.xml") in listed) is not moves


def test_export_opml_is_read_back_by_import_opml(
    newsbot: Run, server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    newsbot("feeds", "add", server.url("/a.xml"), "--no-check", "--outlet", "Harbour & Gazette")
    newsbot("feeds", "add", server.url("/b.xml"), "--no-check", "--outlet", 'Quay "News"')
    printed = newsbot("feeds", "export-opml")
    assert printed.code == 0 and printed.out.startswith("<?xml")
    saved = tmp_path / "out" / "feeds.opml"
    written = newsbot("feeds", "export-opml", "--output", str(saved))
    assert written.code == 0 and "Exported 2 feeds" in written.out
    assert saved.read_text(encoding="utf-8") == printed.out

    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    imported = newsbot("feeds", "import-opml", str(saved))
    assert imported.code == 0 and "Imported 2 feeds" in imported.out
    listed = newsbot("feeds", "list").out
    assert "Harbour & Gazette" in listed and 'Quay "News"' in listed
    assert server.url("/a.xml") in listed and server.url("/b.xml") in listed
