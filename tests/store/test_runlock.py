"""One `newsbot run` per SQLite store: the second is refused with one sentence naming the first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.store.runlock import RunLock, lock_path_for

HOLD = """
import sys, time
from bot.store.runlock import RunLock
lock = RunLock.for_database(sys.argv[1])
lock.acquire()
print("locked", flush=True)
time.sleep(60)
"""


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"


def test_only_sqlite_files_are_locked(tmp_path: Path) -> None:
    assert lock_path_for(sqlite_url(tmp_path)) == tmp_path / "newsbot.db.lock"
    assert lock_path_for("sqlite+aiosqlite:///:memory:") is None
    assert lock_path_for("postgresql+asyncpg://newsbot@db.internal/newsbot") is None
    with RunLock.for_database("postgresql+asyncpg://newsbot@db.internal/newsbot"):
        pass  # several runners are safe there: nothing to lock


def test_a_second_runner_in_another_process_is_refused_until_the_first_dies(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, url], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError) as refused, RunLock.for_database(url):
            pass
        message = str(refused.value)
        assert f"PID {holder.pid}" in message
        assert str(tmp_path / "newsbot.db") in message
        assert "\n" not in message
    finally:
        holder.kill()  # no clean-up at all: the kernel releases the lock
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    with RunLock.for_database(url) as lock:
        assert lock.path is not None
        assert lock.path.read_text().strip().isdecimal()


def test_the_lock_is_free_again_after_an_orderly_release(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with (
        RunLock.for_database(url),
        pytest.raises(ConfigError, match="is already using the store"),
    ):
        RunLock.for_database(url).acquire()
    with RunLock.for_database(url):
        pass


def test_an_unwritable_folder_is_one_clear_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(ConfigError, match="cannot create the lock file"):
        RunLock.for_database(f"sqlite+aiosqlite:///{missing / 'newsbot.db'}").acquire()
