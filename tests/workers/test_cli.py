"""The scale-out commands on SQLite: one sentence saying PostgreSQL is needed, nothing started,
and `newsbot db upgrade` still brings the SQLite schema up to date."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def newsbot(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "args", [("worker",), ("worker", "--send", "webhook"), ("run", "--distributed")]
)
def test_scale_out_on_sqlite_is_refused_in_one_sentence(tmp_path: Path, args: tuple[str]) -> None:
    done = newsbot(tmp_path, *args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("newsbot: ") and "need PostgreSQL" in lines[-1]
    assert "Traceback" not in done.stderr


def test_an_unknown_queue_is_named_with_the_ones_that_exist(tmp_path: Path) -> None:
    done = newsbot(tmp_path, "worker", "--queues", "poll,bake")
    assert done.returncode == 2
    assert "give some of tick, poll, build" in done.stderr


def test_db_upgrade_on_sqlite_brings_the_schema_up_to_date(tmp_path: Path) -> None:
    done = newsbot(tmp_path, "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "The database schema is up to date."
    assert (tmp_path / "bot.db").exists()
