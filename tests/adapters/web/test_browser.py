"""The dashboard in a real browser (Playwright driving Debian's Chromium), against the fake
OAuth provider and a loopback feed server: sign in, subscribe, preview the digest, see why a
feed fails, change the digest time; and what another server's member, a forged cookie and a
form without its token get.

Screenshots are kept as test artefacts in tmp/artefacts/dashboard/ (not committed). With
NEWSBOT_UPDATE_SCREENSHOT=1 the README's docs/dashboard.png is written again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from adapters.web.app import COOKIE
from bot.app import App
from bot.models import ChannelRef
from tests.adapters.web.conftest import (
    ALICE,
    OPERATOR,
    OURS,
    THEIRS,
    dashboard_settings,
    oauth_web_settings,
)
from tests.adapters.web.served import ServedDashboard
from tests.fakes.fake_oauth import DiscordUser, FakeOAuth, Guild
from tests.fakes.feed_server import FeedServer

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
ARTEFACTS = ROOT / "tmp" / "artefacts" / "dashboard"
README_SCREENSHOT = ROOT / "docs" / "dashboard.png"
MALLORY = DiscordUser("U-MALLORY", "mallory", (Guild("G-OURS", "Harbour Club"),))
SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium (never a downloaded one: `playwright install` fails here), or a skip
    that says why it cannot run."""
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM}: "
            "apt-get install -y --no-install-recommends chromium (.ci/run does)"
        )
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM)
        except PlaywrightError as error:
            pytest.skip(f"Chromium at {CHROMIUM} could not start: {error.message.splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def rss(items: list[tuple[str, str, str]]) -> bytes:
    """Harbour Gazette's feed; items are (slug, title, text), published now."""
    from datetime import UTC, datetime

    when = format_datetime(datetime.now(UTC))
    entries = "".join(
        f"<item><title>{title}</title><link>https://harbour.example/{slug}</link>"
        f"<description>{text}</description><pubDate>{when}</pubDate></item>"
        for slug, title, text in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour Gazette</title>'
        f"<link>https://harbour.example/</link><description>news</description>{entries}"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def served(tmp_path: Path, fake_oauth: FakeOAuth) -> Iterator[ServedDashboard]:
    settings = dashboard_settings(tmp_path, port=0, **oauth_web_settings(fake_oauth))
    with ServedDashboard(settings) as dashboard:

        async def seed(app: App) -> None:
            for where, topic in ((OURS, "topic: ferry timetable"), (THEIRS, "topic: secrets")):
                assert (await app.commands.subscribe(where, OPERATOR, topic)).ok

        dashboard.run(seed)
        yield dashboard


def shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, served: ServedDashboard) -> None:
    page.goto(served.address)
    expect(page).to_have_url(f"{served.address}login")
    page.get_by_role("link", name="Sign in with Discord").click()
    expect(page.get_by_role("heading", name="Channels")).to_be_visible()


def channel_url(served: ServedDashboard, where: ChannelRef) -> str:
    return f"{served.address}channels/{where.platform}/{where.workspace}/{where.channel}"


def test_manage_a_channel_in_the_browser(
    served: ServedDashboard, page: Page, feed_server: FeedServer
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:  # an alert() would mean a feed's script ran
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    # A Content-Security-Policy violation (an inline style htmx might add) is logged as an error.
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    feed_server.serve("/harbour.xml", rss([("old", "Old news", "Already in the feed.")]))
    url = feed_server.url("/harbour.xml")

    sign_in(page, served)
    expect(page.get_by_role("heading", name="Harbour Club (discord)")).to_be_visible()
    expect(page.get_by_text("Other Server")).to_have_count(0)
    shot(page, "01-channels")

    page.get_by_role("link", name="#C-NEWS").click()
    page.get_by_label("Feed URL (RSS, Atom or OPML) or a topic").fill(url)
    page.get_by_label("Only with these words (optional, comma-separated)").fill("ferry")
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("status")).to_contain_text("Subscribed to Harbour Gazette")
    expect(page.get_by_role("link", name=url)).to_be_visible()

    # A new story arrives and is polled: the preview shows it as the channel would see it.
    feed_server.serve(
        "/harbour.xml",
        rss(
            [
                ("old", "Old news", "Already in the feed."),
                ("ferry", "Ferry service returns", "The island ferry runs again from Monday."),
            ]
        ),
    )
    feed = served.run(lambda app: app.feeds.get_by_url(url))
    assert feed is not None
    served.run(lambda app: app.poll([feed.id]))
    page.get_by_role("link", name="Preview the next digest").click()
    preview = page.locator("#digest-preview")
    expect(preview.get_by_role("heading", name="Ferry service returns")).to_be_visible()
    expect(preview).not_to_contain_text("Old news")  # the baseline is never posted
    expect(preview.get_by_role("link", name="Harbour Gazette")).to_have_attribute(
        "href", "https://harbour.example/ferry"
    )
    shot(page, "02-channel-with-preview")
    if os.environ.get("NEWSBOT_UPDATE_SCREENSHOT") == "1":
        page.set_viewport_size({"width": 1000, "height": 900})
        page.screenshot(path=str(README_SCREENSHOT), full_page=False)

    # The feed starts failing: its health page says why.
    feed_server.serve("/harbour.xml", b"down for maintenance", status=503)
    served.run(lambda app: app.poll([feed.id]))

    async def rename(app: App) -> None:  # a hostile title, as a feed could send
        await app.feeds.set_outlet(feed.id, SCRIPT)

    served.run(rename)
    page.get_by_role("link", name="Feed health").click()
    expect(page.get_by_text("Failing (1 in a row)")).to_be_visible()
    expect(page.get_by_text("the feed server answered 503")).to_be_visible()
    expect(page.get_by_text(SCRIPT)).to_be_visible()  # shown as text, not run
    shot(page, "03-feed-health")

    # Change the digest time.
    page.goto(channel_url(served, OURS))
    page.get_by_label("Digest time (24-hour, in the channel's time zone)").fill("06:45")
    page.get_by_label("Time zone", exact=True).fill("Europe/Oslo")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")
    expect(page.get_by_label("Digest time (24-hour, in the channel's time zone)")).to_have_value(
        "06:45"
    )
    shot(page, "04-settings-saved")

    # On a phone: nothing wider than the screen.
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("link", name="Feed health").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name="Channels").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "05-phone")
    assert dialogs == []
    assert errors == []


