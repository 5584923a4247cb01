"""The same article reached through different links is recognised as one article."""

from __future__ import annotations

import pytest

from bot.feeds.urls import article_id, canonical_url, display_url


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("HTTPS://News.Example.COM/a/b", "https://news.example.com/a/b"),
        ("https://example.com/story#comments", "https://example.com/story"),
        (
            "https://example.com/s?utm_source=nl&utm_medium=email&id=7&fbclid=abc",
            "https://example.com/s?id=7",
        ),
        ("https://example.com/s?gclid=1&mc_cid=2&mc_eid=3&ref=tw", "https://example.com/s"),
        ("https://example.com/s?b=2&a=1", "https://example.com/s?a=1&b=2"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("  https://example.com/q?x=%20y  ", "https://example.com/q?x=%20y"),
    ],
)
def test_canonical_url_removes_what_does_not_change_the_page(given: str, canonical: str) -> None:
    assert canonical_url(given) == canonical


def test_tracking_variants_of_one_story_share_one_id() -> None:
    links = [
        "https://example.com/story?id=9",
        "https://EXAMPLE.com/story?utm_campaign=x&id=9#top",
        "https://example.com/story?id=9&fbclid=zzz",
    ]
    ids = {article_id(canonical_url(link)) for link in links}
    assert len(ids) == 1
    (only,) = ids
    assert len(only) == 32 and all(c in "0123456789abcdef" for c in only)


def test_different_pages_get_different_ids() -> None:
    first = article_id(canonical_url("https://example.com/story?id=9"))
    second = article_id(canonical_url("https://example.com/story?id=10"))
    assert first != second


def test_display_url_drops_credentials() -> None:
    shown = display_url("https://reader:s3cret@example.com/private.xml")
    assert shown == "https://example.com/private.xml"
    assert "s3cret" not in shown


@pytest.mark.parametrize(
    "url",
    [
        "https://reader:Pw7/Qx9@host.example/feed",  # the parser takes "Pw7" for a port
        "https://reader:Pw7#Qx9@host.example/feed",
        "https://:12/Qx9@host.example/feed",  # a numeric port, and no host at all
    ],
)
def test_a_login_the_parser_misreads_is_dropped_whole(url: str) -> None:
    # A password with an unencoded / # or ? ends the host part early; what the parser sees
    # cannot be used, so everything up to the last "@" goes.
    assert display_url(url) == "https://host.example/feed"


def test_an_at_sign_in_the_path_is_not_taken_for_a_login() -> None:
    assert (
        display_url("https://medium.example/@writer/feed") == "https://medium.example/@writer/feed"
    )
    assert display_url("https://h.example:8443/@u") == "https://h.example:8443/@u"


def test_malformed_urls_never_raise() -> None:
    assert canonical_url("http://[::1/story#x") == "http://[::1/story"
    assert display_url("http://user:pw@[::1/feed") == "http://[::1/feed"
