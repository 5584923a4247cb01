"""Daily LLM tokens per scope (a channel or server), so one busy channel cannot spend them all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.config import LlmSettings

if TYPE_CHECKING:
    from bot.store.db import Database
    from bot.store.usage import UsageStore


class UsageBudget:
    """Daily tokens per scope: in the `llm_usage` table when a database is given, else in memory."""

    def __init__(self, daily_tokens: int, store: UsageStore | None, clock: Clock) -> None:
        self._daily = daily_tokens
        self._store = store
        self._clock = clock
        self._memory: dict[tuple[str, str], int] = {}

    @classmethod
    def from_settings(cls, llm: LlmSettings, db: Database | None, clock: Clock) -> UsageBudget:
        """The budget of `llm.daily_token_budget` tokens (0 = unlimited)."""
        from bot.store.usage import UsageStore

        return cls(llm.daily_token_budget, UsageStore(db) if db is not None else None, clock)

    def _key(self, scope: str) -> tuple[str, str]:
        return (scope or "global", self._clock().date().isoformat())

    async def spent(self, scope: str) -> bool:
        """True when `scope` has used its tokens for today."""
        if self._daily == 0:
            return False
        key = self._key(scope)
        used = await self._store.tokens_used(*key) if self._store else self._memory.get(key, 0)
        return used >= self._daily

    async def record(self, scope: str, tokens: int) -> None:
        """Add what a call cost to today's counter of `scope`."""
        key = self._key(scope)
        if self._store:
            await self._store.add_tokens(*key, tokens)
        else:
            self._memory[key] = self._memory.get(key, 0) + tokens