def test_what_others_and_forgers_get(
    served: ServedDashboard, page: Page, fake_oauth: FakeOAuth
) -> None:
    fake_oauth.discord_user = MALLORY  # a member of Harbour Club, without Manage Server
    sign_in(page, served)
    expect(page.get_by_text("do not manage any Discord server")).to_be_visible()
    expect(page.get_by_text("C-NEWS")).to_have_count(0)
    page.goto(channel_url(served, OURS))
    expect(page.get_by_text("You cannot manage this channel")).to_be_visible()
    expect(page.get_by_text("ferry timetable")).to_have_count(0)
    shot(page, "06-refused")

    # Keyboard first: the first Tab reaches "Skip to content", which moves to the page's text.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # A form posted without its CSRF token (another site's form, or a script) changes nothing.
    fake_oauth.discord_user = ALICE
    page.context.clear_cookies()
    sign_in(page, served)
    posted = page.request.post(
        f"{channel_url(served, OURS)}/unsubscribe", form={"target": "topic: ferry timetable"}
    )
    assert posted.status == 403
    page.goto(channel_url(served, OURS))
    expect(page.get_by_text("Topic “ferry timetable”")).to_be_visible()

    # A forged session cookie is refused: back to signing in.
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": COOKIE, "value": "eyJzaWQiOiJ4In0=.forged.sig", "url": served.address}]
    )
    page.goto(served.address)
    expect(page).to_have_url(f"{served.address}login")

    # A callback with a state this browser was not sent with signs nobody in.
    page.goto(f"{served.address}auth/discord?code=stolen&state=wrong")
    expect(page.get_by_text("Signing in with Discord failed")).to_be_visible()
