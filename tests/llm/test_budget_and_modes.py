"""Daily token budget per scope, the summariser modes, and the `auto` probe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import DigestSettings, LlmSettings, Settings
from bot.errors import BadInput
from bot.store.db import Database
from bot.store.usage import UsageStore
from bot.summarise.extractive import ExtractiveSummariser
from bot.summarise.factory import make_answerer, make_summariser
from tests.fakes.fake_openai import FakeOpenAI, json_reply
from tests.llm.conftest import FERRY, GOOD_FERRY, GOOD_LIBRARY, LIBRARY_STORY, make_settings


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def good_replies(fake: FakeOpenAI) -> None:
    fake.respond_with(
        lambda body: json_reply(
            GOOD_LIBRARY if "Riverside" in str(body) else GOOD_FERRY,
            prompt_tokens=150,
            completion_tokens=30,
        )
    )


async def test_spent_token_budget_switches_to_extractive(
    fake_openai: FakeOpenAI, db: Database
) -> None:
    good_replies(fake_openai)
    clock = Clock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    # Generous deadlines: this test is about the budget, and a busy machine must not turn an
    # answer into a timeout fallback.
    settings = make_settings(
        fake_openai.base_url, daily_token_budget=300, timeout_s=10.0, digest_budget_s=30.0
    )
    summariser = make_summariser(settings, "llm", db=db, clock=clock)
    stories = [FERRY, LIBRARY_STORY, FERRY]

    items = await summariser.summarise_stories(stories, scope="discord:guild-1")
    # 180 tokens per call: after two calls (360) the budget of 300 is spent.
    assert [i.summariser for i in items] == ["llm", "llm", "extractive"]
    assert "token budget" in items[2].note
    assert await UsageStore(db).tokens_used("discord:guild-1", "2026-11-26") == 360

    # The counter is in the database: a new summariser (a restarted bot) sees it too...
    again = make_summariser(settings, "llm", db=db, clock=clock)
    [item] = await again.summarise_stories([FERRY], scope="discord:guild-1")
    assert item.summariser == "extractive"
    calls = len(fake_openai.chat_requests)
    # ...other scopes have their own budget...
    [other] = await again.summarise_stories([FERRY], scope="slack:T2")
    assert other.summariser == "llm"
    # ...and the next UTC day starts afresh.
    clock.now += timedelta(days=1)
    [tomorrow] = await again.summarise_stories([FERRY], scope="discord:guild-1")
    assert tomorrow.summariser == "llm"
    assert len(fake_openai.chat_requests) == calls + 2


async def test_usage_counter_adds_up_concurrent_writes(db: Database) -> None:
    import asyncio

    store = UsageStore(db)
    await asyncio.gather(*(store.add_tokens("s", "2026-11-26", 10) for _ in range(20)))
    assert await store.tokens_used("s", "2026-11-26") == 200
    assert await store.tokens_used("s", "2026-11-27") == 0


async def test_extractive_mode_never_calls_the_llm(fake_openai: FakeOpenAI) -> None:
    settings = make_settings(fake_openai.base_url)
    summariser = make_summariser(settings, "extractive")
    assert isinstance(summariser, ExtractiveSummariser)
    [item] = await summariser.summarise_stories([FERRY])
    assert item.summariser == "extractive"
    assert fake_openai.requests == [] and fake_openai.model_list_calls == 0
    assert make_answerer(settings, "extractive") is None


def test_auto_without_configuration_is_extractive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    settings = Settings(llm=LlmSettings(), digest=DigestSettings(summariser="auto"))
    assert isinstance(make_summariser(settings), ExtractiveSummariser)
    assert make_answerer(settings) is None


def test_sdk_environment_variables_configure_the_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = Settings(llm=LlmSettings(), digest=DigestSettings(summariser="auto"))
    assert not isinstance(make_summariser(settings), ExtractiveSummariser)


def test_unknown_mode_is_refused_in_one_sentence() -> None:
    with pytest.raises(BadInput, match="auto, llm, extractive"):
        make_summariser(Settings(), "gpt")


async def test_auto_uses_a_reachable_llm_and_probes_once(fake_openai: FakeOpenAI) -> None:
    good_replies(fake_openai)
    summariser = make_summariser(make_settings(fake_openai.base_url), "auto")
    for _ in range(2):
        [item] = await summariser.summarise_stories([FERRY])
        assert item.summariser == "llm"
    assert fake_openai.model_list_calls == 1


async def test_auto_with_an_unreachable_server_is_extractive_and_quick() -> None:
    import socket
    import time

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = make_settings(f"http://127.0.0.1:{port}/v1")
    summariser = make_summariser(settings, "auto")
    started = time.monotonic()
    [item] = await summariser.summarise_stories([FERRY])
    assert time.monotonic() - started < 2
    assert item.summariser == "extractive"
    assert item.note == "LLM server not reachable"


async def test_auto_with_a_refused_key_is_extractive(fake_openai: FakeOpenAI) -> None:
    fake_openai.models_status = 401
    summariser = make_summariser(make_settings(fake_openai.base_url), "auto")
    [item] = await summariser.summarise_stories([FERRY])
    assert item.summariser == "extractive"
    assert fake_openai.chat_requests == []


async def test_malformed_replies_still_count_against_the_budget(
    fake_openai: FakeOpenAI, sqlite_db: Database
) -> None:
    from tests.fakes.fake_openai import Reply

    fake_openai.script(Reply(content="not json", prompt_tokens=100, completion_tokens=20))
    clock = Clock(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    summariser = make_summariser(
        make_settings(fake_openai.base_url), "llm", db=sqlite_db, clock=clock
    )
    [item] = await summariser.summarise_stories([FERRY], scope="slack:T1")
    assert item.summariser == "extractive"
    assert await UsageStore(sqlite_db).tokens_used("slack:T1", "2026-11-26") == 120
