"""Choose the summariser and answerer a digest or `ask` uses: LLM, extractive, or auto.

`auto` uses the LLM when one is configured (a base URL or an API key) and answers a cheap
probe; otherwise, and whenever the LLM fails for an item, the extractive summariser writes.
The probe happens on first use, not here, so building the bot never waits on the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import Clock, utc_now
from bot.config import Settings, SummariserMode
from bot.errors import BadInput
from bot.summarise.base import Answerer, Summariser

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics
    from bot.store.db import Database
    from bot.summarise.llm import ServerHealth

MODES: tuple[SummariserMode, ...] = ("auto", "llm", "extractive")


def resolve_mode(settings: Settings, mode: str | None) -> SummariserMode:
    """The mode asked for (`--summariser`), else the configured one; refuses unknown names."""
    chosen = mode or settings.digest.summariser
    for known in MODES:
        if chosen == known:
            return known
    raise BadInput(f"unknown summariser {chosen!r}; use one of: auto, llm, extractive.")


def llm_configured(settings: Settings) -> bool:
    """True when a base URL or an API key is set (settings or the SDK's own variables)."""
    return settings.llm.base_url is not None or settings.llm.api_key is not None


def make_summariser(
    settings: Settings,
    mode: str | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    health: ServerHealth | None = None,
    metrics: Metrics | None = None,
) -> Summariser:
    """The summariser for `mode` (default: `digest.summariser`).

    "extractive" never touches the network. "llm" always tries the LLM (falling back per item).
    "auto" is the LLM when configured and reachable, else extractive. `db` enables the daily
    token budget per scope; without it the budget is not enforced. Pass one `health` to every
    summariser and answerer of a process, so a hung server is waited on once, not by each.
    """
    from bot.summarise.extractive import ExtractiveSummariser

    chosen = resolve_mode(settings, mode)
    extractive = ExtractiveSummariser()
    if chosen == "extractive" or (chosen == "auto" and not llm_configured(settings)):
        return extractive
    from bot.summarise.llm import AutoSummariser, LlmClient, LlmSummariser, UsageBudget

    client = LlmClient.from_settings(settings.llm, health, metrics)
    llm = LlmSummariser(
        client,
        settings.llm,
        fallback=extractive,
        budget=UsageBudget.from_settings(settings.llm, db, clock or utc_now),
    )
    if chosen == "llm":
        return llm
    return AutoSummariser(client, llm=llm, fallback=extractive)


def make_answerer(
    settings: Settings,
    mode: str | None = None,
    *,
    fallback: Answerer | None = None,
    db: Database | None = None,
    clock: Clock | None = None,
    health: ServerHealth | None = None,
) -> Answerer | None:
    """The LLM answerer for `ask`, or None when the extractive answerer should be used.

    The LLM answerer checks every sentence against the articles; when the LLM fails or a
    sentence is not grounded it delegates to `fallback` (pass the extractive answerer), or
    returns a not-found answer labelled "extractive" when no fallback was given.
    """
    chosen = resolve_mode(settings, mode)
    if chosen == "extractive" or (chosen == "auto" and not llm_configured(settings)):
        return None
    from bot.summarise.llm import LlmAnswerer, LlmClient, UsageBudget

    return LlmAnswerer(
        LlmClient.from_settings(settings.llm, health),
        settings.llm,
        fallback=fallback,
        budget=UsageBudget.from_settings(settings.llm, db, clock or utc_now),
        probe_first=chosen == "auto",
    )
