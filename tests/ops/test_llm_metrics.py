"""The LLM's share of /metrics: calls by outcome, tokens the server reported, fallbacks.

Counted against what the fake OpenAI server saw: one story summarised by the LLM, one whose
reply is not JSON (the extractive summariser writes it), each call 180 tokens.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from bot.ops.metrics import Metrics
from bot.summarise.factory import make_summariser
from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply
from tests.llm.conftest import FERRY, GOOD_FERRY, LIBRARY_STORY, fake_openai, make_settings

__all__ = ["fake_openai"]  # the fixture, shared with the LLM tests


def value(metrics: Metrics, name: str, **labels: str) -> float:
    found = metrics.registry.get_sample_value(name, labels)
    assert found is not None, name
    return found


async def test_llm_calls_tokens_and_fallbacks_are_counted(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(json_reply(GOOD_FERRY), Reply(content="this is not JSON"))
    metrics = Metrics(CollectorRegistry())
    settings = make_settings(fake_openai.base_url, max_retries=0, verify=False)
    summariser = make_summariser(settings, "llm", metrics=metrics)

    items = await summariser.summarise_stories([FERRY, LIBRARY_STORY])

    assert [item.summariser for item in items] == ["llm", "extractive"]
    calls = len(fake_openai.chat_requests)
    assert calls == 2
    assert value(metrics, "newsbot_llm_calls_total", outcome="ok") == 1
    assert value(metrics, "newsbot_llm_calls_total", outcome="failed") == 1
    assert value(metrics, "newsbot_llm_tokens_total") == 180 * calls  # the malformed one is paid
    assert value(metrics, "newsbot_llm_fallbacks_total") == 1
