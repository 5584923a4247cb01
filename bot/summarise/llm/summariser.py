"""Digest items written by the LLM, each sentence checked; any failure is the extractive item."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.config import LlmSettings
from bot.models import Article, DigestItem, Sentence, Story
from bot.summarise.base import Summariser
from bot.summarise.grounding import with_full_stop
from bot.summarise.llm.budget import UsageBudget
from bot.summarise.llm.checking import Checked, check_drafts
from bot.summarise.llm.client import Deadline, LlmClient, LlmFailure
from bot.summarise.llm.drafts import (
    Draft,
    GroundingRules,
    Rejected,
    articles_payload,
    read_drafts,
    short_ids,
    source_of,
    story_sources,
)
from bot.summarise.llm.prompts import Prompts, chat_messages, data_block, render, summary_schema
from bot.summarise.llm.verify import checking_parts

log = logging.getLogger("newsbot.llm")

# Outlets of one story sent to the model (the item still names every outlet), and the
# longest headline shown.
MAX_PROMPT_ARTICLES = 6
MAX_HEADLINE_WORDS = 20


class LlmSummariser:
    """Digest items written by the LLM; each item falls back to extractive on any failure."""

    name = "llm"

    def __init__(
        self,
        client: LlmClient,
        settings: LlmSettings,
        *,
        fallback: Summariser,
        budget: UsageBudget,
        rules: GroundingRules | None = None,
        prompts: Prompts | None = None,
    ) -> None:
        self._client = client
        self._settings = settings
        self._fallback = fallback
        self._budget = budget
        self._rules, self._prompts, self._verifier = checking_parts(
            client, settings, budget, rules, prompts
        )

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        """One item per story; all calls share the digest's time budget."""
        fallbacks = await self._fallback.summarise_stories(
            stories, max_sentences=max_sentences, scope=scope
        )
        slots = asyncio.Semaphore(self._settings.concurrency)
        async with self._client.connected():
            # Started once the SDK client is open: opening it is not the server's time.
            deadline = Deadline(self._settings.digest_budget_s)

            async def one(story: Story, fallback: DigestItem) -> DigestItem:
                async with slots:
                    return await self.summarise_story(
                        story, fallback, max_sentences=max_sentences, scope=scope, deadline=deadline
                    )

            items = list(await asyncio.gather(*map(one, stories, fallbacks)))
        if self._client.metrics is not None:
            self._client.metrics.llm_fell_back(sum(i.summariser == "extractive" for i in items))
        return items

    async def summarise_story(
        self,
        story: Story,
        fallback: DigestItem,
        *,
        max_sentences: int,
        scope: str,
        deadline: Deadline,
    ) -> DigestItem:
        """The LLM item for `story` if every sentence is grounded, else `fallback`, labelled."""
        if deadline.remaining() < 0.05:
            return _labelled(fallback, "the LLM time budget of this digest ran out")
        if await self._budget.spent(scope):
            return _labelled(fallback, "today's LLM token budget is spent")
        ids = short_ids(story.articles[:MAX_PROMPT_ARTICLES])
        messages = self._messages(ids, max_sentences)
        try:
            completion = await self._client.complete_json(
                messages,
                schema_name="story_summary",
                schema=summary_schema(list(ids), max_sentences),
                deadline=deadline,
            )
        except LlmFailure as error:
            log.info("LLM summary of story %s failed: %s", story.id, error)
            if error.tokens:
                await self._budget.record(scope, error.tokens)
            return _labelled(fallback, f"LLM unavailable: {error}")
        await self._budget.record(scope, completion.tokens)
        try:
            drafts = read_drafts(completion.data, ids, max_sentences)
            if not drafts:
                raise Rejected("the LLM reply has no sentences")
        except Rejected as error:
            log.info("LLM summary of story %s rejected: %s", story.id, error.for_log())
            return _labelled(fallback, f"LLM summary rejected: {error}")
        refused = await self._verifier.refused(drafts, ids, scope, deadline)
        urls = [a.url for a in story.articles]
        checked = check_drafts(drafts, self._rules, urls, refused=refused)
        _log_checks(story.id, checked)
        if checked.refusal is not None:
            log.info("LLM summary of story %s rejected: %s", story.id, checked.refusal)
            rejected = _labelled(fallback, f"LLM summary rejected: {checked.refusal}")
            return replace(rejected, withheld=checked.withheld, checks=checked.checks)
        return self._item(story, checked, completion.data.get("headline"), urls, fallback)

    def _messages(self, ids: dict[str, Article], max_sentences: int) -> list[dict[str, str]]:
        payload = {"articles": articles_payload(ids, self._settings.max_article_chars)}
        user = render(
            self._prompts.story_summary,
            headline_rules=self._prompts.digest_headline,
            max_sentences=str(max_sentences),
            data=data_block(payload),
        )
        return chat_messages(self._prompts.system, user, system_role=self._settings.system_role)

    def _item(
        self,
        story: Story,
        checked: Checked,
        headline: object,
        urls: Sequence[str],
        fallback: DigestItem,
    ) -> DigestItem:
        """The LLM's item: the sentences shown, noted when some were withheld."""
        headline, headline_note = self._headline(story, headline, urls, fallback)
        note = "; ".join(n for n in (checked.withheld_note(), headline_note) if n)
        return DigestItem(
            story_id=story.id,
            headline=headline,
            sentences=tuple(
                Sentence(text=with_full_stop(d.text), sources=tuple(source_of(a) for a in d.cited))
                for d in checked.shown
            ),
            sources=story_sources(story),
            summariser="llm",
            note=note,
            withheld=checked.withheld,
            checks=checked.checks,
        )

    def _headline(
        self, story: Story, raw: object, urls: Sequence[str], fallback: DigestItem
    ) -> tuple[str, str]:
        """The LLM's headline if it passes the same check, else the extractive one, noted."""
        # Shown on one line; a whole paragraph is not a headline.
        headline = " ".join(raw.split()) if isinstance(raw, str) else ""
        if not headline:
            reason: str | None = "none given"
        elif len(headline.split()) > MAX_HEADLINE_WORDS:
            reason = f"longer than {MAX_HEADLINE_WORDS} words"
        else:
            reason = self._rules.check(Draft(headline, story.articles), urls, headline=True)
        if reason is None:
            return headline, ""
        return fallback.headline, f"headline by the extractive summariser (LLM headline: {reason})"


