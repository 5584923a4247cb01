"""`newsbot db prune` as an operator uses it: what went, in one sentence; bad input refused."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import db_cmd, run_parsed
from bot.models import Article
from bot.store.articles import ArticleStore
from bot.store.db import open_database
from bot.store.feeds import FeedStore

Run = Callable[..., tuple[int, str, str]]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbot")
    parser.add_argument("--config")
    db_cmd.register(parser.add_subparsers(dest="command", required=True))
    return parser


@pytest.fixture
def newsbot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "WARNING")
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    monkeypatch.delenv("NEWSBOT_DATABASE__RETENTION_DAYS", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        try:
            code = run_parsed(_parser().parse_args(argv))
        except SystemExit as error:  # argparse refusing an argument
            code = int(error.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def store_articles(url: str, ages_days: list[int]) -> None:
    async def store() -> None:
        db = await open_database(url)
        now = datetime.now(UTC)
        try:
            feed = await FeedStore(db).add("https://harbour.example/rss", now=now)
            for i, age in enumerate(ages_days):
                moment = now - timedelta(days=age)
                item = Article(
                    id=f"id-{i}",
                    url=f"https://news.example/{i}",
                    title=f"Story {i}",
                    text="Text.",
                    outlet="Harbour Gazette",
                    published=moment,
                    fetched=moment,
                )
                await ArticleStore(db).add_many([item], feed_id=feed.id, fetched_at=moment)
        finally:
            await db.close()

    asyncio.run(store())


def count_articles(url: str) -> int:
    async def count() -> int:
        db = await open_database(url)
        try:
            return await ArticleStore(db).count()
        finally:
            await db.close()

    return asyncio.run(count())


def test_prune_reports_what_went(newsbot: Run, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    store_articles(url, [1, 2, 45, 60, 90])
    code, out, _ = newsbot("db", "prune")
    assert code == 0
    assert out.startswith("Removed 3 articles, 0 digests")
    assert count_articles(url) == 2

    code, out, _ = newsbot("db", "prune", "--days", "10")
    assert (code, out.split(":")[0]) == (0, "Nothing to remove")


def test_days_override_the_setting_but_never_the_digest_window(
    newsbot: Run, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    store_articles(url, [3, 20])
    code, out, _ = newsbot("db", "prune", "--days", "1")
    assert code == 0 and out.startswith("Removed 1 articles")
    assert count_articles(url) == 1  # three days old is still inside what a digest needs


def test_retention_off_removes_nothing(
    newsbot: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    store_articles(url, [400])
    monkeypatch.setenv("NEWSBOT_DATABASE__RETENTION_DAYS", "0")
    code, out, _ = newsbot("db", "prune")
    assert code == 0 and "Retention is off" in out
    assert count_articles(url) == 1


@pytest.mark.parametrize("days", ["0", "-3", "ten", "99999"])
def test_a_bad_number_of_days_is_one_clear_sentence(newsbot: Run, days: str) -> None:
    code, _, err = newsbot("db", "prune", "--days", days)
    assert code == 2
    assert "is not a number of days" in err
