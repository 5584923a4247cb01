"""A credential in a feed URL's query string is masked wherever the URL is shown or logged."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from bot.cli import build_parser, run_parsed
from bot.feeds.urls import display_url, is_secret_param
from bot.logs import redact, setup_logging
from tests.fakes.feed_server import FeedServer

TOKEN = "tk_9f8e7d6c5b4a"
RSS = (
    b'<rss version="2.0"><channel><title>Private Wire</title>'
    b"<item><title>Harbour reopens</title><link>https://news.example/harbour</link>"
    b"<description>The harbour reopened.</description></item></channel></rss>"
)


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "TOKEN",
        "key",
        "api_key",
        "apikey",
        "api-key",
        "access_token",
        "sig",
        "signature",
        "auth",
        "password",
        "secret",
        "private_token",
        "X-Amz-Signature",
    ],
)
def test_a_secret_query_value_is_masked_in_display(name: str) -> None:
    shown = display_url(f"https://feeds.example/private.xml?page=2&{name}={TOKEN}&lang=en")
    assert TOKEN not in shown
    assert shown == f"https://feeds.example/private.xml?page=2&{name}=***&lang=en"


def test_ordinary_query_parameters_are_shown_as_given() -> None:
    url = "https://feeds.example/search?q=key+words&monkey=3&topic=auth%20news#top"
    assert display_url(url) == url
    assert not is_secret_param("keyword") and not is_secret_param("q")


def test_login_and_query_secret_are_both_masked() -> None:
    shown = display_url(f"https://reader:pa55@feeds.example/f.xml?token={TOKEN}")
    assert shown == "https://feeds.example/f.xml?token=***"


def test_logged_urls_lose_query_secrets_too() -> None:
    stream = io.StringIO()
    root, level = logging.getLogger(), logging.getLogger().level
    handler = setup_logging("DEBUG", stream=stream)
    try:
        logging.getLogger("newsbot.test").info(
            "polling %s failed", f"https://feeds.example/f.xml?x=1&access_token={TOKEN}&sig=ab12"
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    line = stream.getvalue()
    assert TOKEN not in line and "ab12" not in line
    assert "?x=1&access_token=***&sig=***" in line
    assert (
        redact(f"see https://h.example/?Signature={TOKEN}")
        == "see https://h.example/?Signature=***"
    )


def test_feeds_add_does_not_print_the_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES", "true")
    monkeypatch.setenv("NEWSBOT_FETCH__PARSE_WORKERS", "1")
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    with FeedServer() as server:
        server.serve("/private.xml", RSS)
        url = server.url("/private.xml") + f"?token={TOKEN}"
        code = run_parsed(build_parser().parse_args(["feeds", "add", url]))
        added = capsys.readouterr()
        listed_code = run_parsed(build_parser().parse_args(["feeds", "list"]))
        listed = capsys.readouterr()
    assert code == 0 and listed_code == 0
    assert "?token=***" in added.out
    for text in (added.out, added.err, listed.out, listed.err):
        assert TOKEN not in text
