"""`llm.verify`: a second opinion from the model on its own sentences, before the code check.

One more call per reply sends the sentences with the articles they cite and asks, for each,
whether the cited articles state it. A sentence the model calls unsupported is withheld; the
code check still judges the others. When this call fails the code check decides alone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import LlmSettings
from bot.models import Article
from bot.summarise.llm.budget import UsageBudget
from bot.summarise.llm.client import Deadline, LlmClient, LlmFailure
from bot.summarise.llm.drafts import Draft, GroundingRules, default_loaded_finder
from bot.summarise.llm.prompts import Prompts, chat_messages, data_block, render, verify_schema

log = logging.getLogger("newsbot.llm")


@dataclass(frozen=True)
class SecondOpinion:
    """Which drafts (by position) the model calls unsupported, and what asking cost."""

    refused: frozenset[int]
    tokens: int


async def second_opinion(
    client: LlmClient,
    prompts: Prompts,
    settings: LlmSettings,
    drafts: Sequence[Draft],
    ids: dict[str, Article],
    deadline: Deadline,
) -> SecondOpinion:
    """Ask the model to check each draft against its cited articles; raises LlmFailure."""
    keys = {article.id: key for key, article in ids.items()}
    payload = {
        "articles": [
            {"id": key, "outlet": a.outlet, "text": a.text[: settings.max_article_chars]}
            for key, a in ids.items()
        ],
        "sentences": [
            {"index": i, "text": d.text, "sources": [keys[a.id] for a in d.cited]}
            for i, d in enumerate(drafts, start=1)
        ],
    }
    user = render(prompts.verify, data=data_block(payload))
    messages = chat_messages(prompts.system, user, system_role=settings.system_role)
    completion = await client.complete_json(
        messages, schema_name="verify", schema=verify_schema(len(drafts)), deadline=deadline
    )
    try:
        refused = _refused(completion.data, len(drafts))
    except LlmFailure as error:
        raise LlmFailure(str(error), tokens=completion.tokens) from None
    return SecondOpinion(refused=refused, tokens=completion.tokens)


def _refused(data: dict[str, Any], count: int) -> frozenset[int]:
    verdicts = data.get("verdicts")
    if not isinstance(verdicts, list):
        raise LlmFailure("the second opinion has no verdict list")
    refused: set[int] = set()
    answered: set[int] = set()
    for entry in verdicts:
        if not isinstance(entry, dict):
            raise LlmFailure("a verdict of the second opinion is not of the expected shape")
        index, supported = entry.get("index"), entry.get("supported")
        if not isinstance(index, int) or not isinstance(supported, bool) or not 1 <= index <= count:
            raise LlmFailure("a verdict of the second opinion is not of the expected shape")
        answered.add(index - 1)
        if not supported:
            refused.add(index - 1)
    # A sentence the model gave no verdict on was not vouched for.
    return frozenset(refused | (set(range(count)) - answered))


@dataclass(frozen=True)
class Verifier:
    """`llm.verify` for one summariser or answerer: asks when it is on, pays from the budget."""

    client: LlmClient
    prompts: Prompts
    settings: LlmSettings
    budget: UsageBudget

    async def refused(
        self, drafts: Sequence[Draft], ids: dict[str, Article], scope: str, deadline: Deadline
    ) -> frozenset[int]:
        """The drafts the model itself calls unsupported; none when verify is off, the
        budget is spent or the call fails (the code check then decides alone)."""
        if not self.settings.verify:
            return frozenset()
        if await self.budget.spent(scope):
            log.info("LLM second opinion skipped: today's token budget is spent")
            return frozenset()
        try:
            opinion = await second_opinion(
                self.client, self.prompts, self.settings, drafts, ids, deadline
            )
        except LlmFailure as error:
            log.info("LLM second opinion failed, the code check decides alone: %s", error)
            if error.tokens:
                await self.budget.record(scope, error.tokens)
            return frozenset()
        await self.budget.record(scope, opinion.tokens)
        return opinion.refused


def checking_parts(
    client: LlmClient,
    settings: LlmSettings,
    budget: UsageBudget,
    rules: GroundingRules | None,
    prompts: Prompts | None,
) -> tuple[GroundingRules, Prompts, Verifier]:
    """What an LLM writer checks its drafts with: the grounding rules and prompts given (the
    defaults of `settings` otherwise) and a verifier asking with those prompts."""
    rules = rules or GroundingRules(settings.min_coverage, default_loaded_finder())
    prompts = prompts or Prompts.load(settings.prompts_dir)
    return rules, prompts, Verifier(client, prompts, settings, budget)
