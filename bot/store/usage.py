"""Tokens spent on the LLM per scope (a channel or a server) per UTC day."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.store.db import Database
from bot.store.schema import LlmUsageRow


class UsageStore:
    """Reads and adds to the `llm_usage` counters."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def tokens_used(self, scope: str, day: str) -> int:
        """Tokens `scope` has spent on `day` (YYYY-MM-DD, UTC); 0 when none."""
        async with self._db.session() as session:
            used = await session.scalar(
                select(LlmUsageRow.tokens).where(LlmUsageRow.scope == scope, LlmUsageRow.day == day)
            )
        return int(used or 0)

    async def add_tokens(self, scope: str, day: str, tokens: int) -> int:
        """Add `tokens` to the counter of (`scope`, `day`) in one statement; returns the total.

        An upsert, so concurrent digests for the same scope never lose each other's tokens.
        """
        insert = sqlite_insert if self._db.dialect == "sqlite" else pg_insert
        values = insert(LlmUsageRow).values(scope=scope, day=day, tokens=tokens)
        statement = values.on_conflict_do_update(
            index_elements=[LlmUsageRow.scope, LlmUsageRow.day],
            set_={"tokens": LlmUsageRow.tokens + values.excluded.tokens},
        ).returning(LlmUsageRow.tokens)
        async with self._db.session() as session:
            total = await session.scalar(statement)
        return int(total or 0)
