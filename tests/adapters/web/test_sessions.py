"""THREATS.md "dashboard session and CSRF": a forged or replayed session cookie, a form posted
without its CSRF token, an OAuth callback with a wrong `state`: refused, nothing changed."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import itsdangerous

from adapters.web.app import COOKIE
from adapters.web.sessions import MAX_OPEN_SESSIONS, RECHECK_S, SessionRegistry
from bot.channels.overview import Viewer
from tests.adapters.web.conftest import ALICE, OURS, Site, session_cookie, sign_in
from tests.fakes.fake_oauth import FakeOAuth

CHANNEL = "/channels/discord/G-OURS/C-NEWS"
SUBSCRIBE = f"{CHANNEL}/subscribe"


async def signed_out(site: Site) -> bool:
    home = await site.client.get("/")
    return home.status_code == 303 and home.headers["location"] == "/login"


async def test_sign_in_uses_pkce_and_opens_a_session(site: Site, fake_oauth: FakeOAuth) -> None:
    assert await signed_out(site)
    done = await sign_in(site)
    assert done.status_code == 303
    home = await site.client.get("/")
    assert home.status_code == 200 and "alice" in home.text
    (request,) = fake_oauth.token_requests
    assert len(request["code_verifier"]) >= 43  # the fake also checked it against the challenge


async def test_a_forged_cookie_is_refused(site: Site) -> None:
    await sign_in(site)
    genuine = session_cookie(site)
    # Same contents, signed with a key that is not the dashboard's.
    payload = json.loads(base64.b64decode(genuine.split(".")[0] + "=="))
    forged = itsdangerous.TimestampSigner("not-the-secret").sign(
        base64.b64encode(json.dumps(payload).encode())
    )
    site.client.cookies.set(COOKIE, forged.decode())
    assert await signed_out(site)
    # The genuine cookie with a byte of its contents changed.
    tampered = ("e" if genuine[0] != "e" else "f") + genuine[1:]
    site.client.cookies.set(COOKIE, tampered)
    assert await signed_out(site)


async def test_a_cookie_replayed_after_signing_out_is_refused(site: Site) -> None:
    await sign_in(site)
    saved = session_cookie(site)
    token = await site.csrf()
    out = await site.client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303
    site.client.cookies.set(COOKIE, saved)
    assert await signed_out(site)
    refused = await site.client.post(
        SUBSCRIBE, data={"target": "topic: ferries", "csrf_token": token}
    )
    assert refused.status_code == 403
    assert (await site.app.commands.list_subscriptions(OURS)).lines == ()


async def test_a_form_without_its_csrf_token_changes_nothing(site: Site) -> None:
    await sign_in(site)
    missing = await site.post(SUBSCRIBE, {"target": "topic: ferry timetable"}, csrf=False)
    assert missing.status_code == 403
    assert "did not come from this dashboard" in missing.text
    wrong = await site.client.post(
        SUBSCRIBE, data={"target": "topic: ferry timetable", "csrf_token": "guessed"}
    )
    assert wrong.status_code == 403
    assert (await site.app.commands.list_subscriptions(OURS)).lines == ()
    accepted = await site.post(SUBSCRIBE, {"target": "topic: ferry timetable"})
    assert accepted.status_code == 303
    assert len((await site.app.commands.list_subscriptions(OURS)).lines) == 1


async def test_sign_out_needs_the_csrf_token(site: Site) -> None:
    await sign_in(site)
    assert (await site.client.post("/logout")).status_code == 403
    assert (await site.client.get("/")).status_code == 200


async def test_a_callback_with_a_wrong_state_signs_nobody_in(site: Site) -> None:
    start = await site.client.get("/login/discord")
    assert start.status_code == 302
    refused = await site.client.get("/auth/discord?code=anything&state=not-the-one-sent")
    assert refused.status_code == 400
    assert "Signing in with Discord failed" in refused.text
    assert await signed_out(site)


async def test_a_provider_refusal_signs_nobody_in(site: Site) -> None:
    await site.client.get("/login/discord")
    refused = await site.client.get("/auth/discord?error=access_denied&state=x")
    assert refused.status_code == 400
    assert await signed_out(site)


async def test_sessions_expire() -> None:
    now = [1000.0]
    registry = SessionRegistry(max_age_s=60, clock=lambda: now[0])
    session_id, _ = registry.open(Viewer("u", "u", frozenset()), provider="discord")
    assert registry.find(session_id) is not None
    now[0] += 61
    assert registry.find(session_id) is None


async def test_no_secret_reaches_a_page_or_the_cookie(site: Site, fake_oauth: FakeOAuth) -> None:
    await sign_in(site)
    secrets = (fake_oauth.discord_client[1], fake_oauth.slack_client[1])
    for path in ("/", "/login", "/feeds", "/llm", "/channels/discord/G-OURS/C-NEWS"):
        page = await site.client.get(path)
        assert not any(secret in page.text for secret in secrets)
    cookie = base64.b64decode(session_cookie(site).split(".")[0] + "==").decode()
    assert set(json.loads(cookie)) == {"sid"}  # no OAuth token, no user data in the browser


def test_a_client_that_keeps_no_cookie_cannot_grow_the_sessions_without_end() -> None:
    registry = SessionRegistry(max_age_s=3600)
    first, _ = registry.open(Viewer("u", "u", None), provider="local")
    for _ in range(MAX_OPEN_SESSIONS):
        last, _ = registry.open(Viewer("u", "u", None), provider="local")
    assert registry.find(first) is None  # the oldest made room
    assert registry.find(last) is not None


async def test_losing_manage_server_takes_effect_within_minutes(
    site: Site, fake_oauth: FakeOAuth
) -> None:
    await sign_in(site)
    assert (await site.client.get(CHANNEL)).status_code == 200
    demoted = replace(ALICE, guilds=tuple(replace(g, permissions=0) for g in ALICE.guilds))
    fake_oauth.discord_user = demoted
    assert (await site.client.get(CHANNEL)).status_code == 200  # read at most every 5 minutes
    later = site.board.sessions.clock() + RECHECK_S
    site.board.sessions.clock = lambda: later
    assert (await site.client.get(CHANNEL)).status_code == 403
    assert "C-NEWS" not in (await site.client.get("/")).text


async def test_a_revoked_token_signs_the_person_out(site: Site, fake_oauth: FakeOAuth) -> None:
    await sign_in(site)
    fake_oauth.revoke_tokens()
    later = site.board.sessions.clock() + RECHECK_S
    site.board.sessions.clock = lambda: later
    assert await signed_out(site)
