"""With no login configured the dashboard serves the local operator, on this machine only,
and says so; its forms run the same commands, with the same checks, as chat."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console import CONSOLE_CHANNEL
from adapters.web.app import check_web_settings
from bot.config import WebSettings
from bot.errors import ConfigError
from bot.store import channels as channel_store
from bot.store.channels import ChannelDefaults
from bot.store.outbox import record_failure
from tests.adapters.web.conftest import OPERATOR, Site, dashboard_settings, rss
from tests.adapters.web.test_overview import digest, store_digest
from tests.fakes.feed_server import FeedServer

CONSOLE_PAGE = "/channels/console/local/terminal"


async def test_the_local_operator_is_told_and_sees_the_console_channel(local_site: Site) -> None:
    home = await local_site.client.get("/")
    assert home.status_code == 200
    assert "Local operator mode" in home.text and "127.0.0.1" in home.text
    assert f'href="{CONSOLE_PAGE}"' in home.text
    assert (await local_site.client.get("/login")).headers["location"] == "/"


async def test_a_page_asked_for_under_another_host_name_is_refused(local_site: Site) -> None:
    # A DNS-rebinding page (evil.example resolving to 127.0.0.1) must not drive the dashboard.
    response = await local_site.client.get("/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Local operator" not in response.text


def test_without_a_login_only_this_machine_may_be_served(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"127\.0\.0\.1"):
        check_web_settings(WebSettings(host="0.0.0.0"))
    check_web_settings(WebSettings(host="127.0.0.1"))
    check_web_settings(
        WebSettings(host="0.0.0.0", discord_client_id="1", discord_client_secret="s")  # type: ignore[arg-type]
    )
    assert dashboard_settings(tmp_path).web.host == "127.0.0.1"


async def test_subscribing_through_the_form_checks_urls_like_chat(
    local_site: Site, feed_server: FeedServer
) -> None:
    feed_server.serve(
        "/harbour.xml",
        rss("Harbour Gazette", [("https://harbour.example/a", "Ferry back", "The ferry runs.")]),
    )
    token = await local_site.csrf(CONSOLE_PAGE)
    refused = await local_site.client.post(
        f"{CONSOLE_PAGE}/subscribe",
        data={"target": "file:///etc/passwd", "csrf_token": token},
        follow_redirects=True,
    )
    assert "http:// or https://" in refused.text
    assert (await local_site.app.commands.list_subscriptions(CONSOLE_CHANNEL)).lines == ()
    done = await local_site.client.post(
        f"{CONSOLE_PAGE}/subscribe",
        data={
            "target": feed_server.url("/harbour.xml"),
            "include": "ferry, harbour",
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert "Subscribed to Harbour Gazette" in done.text
    assert "ferry, harbour" in done.text  # the filter, shown in its field
    listed = await local_site.app.commands.list_subscriptions(CONSOLE_CHANNEL)
    assert len(listed.lines) == 1 and "only with ferry, harbour" in listed.lines[0]
    removed = await local_site.client.post(
        f"{CONSOLE_PAGE}/unsubscribe",
        data={"target": feed_server.url("/harbour.xml"), "csrf_token": token},
        follow_redirects=True,
    )
    assert "Unsubscribed from Harbour Gazette" in removed.text
    assert (await local_site.app.commands.list_subscriptions(CONSOLE_CHANNEL)).lines == ()


async def test_settings_are_all_valid_or_nothing_changes(local_site: Site) -> None:
    token = await local_site.csrf(CONSOLE_PAGE)
    form = {"time": "06:45", "timezone": "Mars/Olympus", "csrf_token": token}
    bad = await local_site.client.post(f"{CONSOLE_PAGE}/settings", data=form, follow_redirects=True)
    assert "Mars/Olympus" in bad.text and 'class="flash refused"' in bad.text
    assert 'value="08:00"' in bad.text  # the time was not saved either
    form["timezone"] = "Europe/Oslo"
    good = await local_site.client.post(
        f"{CONSOLE_PAGE}/settings", data=form, follow_redirects=True
    )
    assert "Settings saved" in good.text
    assert 'value="06:45"' in good.text and 'value="Europe/Oslo"' in good.text


async def test_the_delivery_log_shows_a_refused_post_and_why(local_site: Site) -> None:
    app = local_site.app
    now = app.now()
    async with app.db.write() as session:
        channel = await channel_store.ensure_channel(
            session, CONSOLE_CHANNEL, ChannelDefaults(), now
        )
        outbox_id = await store_digest(session, channel, digest("Ferry service returns", ""), now)
        await record_failure(session, outbox_id, error="channel_not_found", retry_at=None)
    page = await local_site.client.get(f"{CONSOLE_PAGE}/deliveries")
    assert page.status_code == 200
    assert "daily:2026-04-01" in page.text and "Ferry service returns" in page.text
    assert "not posted</span>: channel_not_found" in page.text


async def test_a_disabled_feed_is_enabled_from_the_feed_health_page(
    local_site: Site, feed_server: FeedServer
) -> None:
    feed_server.serve("/harbour.xml", rss("Harbour Gazette", [("https://h.example/a", "A", "B.")]))
    app = local_site.app
    url = feed_server.url("/harbour.xml")
    assert (await app.commands.subscribe(CONSOLE_CHANNEL, OPERATOR, url)).ok
    feed = await app.feeds.get_by_url(url)
    assert feed is not None
    for _ in range(app.settings.fetch.disable_after_failures):
        await app.feeds.record_failure(
            feed.id, now=app.now(), error="the feed server answered 410."
        )
    health = await local_site.client.get("/feeds")
    assert "Disabled" in health.text and "answered 410" in health.text
    token = await local_site.csrf("/feeds")
    done = await local_site.client.post(
        f"/feeds/{feed.id}/enable", data={"csrf_token": token}, follow_redirects=True
    )
    assert "is enabled and polled next" in done.text
    enabled = await app.feeds.get(feed.id)
    assert enabled is not None and not enabled.disabled


async def test_a_paused_channel_says_why_and_how_it_resumes(local_site: Site) -> None:
    app = local_site.app
    assert (await app.commands.subscribe(CONSOLE_CHANNEL, OPERATOR, "topic: ferries")).ok
    async with app.db.write() as session:
        channel = await channel_store.find_channel(session, CONSOLE_CHANNEL)
        assert channel is not None
        await channel_store.pause_channel(session, channel.id, "channel_not_found", app.now())
    page = await local_site.client.get(CONSOLE_PAGE)
    assert "Paused since" in page.text and "channel_not_found" in page.text
    assert f"newsbot channels resume {channel.id}" in page.text
