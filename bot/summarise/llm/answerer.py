"""Answers to follow-up questions written by the LLM, each sentence checked like a summary's."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.config import LlmSettings
from bot.models import Article, Sentence
from bot.summarise.base import Answer, Answerer
from bot.summarise.grounding import with_full_stop
from bot.summarise.llm.budget import UsageBudget
from bot.summarise.llm.checking import check_drafts
from bot.summarise.llm.client import Deadline, LlmClient, LlmFailure
from bot.summarise.llm.drafts import (
    Draft,
    GroundingRules,
    Rejected,
    articles_payload,
    read_drafts,
    short_ids,
    source_of,
)
from bot.summarise.llm.prompts import Prompts, answer_schema, chat_messages, data_block, render
from bot.summarise.llm.verify import checking_parts

log = logging.getLogger("newsbot.llm")


class LlmAnswerer:
    """Answers follow-up questions with the LLM; ungrounded or failed answers go to `fallback`."""

    def __init__(
        self,
        client: LlmClient,
        settings: LlmSettings,
        *,
        fallback: Answerer | None,
        budget: UsageBudget,
        rules: GroundingRules | None = None,
        prompts: Prompts | None = None,
        probe_first: bool = False,
        max_sentences: int = 3,
    ) -> None:
        self._client = client
        self._settings = settings
        self._fallback = fallback
        self._budget = budget
        self._rules, self._prompts, self._verifier = checking_parts(
            client, settings, budget, rules, prompts
        )
        self._probe_first = probe_first
        self._max_sentences = max_sentences

    async def answer(
        self, question: str, articles: Sequence[Article], *, scope: str = ""
    ) -> Answer:
        """A grounded LLM answer, else the fallback's answer (or not-found when there is none)."""
        answer = await self.try_answer(question, articles, scope=scope)
        if answer is not None:
            return answer
        if self._fallback is not None:
            return await self._fallback.answer(question, articles, scope=scope)
        return Answer(sentences=(), summariser="extractive", found=False)

    async def try_answer(
        self, question: str, articles: Sequence[Article], *, scope: str = ""
    ) -> Answer | None:
        """The LLM's answer if every sentence is grounded; None when it cannot be used."""
        if not articles or not question.strip():
            return None
        if self._probe_first and not await self._client.reachable():
            return None
        if await self._budget.spent(scope):
            return None
        ids = short_ids(articles)
        payload = {
            "question": question[:500],
            "articles": articles_payload(ids, self._settings.max_article_chars),
        }
        user = render(
            self._prompts.answer, max_sentences=str(self._max_sentences), data=data_block(payload)
        )
        messages = chat_messages(self._prompts.system, user, system_role=self._settings.system_role)
        deadline = Deadline(min(self._settings.digest_budget_s, self._settings.timeout_s * 2))
        try:
            completion = await self._client.complete_json(
                messages,
                schema_name="answer",
                schema=answer_schema(list(ids), self._max_sentences),
                deadline=deadline,
            )
        except LlmFailure as error:
            log.info("LLM answer failed: %s", error)
            if error.tokens:
                await self._budget.record(scope, error.tokens)
            return None
        await self._budget.record(scope, completion.tokens)
        data = completion.data
        if data.get("found") is not True:
            return None  # the extractive answerer may still find it; it says so if not
        try:
            drafts = read_drafts(data, ids, self._max_sentences)
        except Rejected as error:
            log.info("LLM answer rejected: %s", error.for_log())
            return None
        if not drafts:
            return None
        refused = await self._verifier.refused(drafts, ids, scope, deadline)
        return self._grounded_answer(drafts, articles, refused)

    def _grounded_answer(
        self, drafts: Sequence[Draft], articles: Sequence[Article], refused: frozenset[int]
    ) -> Answer | None:
        """The supported sentences, when they still answer (the first one is among them)."""
        checked = check_drafts(drafts, self._rules, [a.url for a in articles], refused=refused)
        for check in checked.checks:
            if not check.shown:
                log.info("LLM answer sentence withheld: %s", check.reason)
        if checked.refusal is not None:
            log.info("LLM answer rejected: %s", checked.refusal)
            return None
        sentences = tuple(
            Sentence(text=with_full_stop(d.text), sources=tuple(source_of(a) for a in d.cited))
            for d in checked.shown
        )
        return Answer(sentences=sentences, summariser="llm", found=True)
