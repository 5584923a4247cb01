"""A hung or unreachable LLM server is waited on once, not by every digest and question."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from bot.summarise import llm
from bot.summarise.factory import make_summariser
from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply
from tests.llm.conftest import FERRY, GOOD_FERRY, LIBRARY_STORY, make_settings

HANG = Reply(content=json.dumps(GOOD_FERRY), delay_s=30)


async def test_a_hung_server_is_waited_on_once_then_skipped(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(HANG)
    settings = make_settings(fake_openai.base_url, timeout_s=0.5, max_retries=0, digest_budget_s=10)
    summariser = make_summariser(settings, "llm")
    started = time.monotonic()
    items = await summariser.summarise_stories([FERRY, LIBRARY_STORY, FERRY, LIBRARY_STORY])
    # One call timed out; the other three stories did not each wait another 0.5 s.
    assert time.monotonic() - started < 1.2
    assert len(fake_openai.chat_requests) == 1
    assert [item.summariser for item in items] == ["extractive"] * 4
    assert "did not answer within 0.5 s" in items[0].note
    assert all("did not answer a recent request" in item.note for item in items[1:])

    # The next digest (another channel, the same tick) does not wait on it either.
    started = time.monotonic()
    again = await summariser.summarise_stories([FERRY])
    assert time.monotonic() - started < 0.3
    assert len(fake_openai.chat_requests) == 1
    assert again[0].summariser == "extractive"


async def test_the_server_is_used_again_once_it_answers(
    fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(llm, "_UNREACHABLE_RECHECK_S", 0.4)
    fake_openai.script(HANG)
    settings = make_settings(fake_openai.base_url, timeout_s=0.3, max_retries=0)
    summariser = make_summariser(settings, "llm")
    [down] = await summariser.summarise_stories([FERRY])
    assert down.summariser == "extractive"

    fake_openai.script(json_reply(GOOD_FERRY))  # the server is back
    [skipped] = await summariser.summarise_stories([FERRY])
    assert skipped.summariser == "extractive"  # inside the recheck interval: not asked
    assert len(fake_openai.chat_requests) == 1

    await asyncio.sleep(0.45)
    [back] = await summariser.summarise_stories([FERRY])
    assert back.summariser == "llm"
    assert back.headline == GOOD_FERRY["headline"]


async def test_a_refused_connection_is_skipped_too() -> None:
    # Nothing listens on the port: connecting fails at once, and later stories do not retry it.
    settings = make_settings("http://127.0.0.1:9/v1", timeout_s=1.0, max_retries=0)
    summariser = make_summariser(settings, "llm")
    items = await summariser.summarise_stories([FERRY, LIBRARY_STORY, FERRY])
    assert "could not be reached" in items[0].note
    assert all("did not answer a recent request" in item.note for item in items[1:])
