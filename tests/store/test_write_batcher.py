"""WriteBatcher: concurrent writes share transactions, and a failing one fails alone."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import Database, WriteBatcher


def insert_usage(scope: str, tokens: int) -> Callable[[AsyncSession], Awaitable[str]]:
    async def write(session: AsyncSession) -> str:
        await session.execute(
            text("INSERT INTO llm_usage (scope, day, tokens) VALUES (:s, '2026-03-01', :t)"),
            {"s": scope, "t": tokens},
        )
        return scope

    return write


async def stored_scopes(db: Database) -> set[str]:
    async with db.session() as session:
        return set((await session.scalars(text("SELECT scope FROM llm_usage"))).all())


async def test_concurrent_writes_share_few_transactions(db: Database) -> None:
    begins: list[str] = []
    event.listen(db.engine.sync_engine, "begin", lambda conn: begins.append("begin"))
    batcher = WriteBatcher(db)
    results = await asyncio.gather(*(batcher.run(insert_usage(f"s{i}", i)) for i in range(100)))
    assert results == [f"s{i}" for i in range(100)]
    assert await stored_scopes(db) == {f"s{i}" for i in range(100)}
    assert len(begins) <= 10, f"{len(begins)} transactions for 100 writes"


async def test_a_failing_write_fails_alone_and_the_others_are_stored(db: Database) -> None:
    batcher = WriteBatcher(db)
    writes = [insert_usage(f"s{i}", i) for i in range(20)]
    writes[7] = insert_usage("s3", 0)  # same (scope, day) as s3: a unique-key violation
    results = await asyncio.gather(*(batcher.run(w) for w in writes), return_exceptions=True)
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1
    assert await stored_scopes(db) == {f"s{i}" for i in range(20)} - {"s7"}


async def test_a_single_write_error_reaches_its_caller(db: Database) -> None:
    async def broken(session: AsyncSession) -> None:
        raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        await WriteBatcher(db).run(broken)


async def test_stopping_during_a_write_leaves_no_unretrieved_error_in_the_log(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    # `newsbot run` stopped while a poll stores its results: every writer is cancelled at once.
    started = asyncio.Event()

    async def slow(session: AsyncSession) -> str:
        started.set()
        await asyncio.sleep(30)
        return "never"

    batcher = WriteBatcher(db)
    holder = asyncio.create_task(batcher.run(slow))
    await started.wait()
    waiting = [asyncio.create_task(batcher.run(insert_usage(f"w{i}", i))) for i in range(3)]
    await asyncio.sleep(0.01)  # they queue behind the lock
    for task in (holder, *waiting):
        task.cancel()
    await asyncio.gather(holder, *waiting, return_exceptions=True)
    del holder, waiting
    gc.collect()
    await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text