def _log_checks(story_id: str, checked: Checked) -> None:
    """Each sentence's verdict at DEBUG, so an operator can see why an item fell back."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    for number, check in enumerate(checked.checks, start=1):
        verdict = f"shown ({check.passage})" if check.shown else f"withheld: {check.reason}"
        log.debug("LLM summary of story %s, sentence %d: %s", story_id, number, verdict)
    if checked.refusal is not None:
        log.debug("LLM summary of story %s falls back to extractive: %s", story_id, checked.refusal)


def _labelled(item: DigestItem, note: str) -> DigestItem:
    # Keep the extractive summariser's own note (e.g. "not in English") after ours.
    return replace(
        item, summariser="extractive", note=f"{note}; {item.note}" if item.note else note
    )


class AutoSummariser:
    """The LLM when its server answers the probe, else the extractive summariser."""

    name = "auto"

    def __init__(self, client: LlmClient, *, llm: Summariser, fallback: Summariser) -> None:
        self._client = client
        self._llm = llm
        self._fallback = fallback

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        """LLM items when reachable; extractive items noting why otherwise."""
        if await self._client.reachable():
            return await self._llm.summarise_stories(
                stories, max_sentences=max_sentences, scope=scope
            )
        items = await self._fallback.summarise_stories(
            stories, max_sentences=max_sentences, scope=scope
        )
        if self._client.metrics is not None:
            self._client.metrics.llm_fell_back(len(items))
        return [_labelled(item, "LLM server not reachable") for item in items]
