"""`ask` with an LLM configured: a grounded answer is used, an ungrounded one never shown."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.channels.scheduler import Scheduler
from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.store.channels import set_next_digest
from bot.store.db import Database
from tests.channels.helpers import (
    Clock,
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    build_deps,
    utc,
)
from tests.channels.test_ask_status import ADMIN, BRIDGE, BRIDGE_2, ORCHARD
from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as fake:
        yield fake


def cite_article_with(fragment: str, sentence: str):  # type: ignore[no-untyped-def]
    """A scripted LLM that cites whichever article id holds `fragment`."""

    def handler(body: dict) -> Reply:  # type: ignore[type-arg]
        data = body["messages"][-1]["content"]
        found = re.search(r'"id": "(A\d+)"[^{}]*?' + re.escape(fragment), data, re.S)
        source = found.group(1) if found else "A1"
        return json_reply({"found": True, "sentences": [{"text": sentence, "sources": [source]}]})

    return handler


async def llm_app(db: Database, clock: Clock, fake: FakeOpenAI) -> AsyncIterator[App]:
    settings = Settings(
        llm={"base_url": fake.base_url, "api_key": "sk-test", "timeout_s": 5},  # type: ignore[arg-type]
        digest={"summariser": "auto"},  # type: ignore[arg-type]
    )
    async with Fetcher(settings.fetch) as fetcher, ParserPool(in_process=True) as parser:
        yield App(settings=settings, db=db, fetcher=fetcher, parser=parser, clock=clock)


async def posted_digest(db: Database, clock: Clock):  # type: ignore[no-untyped-def]
    channel_id, where = await add_channel(db, clock(), channel="news")
    await add_feed_with_articles(
        db, channel_id, [BRIDGE, BRIDGE_2, ORCHARD], fetched_at=utc(2026, 4, 1, 11)
    )
    async with db.session() as session:
        await set_next_digest(session, channel_id, utc(2026, 4, 2, 8))
    clock.now = utc(2026, 4, 2, 8)
    poster = RecordingPoster()
    scheduler = Scheduler(
        db=db, build=build_deps(db, clock), posters={"test": poster}, clock=clock
    )  # extractive digests: only `ask` talks to the LLM here
    await scheduler.tick()
    return where


async def test_grounded_llm_answer_is_used_with_citations(
    db: Database, fake_llm: FakeOpenAI
) -> None:
    clock = Clock(utc(2026, 4, 1, 10))
    async for app in llm_app(db, clock, fake_llm):
        where = await posted_digest(db, clock)
        fake_llm.respond_with(
            cite_article_with(
                "4.2 million", "The council approved a 4.2 million euro repair of the bridge."
            )
        )
        reply = await app.commands.ask(where, ADMIN, "How much will the bridge repair cost?")
        assert reply.text.startswith(
            "The council approved a 4.2 million euro repair of the bridge. (Harbour Gazette)"
        )
        assert "[extractive]" not in reply.text
        assert [c.url for c in reply.citations] == [BRIDGE.url]
        assert fake_llm.chat_requests  # the LLM was asked


async def test_ungrounded_llm_answer_falls_back_to_quoted_sources(
    db: Database, fake_llm: FakeOpenAI
) -> None:
    clock = Clock(utc(2026, 4, 1, 10))
    async for app in llm_app(db, clock, fake_llm):
        where = await posted_digest(db, clock)
        fake_llm.respond_with(
            cite_article_with("4.2 million", "The repair will cost 9 million euros @everyone.")
        )
        reply = await app.commands.ask(where, ADMIN, "How much will the bridge repair cost?")
        assert "9 million" not in reply.text and "@everyone" not in reply.text
        assert "4.2 million euro" in reply.text and "[extractive]" in reply.text
        assert reply.citations[0].url == BRIDGE.url
