"""THREATS.md "dashboard output": feed text is escaped, only http(s) links become links, and a
strict Content-Security-Policy (no inline script) is sent with every response."""

from __future__ import annotations

import re

import pytest

from adapters.console import CONSOLE_CHANNEL as CONSOLE_REF
from adapters.web.security import web_link
from bot.store import channels as channel_store
from bot.store.channels import ChannelDefaults
from tests.adapters.web.conftest import Site

SCRIPT = "<script>alert(1)</script>"
CONSOLE_PAGE = "/channels/console/local/terminal"


async def follow_feed(site: Site, url: str, *, title: str) -> None:
    """The console channel follows a stored feed with this URL and title."""
    app = site.app
    feed = await app.feeds.add(url, now=app.now())
    await app.feeds.record_success(
        feed.id, now=app.now(), etag=None, last_modified=None, title=title, outlet=title
    )
    async with app.db.write() as session:
        channel = await channel_store.ensure_channel(
            session, CONSOLE_REF, ChannelDefaults(), app.now()
        )
        await channel_store.add_feed_subscription(
            session, channel.id, feed.id, include=(), exclude=(), now=app.now()
        )


async def test_a_script_in_a_feed_title_is_shown_as_text(local_site: Site) -> None:
    await follow_feed(local_site, "https://example.org/news.xml", title=SCRIPT)
    for path in (CONSOLE_PAGE, "/feeds"):
        page = await local_site.client.get(path)
        assert page.status_code == 200
        assert SCRIPT not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_a_javascript_url_is_never_a_link(local_site: Site) -> None:
    await follow_feed(local_site, "javascript:alert(document.cookie)", title="Odd feed")
    for path in (CONSOLE_PAGE, "/feeds"):
        page = await local_site.client.get(path)
        assert "javascript:alert(document.cookie)" in page.text  # shown, as text
        assert not re.search(r'href="\s*javascript:', page.text, re.IGNORECASE)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/",
        "https://exa mple.org/",
    ],
)
def test_only_http_links_are_links(url: str) -> None:
    assert web_link(url) is None


def test_http_links_stay_links() -> None:
    assert web_link("https://example.org/a?b=1") == "https://example.org/a?b=1"


async def test_every_response_carries_a_strict_policy_and_pages_have_no_inline_script(
    local_site: Site,
) -> None:
    for path in ("/", CONSOLE_PAGE, "/feeds", "/llm", "/static/dashboard.css", "/nowhere"):
        response = await local_site.client.get(path)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        if response.headers.get("content-type", "").startswith("text/html"):
            assert re.findall(r"<script(?![^>]*\bsrc=)", response.text) == []
            assert " style=" not in response.text and "<style" not in response.text
