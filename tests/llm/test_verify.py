"""`llm.verify`: the model's second opinion on its own sentences, against the fake server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.models import DigestItem
from bot.summarise.factory import make_answerer, make_summariser
from bot.summarise.llm.checking import VERIFY_REASON
from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply
from tests.llm.conftest import FERRY, FERRY_GAZETTE, FERRY_POST, GOOD_FERRY, make_settings

Request = dict[str, Any]


def is_verify(body: Request) -> bool:
    """The second-opinion call: its reply schema is named "verify"."""
    return bool(body["response_format"].get("json_schema", {}).get("name") == "verify")


def server(summary: Reply, verdict: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    return lambda body: verdict(body) if is_verify(body) else summary


async def summarise_ferry(fake: FakeOpenAI, opinion: Reply, **llm: Any) -> DigestItem:
    """The ferry story summarised with GOOD_FERRY, the second opinion answered by `opinion`."""
    fake.respond_with(server(json_reply(GOOD_FERRY), always(opinion)))
    settings = make_settings(fake.base_url, **llm)
    [item] = await make_summariser(settings, "llm").summarise_stories([FERRY])
    return item


def always(reply: Reply) -> Callable[[Request], Reply]:
    return lambda _: reply


def verdicts(*supported: bool) -> Reply:
    return json_reply(
        {"verdicts": [{"index": i, "supported": s} for i, s in enumerate(supported, start=1)]}
    )


async def test_verify_is_off_by_default_one_call_per_story(fake_openai: FakeOpenAI) -> None:
    item = await summarise_ferry(fake_openai, verdicts(False, False))
    assert item.summariser == "llm" and item.withheld == 0
    assert len(fake_openai.chat_requests) == 1 and not is_verify(fake_openai.chat_requests[0])


async def test_verify_on_asks_about_each_sentence_with_its_cited_articles(
    fake_openai: FakeOpenAI,
) -> None:
    item = await summarise_ferry(fake_openai, verdicts(True, True), verify=True)
    assert item.summariser == "llm" and item.withheld == 0
    first, second = fake_openai.chat_requests
    assert not is_verify(first) and is_verify(second)
    sent = json.loads(second["messages"][-1]["content"].split("<<<DATA")[1].split("DATA>>>")[0])
    assert [s["text"] for s in sent["sentences"]] == [s["text"] for s in GOOD_FERRY["sentences"]]
    assert [s["sources"] for s in sent["sentences"]] == [["A1"], ["A1", "A2"]]
    assert {a["outlet"] for a in sent["articles"]} == {"Harbour Gazette", "Northfield Post"}


async def test_a_sentence_the_model_calls_unsupported_is_withheld(
    fake_openai: FakeOpenAI,
) -> None:
    # The code check alone would show both sentences; the second opinion refuses the second.
    item = await summarise_ferry(fake_openai, verdicts(True, False), verify=True)
    assert item.summariser == "llm" and item.withheld == 1
    assert [s.text for s in item.sentences] == [GOOD_FERRY["sentences"][0]["text"]]
    assert [c.reason for c in item.checks] == ["", VERIFY_REASON]
    assert VERIFY_REASON in item.note


async def test_a_failed_second_opinion_leaves_the_code_check_to_decide(
    fake_openai: FakeOpenAI,
) -> None:
    item = await summarise_ferry(fake_openai, Reply(status=400), verify=True)
    assert item.summariser == "llm" and item.withheld == 0


async def test_the_second_opinion_counts_in_the_token_budget(fake_openai: FakeOpenAI) -> None:
    # Each call costs 180 tokens (the fake's usage). With a 300-token day, the summary and its
    # second opinion spend it, so the next story is told the budget is spent.
    fake_openai.respond_with(server(json_reply(GOOD_FERRY), lambda _: verdicts(True, True)))
    for verify, second_label in ((False, "llm"), (True, "extractive")):
        settings = make_settings(fake_openai.base_url, verify=verify, daily_token_budget=300)
        summariser = make_summariser(settings, "llm")
        first, second = await summariser.summarise_stories([FERRY, FERRY])
        assert first.summariser == "llm"
        assert second.summariser == second_label, second.note


async def test_answers_get_the_second_opinion_too(fake_openai: FakeOpenAI) -> None:
    answer = {
        "found": True,
        "sentences": [
            {"text": "The first ferry will carry up to 180 passengers.", "sources": ["A1"]}
        ],
    }
    articles = [FERRY_GAZETTE, FERRY_POST]
    question = "How many passengers will the ferry carry?"
    for supported, used in ((True, True), (False, False)):
        fake_openai.respond_with(server(json_reply(answer), always(verdicts(supported))))
        answerer = make_answerer(make_settings(fake_openai.base_url, verify=True), "llm")
        assert answerer is not None
        result = await answerer.answer(question, articles)
        assert (result.summariser == "llm") is used and result.found is used
