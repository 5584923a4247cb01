"""A hung or unreachable LLM server is waited on once, not by every digest and question."""

from __future__ import annotations

import json
import time

from bot.summarise.factory import make_answerer, make_summariser
from bot.summarise.llm import ServerHealth
from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply
from tests.llm.conftest import (
    FERRY,
    FERRY_GAZETTE,
    FERRY_POST,
    GOOD_FERRY,
    LIBRARY_STORY,
    make_settings,
)

HANG = Reply(content=json.dumps(GOOD_FERRY), delay_s=30)


async def test_a_hung_server_is_waited_on_once_then_skipped(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(HANG)
    # A retry would be a second wait on a server that just let one run out: none is made.
    settings = make_settings(fake_openai.base_url, timeout_s=0.5, max_retries=1, digest_budget_s=10)
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


async def test_the_server_is_used_again_once_it_answers(fake_openai: FakeOpenAI) -> None:
    clock = [1000.0]
    health = ServerHealth(now=lambda: clock[0])
    fake_openai.script(HANG)
    settings = make_settings(fake_openai.base_url, timeout_s=0.3, max_retries=0)
    summariser = make_summariser(settings, "llm", health=health)
    [down] = await summariser.summarise_stories([FERRY])
    assert down.summariser == "extractive"

    fake_openai.script(json_reply(GOOD_FERRY))  # the server is back
    clock[0] += 59
    [skipped] = await summariser.summarise_stories([FERRY])
    assert skipped.summariser == "extractive"  # inside the minute: not asked
    assert "tried again 60 s after that" in skipped.note
    assert len(fake_openai.chat_requests) == 1

    clock[0] += 2
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


async def test_ask_and_other_modes_skip_the_server_a_digest_found_hung(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(HANG)
    settings = make_settings(fake_openai.base_url, timeout_s=0.5, max_retries=0)
    health = ServerHealth()  # one per process: the composition root hands it to all
    await make_summariser(settings, "llm", health=health).summarise_stories([FERRY])
    assert len(fake_openai.chat_requests) == 1

    started = time.monotonic()
    [auto] = await make_summariser(settings, "auto", health=health).summarise_stories([FERRY])
    answerer = make_answerer(settings, "llm", health=health)
    assert answerer is not None
    answer = await answerer.answer("How much will the ferry cost?", [FERRY_GAZETTE, FERRY_POST])
    assert time.monotonic() - started < 0.3
    assert auto.summariser == "extractive" and not answer.found
    assert len(fake_openai.chat_requests) == 1 and fake_openai.model_list_calls == 0


async def test_running_out_of_digest_budget_does_not_mark_a_healthy_server_silent(
    fake_openai: FakeOpenAI,
) -> None:
    # Each answer takes 0.3 s; the digest's budget covers two and cuts the third call short.
    fake_openai.script(json_reply(GOOD_FERRY, delay_s=0.3))
    settings = make_settings(
        fake_openai.base_url, timeout_s=1.0, max_retries=0, digest_budget_s=0.75
    )
    summariser = make_summariser(settings, "llm")
    first = await summariser.summarise_stories([FERRY, FERRY, FERRY])
    assert [item.summariser for item in first][:2] == ["llm", "llm"]
    assert first[2].summariser == "extractive"
    # The next digest has its own budget, and the server is asked again.
    [second] = await summariser.summarise_stories([FERRY])
    assert second.summariser == "llm"
    assert len(fake_openai.chat_requests) == 4
