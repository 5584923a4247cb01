"""Every dashboard route checks, on every request, that the person may manage what it touches.

THREATS.md "dashboard permissions": a signed-in user who opens another server's channel page,
or posts to its forms by id, is refused; nothing of that server shows anywhere.
"""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from adapters.web import login, pages
from bot.models import ChannelRef
from tests.adapters.web.conftest import OPERATOR, OURS, THEIRS, Site, rss, sign_in
from tests.fakes.feed_server import FeedServer


def path_of(where: ChannelRef, tail: str = "") -> str:
    return f"/channels/{where.platform}/{where.workspace}/{where.channel}{tail}"


CHANNEL_PAGES = ["", "/preview", "/deliveries"]
CHANNEL_FORMS = {
    "/subscribe": {"target": "topic: lighthouse repairs"},
    "/unsubscribe": {"target": "topic: secret harbour plans"},
    "/settings": {"time": "06:15", "timezone": "Europe/Oslo"},
}


async def seed(site: Site, feed_server: FeedServer) -> int:
    """THEIRS follows a topic and a disabled feed; OURS follows a topic. Returns the feed id."""
    feed_server.serve(
        "/theirs.xml",
        rss("Secret Gazette", [("https://secret.example/a", "Secret plans", "Plans.")]),
    )
    commands = site.app.commands
    assert (await commands.subscribe(THEIRS, OPERATOR, "topic: secret harbour plans")).ok
    assert (await commands.subscribe(THEIRS, OPERATOR, feed_server.url("/theirs.xml"))).ok
    assert (await commands.subscribe(OURS, OPERATOR, "topic: ferry timetable")).ok
    feed = await site.app.feeds.get_by_url(feed_server.url("/theirs.xml"))
    assert feed is not None
    for _ in range(site.app.settings.fetch.disable_after_failures):
        await site.app.feeds.record_failure(feed.id, now=site.app.now(), error="HTTP 500")
    return feed.id


async def theirs_state(site: Site) -> tuple[str, ...]:
    listed = await site.app.commands.list_subscriptions(THEIRS)
    settings = await site.app.commands.settings(THEIRS, OPERATOR, {})
    return (*listed.lines, *settings.lines)


@pytest.mark.parametrize("tail", CHANNEL_PAGES)
async def test_signed_out_visitors_are_sent_to_sign_in(site: Site, tail: str) -> None:
    for path in ["/", "/feeds", "/llm", path_of(OURS, tail)]:
        response = await site.client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"


@pytest.mark.parametrize("form", list(CHANNEL_FORMS))
async def test_signed_out_forms_are_refused(site: Site, form: str) -> None:
    response = await site.client.post(path_of(OURS, form), data=CHANNEL_FORMS[form])
    assert response.status_code == 403
    assert (await site.app.commands.list_subscriptions(OURS)).lines == ()


async def test_home_lists_only_the_servers_the_user_manages(
    site: Site, feed_server: FeedServer
) -> None:
    await seed(site, feed_server)
    await sign_in(site)
    home = await site.client.get("/")
    assert home.status_code == 200
    assert "Harbour Club" in home.text and "C-NEWS" in home.text
    for secret in ("Other Server", "G-THEIRS", "C-SECRET"):
        assert secret not in home.text


@pytest.mark.parametrize("tail", CHANNEL_PAGES)
async def test_another_servers_channel_pages_are_refused(
    site: Site, feed_server: FeedServer, tail: str
) -> None:
    await seed(site, feed_server)
    await sign_in(site)
    mine = await site.client.get(path_of(OURS, tail))
    assert mine.status_code == 200
    response = await site.client.get(path_of(THEIRS, tail))
    assert response.status_code == 403
    assert "not in a server or workspace you manage" in response.text
    assert "secret harbour plans" not in response.text
    assert "Secret Gazette" not in response.text


@pytest.mark.parametrize("form", list(CHANNEL_FORMS))
async def test_another_servers_forms_are_refused_and_change_nothing(
    site: Site, feed_server: FeedServer, form: str
) -> None:
    await seed(site, feed_server)
    await sign_in(site)
    before = await theirs_state(site)
    response = await site.post(path_of(THEIRS, form), CHANNEL_FORMS[form])
    assert response.status_code == 403
    assert await theirs_state(site) == before


async def test_a_channel_id_never_used_is_refused_like_another_servers(site: Site) -> None:
    await sign_in(site)
    unknown = ChannelRef("discord", "G-NOWHERE", "C-1")
    assert (await site.client.get(path_of(unknown))).status_code == 403
    assert (await site.client.get(path_of(OURS))).status_code == 200


async def test_another_servers_feed_is_neither_shown_nor_enabled(
    site: Site, feed_server: FeedServer
) -> None:
    feed_id = await seed(site, feed_server)
    await sign_in(site)
    health = await site.client.get("/feeds")
    assert health.status_code == 200
    assert "Secret Gazette" not in health.text and "theirs.xml" not in health.text
    response = await site.post(f"/feeds/{feed_id}/enable", {})
    assert response.status_code == 303
    page = await site.client.get(response.headers["location"])
    assert "None of the channels you manage follows that feed" in page.text
    feed = await site.app.feeds.get(feed_id)
    assert feed is not None and feed.disabled


async def test_llm_page_lists_only_the_users_channels(site: Site, feed_server: FeedServer) -> None:
    await seed(site, feed_server)
    await sign_in(site)
    page = await site.client.get("/llm")
    assert page.status_code == 200
    assert "C-NEWS" in page.text
    assert "C-SECRET" not in page.text


async def test_a_user_managing_nothing_sees_nothing(site: Site, feed_server: FeedServer) -> None:
    await seed(site, feed_server)
    await sign_in(site, "slack")  # the site's Slack check says: not an admin anywhere
    home = await site.client.get("/")
    assert "do not manage any Discord server or Slack workspace" in home.text
    assert "C-NEWS" not in home.text and "C-SECRET" not in home.text
    assert (await site.client.get(path_of(OURS))).status_code == 403
    assert "Secret Gazette" not in (await site.client.get("/feeds")).text


def test_every_route_is_covered_here() -> None:
    """A new page or form must come with its permission test in this file."""
    routes = {
        (method, route.path)
        for route in [*pages.router.routes, *login.router.routes]
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    channel = "/channels/{platform}/{workspace}/{channel}"
    checked = {
        ("GET", "/"),
        ("GET", "/feeds"),
        ("GET", "/llm"),
        ("POST", "/feeds/{feed_id}/enable"),
    }
    checked |= {("GET", channel + tail) for tail in CHANNEL_PAGES}
    checked |= {("POST", channel + form) for form in CHANNEL_FORMS}
    signing_in = {  # open to everyone: test_sessions.py covers them
        ("GET", "/login"),
        ("GET", "/login/{provider}"),
        ("GET", "/auth/{provider}"),
        ("POST", "/logout"),
    }
    assert routes == checked | signing_in
