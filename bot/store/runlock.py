"""One `newsbot run` per SQLite store: a lock file beside the database holds the runner's PID.

Two runners on one SQLite file poll every feed twice and contend for its single write lock;
on PostgreSQL several runners are safe (feed polls and posts are claimed in the database),
so only SQLite files are locked. The lock is `flock` on `<database>.lock`: the kernel
releases it when the process ends, however it ends, so a crashed bot never leaves a stale
lock behind; the PID written into the file only names the holder in the refusal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from sqlalchemy.engine import make_url

from bot.errors import ConfigError


def lock_path_for(database_url: str) -> Path | None:
    """`<file>.lock` for a SQLite file database; None for PostgreSQL or an in-memory one."""
    try:
        url = make_url(database_url)
    except Exception:  # an unusable URL is reported when the database is opened
        return None
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database).expanduser()
    return path.with_name(path.name + ".lock")


def _holder(handle: IO[str]) -> str:
    """What to call the runner holding the lock: its PID and command line when readable."""
    handle.seek(0)
    pid = handle.read(32).strip()
    if not pid.isdecimal():
        return "another newsbot run"
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        command = ""
    shown = " ".join(command.split())[:120]  # one line, whatever the arguments hold
    return f"newsbot run (PID {pid}: {shown})" if shown else f"newsbot run (PID {pid})"


class RunLock:
    """Held while `newsbot run` uses a SQLite store; a second acquire raises ConfigError.

    Use as a context manager: `with RunLock(path):`. A None path (PostgreSQL) locks nothing.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    @classmethod
    def for_database(cls, database_url: str) -> RunLock:
        return cls(lock_path_for(database_url))

    def acquire(self) -> None:
        if self.path is None or self._handle is not None:
            return
        try:
            handle = self.path.open("a+", encoding="utf-8")
        except OSError as error:
            raise ConfigError(
                f"cannot create the lock file {self.path} ({error.strerror}); check that the "
                "database folder is writable."
            ) from None
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            handle.close()
            database = self.path.with_name(self.path.name.removesuffix(".lock"))
            raise ConfigError(
                f"{holder} is already using the store {database}; stop it first, or give this "
                "one another database.url (SQLite allows one runner per file)."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        # Emptied, not removed: removing it could let a third runner lock a new file while
        # a second one still holds the old, unlinked one.
        with contextlib.suppress(OSError):
            handle.truncate(0)
        handle.close()  # closing releases the flock

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
