"""Harness for the Slack scenarios: the fake Slack, Slack settings pointing at it, and signed
requests sent to the adapter's real HTTP endpoint."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.signature import SignatureVerifier

from adapters.slack_bot import SlackAdapter
from bot.config import Settings, SlackSettings
from bot.models import Caller, ChannelRef, Digest, Reply
from bot.store.db import Database
from tests.fakes.fake_slack import FakeSlack

SIGNING_SECRET = "test-signing-secret-8f2a"
APP_TOKEN = "xapp-1-A111-test"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack with workspace T-ONE (bot token xoxb-one), an admin and a member."""
    async with FakeSlack() as fake:
        fake.add_user("T-ONE", "U-ADMIN", admin=True)
        fake.add_user("T-ONE", "U-MEMBER")
        fake.app_tokens.add(APP_TOKEN)
        yield fake


def slack_settings(fake: FakeSlack, **slack: Any) -> SlackSettings:
    """HTTP mode on a free port, one workspace, pointed at the fake; override as needed."""
    values: dict[str, Any] = {
        "bot_token": "xoxb-one",
        "signing_secret": SIGNING_SECRET,
        "mode": "http",
        "port": 0,
        "api_url": fake.api_url,
        "post_interval_s": 0.0,
        "rate_limit_retries": 2,
    }
    values.update(slack)
    return SlackSettings(**values)


def slash_command(
    text: str,
    *,
    fake: FakeSlack,
    team: str = "T-ONE",
    channel: str = "C-NEWS",
    user: str = "U-ADMIN",
    hook: str = "hook",
) -> dict[str, str]:
    """The fields Slack sends for `/news TEXT`."""
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "team_domain": team.lower(),
        "channel_id": channel,
        "channel_name": "news",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/news",
        "text": text,
        "api_app_id": "A-NEWSBOT",
        "is_enterprise_install": "false",
        "response_url": fake.response_url(hook),
        "trigger_id": "1.2.3",
    }


def event_callback(event: dict[str, Any], *, team: str = "T-ONE") -> dict[str, Any]:
    """An Events API envelope around `event`."""
    return {
        "token": "legacy-verification-token",
        "team_id": team,
        "api_app_id": "A-NEWSBOT",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{abs(hash(json.dumps(event, sort_keys=True))) % 10**9}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team, "user_id": "U-BOT1", "is_bot": True}],
    }


def signed_headers(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }


async def post_to_app(
    port: int,
    body: str,
    headers: dict[str, str],
    *,
    path: str = "/slack/events",
) -> tuple[int, str, float]:
    """POST to the adapter's HTTP endpoint; returns status, body and seconds taken."""
    started = time.monotonic()
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"http://127.0.0.1:{port}{path}", data=body, headers=headers) as response,
    ):
        return response.status, await response.text(), time.monotonic() - started


async def send_command(port: int, fields: dict[str, str], **sign: Any) -> tuple[int, str, float]:
    body = urlencode(fields)
    return await post_to_app(port, body, signed_headers(body, **sign))


async def send_event(port: int, payload: dict[str, Any]) -> tuple[int, str, float]:
    body = json.dumps(payload)
    return await post_to_app(port, body, signed_headers(body, content_type="application/json"))


async def eventually(check: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Wait until `check()` holds (lazy listeners finish after the ack)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@dataclass
class RecordedCall:
    kind: str  # "execute" | "ask"
    where: ChannelRef
    caller: Caller
    text: str
    thread_id: str | None


@dataclass
class TranscriptCommands:
    """Stands in for the core in transport tests: records each call, answers in kind
    (only what the Slack listeners call)."""

    calls: list[RecordedCall] = field(default_factory=list)
    delay_s: float = 0.0
    digest: Digest | None = None  # what `digest` returns
    # Where each digest asked for was posted, as the adapter reported it.
    posted_digests: list[tuple[ChannelRef, tuple[str, ...]]] = field(default_factory=list)

    async def execute(
        self, where: ChannelRef, caller: Caller, text: str, *, thread_id: str | None = None
    ) -> Reply:
        self.calls.append(RecordedCall("execute", where, caller, text, thread_id))
        await asyncio.sleep(self.delay_s)
        if text == "digest" and self.digest is not None:
            return Reply(text="Digest so far.", digest=self.digest)
        return Reply(text=f"ran: {text}", ephemeral=True)

    async def digest_posted(
        self, where: ChannelRef, digest: Digest, message_ids: Sequence[str]
    ) -> None:
        self.posted_digests.append((where, tuple(message_ids)))

    async def ask(
        self, where: ChannelRef, caller: Caller, question: str, *, thread_id: str | None = None
    ) -> Reply:
        self.calls.append(RecordedCall("ask", where, caller, question, thread_id))
        if "boom" in question:
            raise RuntimeError("a bug in the core")
        if not question:
            return Reply(text="Ask a question.", ok=False, ephemeral=True)
        return Reply(text=f"answer to: {question}")


@dataclass
class TranscriptCore:
    """The composition root the adapter needs: commands and the database."""

    commands: TranscriptCommands
    db: Database


@asynccontextmanager
async def running_adapter(
    core: Any, slack_part: SlackSettings, *, settings: Settings | None = None
) -> AsyncIterator[SlackAdapter]:
    """A started SlackAdapter (HTTP and/or Socket Mode per settings), closed afterwards.

    `core` is a real `App` (commands built from it) or a `TranscriptCore`."""
    full = (settings or Settings()).model_copy(update={"slack": slack_part})
    commands = getattr(core, "commands", None)
    adapter = SlackAdapter(core, full, commands=commands)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.close()
