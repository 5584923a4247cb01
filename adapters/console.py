"""The local terminal channel: `newsbot run` without Discord or Slack credentials.

Type commands as text (`/subscribe URL`, `/digest`, `/ask ...`, `/help`); digests are
printed as the scheduler fires them. A line that is not a command is asked when it reads as
a question (other words get how to ask). Log lines print above the `> ` prompt, and a command
still running after a second says what it waits for.
End with Ctrl-D (end of input). The person at the terminal runs the bot, so they may manage
its channel. Like every adapter it only translates: text in, `Reply`/`Digest` out.
Printed digests are remembered in a small file next to the database (`*.console-posted`), so a
bot restarted after a crash does not print one of them twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.channels.ask import looks_like_question
from bot.channels.delivery import PostResult
from bot.channels.ports import ChatCommands
from bot.digest.render import render_text
from bot.errors import user_message
from bot.models import Caller, ChannelRef, Digest, Reply
from bot.store.db import database_location

log = logging.getLogger(__name__)

PLATFORM = "console"
CONSOLE_CHANNEL = ChannelRef(PLATFORM, "local", "terminal")
OPERATOR = Caller("operator", can_manage=True, display_name="you")
KNOWN = frozenset(
    ["subscribe", "unsubscribe", "list", "summary", "digest", "ask", "settings", "status", "help"]
)
BANNER = (
    "newsbot console: type /help for commands, /subscribe URL to follow a feed, Ctrl-D to quit."
)
PROMPT = "> "
CLEAR_LINE = "\r\x1b[K"  # back to the line's start and erase it: where the prompt was
PROGRESS_AFTER_S = 1.0  # a command still running after this says what it is waiting for
PROGRESS_EVERY_S = 5.0
NOT_A_QUESTION = (
    "{line!r} is not a command or a question; type /help for the commands, or ask a "
    "question such as: what did the council decide?"
)


def render_reply(reply: Reply) -> str:
    """A reply as terminal text: its text, cited sources, list rows, and any digest."""
    parts = [reply.text]
    if reply.citations:
        parts.append("Sources: " + "; ".join(f"{s.name}: {s.url}" for s in reply.citations))
    parts += [f"  {line}" for line in reply.lines]
    if reply.digest is not None:
        parts.append("")
        parts.append(render_text(reply.digest).rstrip())
    return "\n".join(parts)


POSTED_SUFFIX = ".console-posted"
KEEP_POSTED = 500  # far more than are ever retried: delivery gives up 48 h after a period


def posted_record_path(database_url: str) -> Path | None:
    """Where the console remembers the digests it printed: next to a SQLite file, in the
    working directory for PostgreSQL, nowhere for an in-memory database (a restart empties
    that too, so there is nothing left to print twice)."""
    backend, database = database_location(database_url)
    if backend == "sqlite":
        if database in ("", ":memory:"):
            return None
        return Path(database + POSTED_SUFFIX).expanduser()
    return Path(f"newsbot-{database or 'postgres'}{POSTED_SUFFIX}")


class PostedRecord:
    """The idempotency keys this terminal printed, kept across restarts.

    An append-only file of one JSON line per post, each appended with a single write and
    fsynced before `add` returns. A crash mid-append leaves a torn last line, which the next
    start drops with one log line before rewriting the file whole (temp file, fsync, rename).
    The same rewrite keeps only the newest `keep` posts once the file holds twice as many.
    An unreadable file leaves the record in memory only and a failed write is logged:
    printing must never fail because the record did (the outbox would print it again).
    """

    def __init__(self, path: Path | None, *, keep: int = KEEP_POSTED) -> None:
        self.path = path
        self.keep = keep
        self._posted: dict[str, PostResult] | None = None
        self._lines = 0  # lines in the file, to know when to compact it
        self._rewrite_next = False  # a torn line is on disk: never append after it
        self._lock = asyncio.Lock()

    async def find(self, key: str) -> PostResult | None:
        """The post recorded under `key`, by this process or an earlier one."""
        async with self._lock:
            return (await self._loaded()).get(key)

    async def add(self, key: str, result: PostResult) -> None:
        """Record a post durably (on disk when this returns), or log why it could not be."""
        async with self._lock:
            posted = await self._loaded()
            posted[key] = result
            if self.path is None:
                return
            try:
                if self._rewrite_next or self._lines + 1 > 2 * self.keep:
                    await asyncio.to_thread(self._rewrite, posted)
                else:
                    await asyncio.to_thread(_append_durably, self.path, _record_line(key, result))
                    self._lines += 1
            except OSError as error:
                self._rewrite_next = True
                log.error(
                    "could not record printed digest %s in %s (%s); a crash now prints it again",
                    key,
                    self.path,
                    error,
                )

    async def _loaded(self) -> dict[str, PostResult]:
        if self._posted is None:
            self._posted = await asyncio.to_thread(self._load)
        return self._posted

    def _load(self) -> dict[str, PostResult]:
        if self.path is None:
            return {}
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        except OSError as error:
            log.error(
                "cannot read the console's record of printed digests %s (%s); it is kept in "
                "memory only, so a digest being printed when the bot stops may print again",
                self.path,
                error,
            )
            self.path = None
            return {}
        posted, unreadable = _parse_records(raw)
        self._lines = len(posted) + unreadable
        if unreadable:
            log.warning(
                "dropped %d unreadable line(s) from %s (cut short by a crash?); a digest they "
                "named may be printed once more",
                unreadable,
                self.path,
            )
            self._rewrite_next = True
        return posted

    def _rewrite(self, posted: dict[str, PostResult]) -> None:
        """Replace the file with the newest `keep` posts, atomically (temp file + rename)."""
        assert self.path is not None
        for old in list(posted)[: -self.keep]:
            del posted[old]
        temp = self.path.with_name(self.path.name + ".tmp")
        with temp.open("wb") as file:
            file.write(b"".join(_record_line(k, r) for k, r in posted.items()))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, self.path)
        _fsync_folder(self.path.parent)
        self._lines = len(posted)
        self._rewrite_next = False


def _record_line(key: str, result: PostResult) -> bytes:
    record = {"key": key, "message_id": result.message_id, "thread_id": result.thread_id}
    return json.dumps(record).encode() + b"\n"


def _parse_records(raw: bytes) -> tuple[dict[str, PostResult], int]:
    """The posts in a record file and how many lines were unreadable. The last line counts
    only when its newline made it to disk, so a torn append is never half-believed."""
    *lines, tail = raw.split(b"\n")
    posted: dict[str, PostResult] = {}
    unreadable = 1 if tail else 0
    for line in lines:
        try:
            record = json.loads(line)
            key, message_id = record["key"], record["message_id"]
            thread_id = record["thread_id"]
        except (ValueError, TypeError, KeyError):
            unreadable += 1
            continue
        if not all(isinstance(v, str) for v in (key, message_id, thread_id)):
            unreadable += 1
            continue
        posted[key] = PostResult(message_id=message_id, thread_id=thread_id)
    return posted, unreadable


def _append_durably(path: Path, line: bytes) -> None:
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:  # the new file's name must survive a power cut too
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ConsolePoster:
    """Prints digests to the terminal and remembers which, across restarts (`PostedRecord`)."""

    platform = PLATFORM

    def __init__(
        self, out: TextIO, posted: Path | None = None, *, prompt: Prompt | None = None
    ) -> None:
        self._out = out
        self._posted = PostedRecord(posted)
        self._prompt = prompt or Prompt(out)
        self.last_thread = ""

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        """Print the digest, then record it; its key is the thread that `/ask` uses next.

        Printed first, recorded second: a crash between the two prints the digest again
        after the restart. That window is the time one fsync takes, and it is the smallest a
        terminal allows: unlike a chat platform, a terminal cannot be asked afterwards what
        it shows, and recording first would turn the same crash into a digest never shown.
        """
        self._write("\n" + render_text(digest).rstrip() + "\n(ask about it with /ask QUESTION)")
        result = PostResult(message_id=idempotency_key, thread_id=idempotency_key)
        await self._posted.add(idempotency_key, result)
        self.last_thread = idempotency_key
        return result

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        """The earlier print of this digest, if this terminal recorded one (even before a
        restart); delivery asks this before printing a digest whose earlier attempt died."""
        return await self._posted.find(idempotency_key)

    async def notify(self, where: ChannelRef, text: str) -> None:
        self._write(f"[newsbot] {text}")

    def _write(self, text: str) -> None:
        self._prompt.write(text)


class ConsoleAdapter:
    """Reads commands from `stdin`, answers on `stdout`, until end of input.

    `posted` is the file that remembers printed digests (`posted_record_path`); None keeps
    that record in memory only.
    """

    platform = PLATFORM

    def __init__(
        self,
        commands: ChatCommands,
        *,
        posted: Path | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        where: ChannelRef = CONSOLE_CHANNEL,
        progress_after_s: float = PROGRESS_AFTER_S,
    ) -> None:
        self.commands = commands
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.where = where
        self.progress_after_s = progress_after_s
        self.prompt = Prompt(self.stdout)
        self.poster = ConsolePoster(self.stdout, posted, prompt=self.prompt)

    async def start(self) -> None:
        """Greet; nothing to connect to."""
        self._write(BANNER)

    async def close(self) -> None:
        """Nothing to release: stdin and stdout belong to the process."""

    async def serve(self) -> None:
        """Answer lines until end of input (Ctrl-D)."""
        lines = self._read_lines()
        interactive = self.stdin.isatty()
        with self.prompt.above_logs() if interactive else contextlib.nullcontext():
            while True:
                if interactive:
                    self.prompt.show()
                line = await lines.get()
                self.prompt.answered()
                if not line:
                    self._write("bye")
                    return
                if line.strip():
                    self._write(await self.answer_line(line))

    def _read_lines(self) -> asyncio.Queue[str]:
        """Lines of stdin, read by a daemon thread: a blocking read must never keep the
        process alive after Ctrl-C (the event loop's own executor would wait for it)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()

        def read() -> None:
            while True:
                line = self.stdin.readline()
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                except RuntimeError:  # the loop is closed: the bot is shutting down
                    return
                if not line:
                    return

        threading.Thread(target=read, name="console-stdin", daemon=True).start()
        return queue

    async def answer_line(self, line: str) -> str:
        """The reply to one line: the console's one error handler. A bug is logged, never
        the end of the session; the person sees the same sentence every adapter shows.
        A command that takes a while (a slow feed server) says what it is waiting for."""
        work = asyncio.ensure_future(self.handle(line))
        waited, wait = 0.0, self.progress_after_s
        try:
            while not (await asyncio.wait({work}, timeout=wait))[0]:
                waited += wait
                wait = PROGRESS_EVERY_S
                self._write(progress_text(line, waited))
            return render_reply(work.result())
        except Exception as error:
            log.exception("the console command %r failed", line.strip()[:80])
            return user_message(error)
        finally:
            work.cancel()  # only still running when this task itself was cancelled

    async def handle(self, line: str) -> Reply:
        """One typed line -> the core command it names, or a question."""
        text = line.strip()
        word = (text.lstrip("/").split(None, 1) or [""])[0].lower()
        if not text.startswith("/") and word not in KNOWN:
            if not looks_like_question(text):
                # "clear", "exit": answering them with quotes that contain the word helps nobody.
                return Reply(text=NOT_A_QUESTION.format(line=text[:40]), ok=False, ephemeral=True)
            text = f"ask {text}"
        thread = self.poster.last_thread or None
        return await self.commands.execute(self.where, OPERATOR, text, thread_id=thread)

    def _write(self, text: str) -> None:
        self.prompt.write(text)


def progress_text(line: str, waited: float) -> str:
    """What a slow command is waiting for, so the terminal never looks frozen."""
    words = line.strip().lstrip("/").split()
    if len(words) > 1 and words[0].lower() == "subscribe":
        return f"… checking {words[1][:200]} (still waiting after {waited:.0f} s)"
    return f"… still working (after {waited:.0f} s)"


class Prompt:
    """The `> ` prompt, kept below everything printed while it waits for a line.

    Whatever is printed while the prompt shows (a digest, a log line from the scheduler)
    first takes the prompt off its line, then draws it again underneath: log lines never
    run on from `> `.
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._shown = False
        self._lock = threading.Lock()  # log lines can come from other threads

    def show(self) -> None:
        with self._lock:
            print(PROMPT, end="", file=self._out, flush=True)
            self._shown = True

    def answered(self) -> None:
        """The person pressed Enter: the prompt's line is theirs now."""
        self._shown = False

    def write(self, text: str) -> None:
        self.around(lambda: print(text, file=self._out, flush=True))

    def around(self, emit: Callable[[], None]) -> None:
        """Run `emit` (which prints) with the prompt taken away and drawn again after."""
        with self._lock:
            if self._shown:
                print(CLEAR_LINE, end="", file=self._out, flush=True)
            emit()
            if self._shown:
                print(PROMPT, end="", file=self._out, flush=True)

    @contextlib.contextmanager
    def above_logs(self) -> Iterator[None]:
        """While serving a terminal, the root logger's handlers print above the prompt."""
        root = logging.getLogger()
        originals = list(root.handlers)
        wrapped = [_AbovePrompt(handler, self) for handler in originals]
        for original, wrapper in zip(originals, wrapped, strict=True):
            root.removeHandler(original)
            root.addHandler(wrapper)
        try:
            yield
        finally:
            for original, wrapper in zip(originals, wrapped, strict=True):
                root.removeHandler(wrapper)
                root.addHandler(original)


class _AbovePrompt(logging.Handler):
    """A log handler that prints through another one, above the console's prompt."""

    def __init__(self, inner: logging.Handler, prompt: Prompt) -> None:
        super().__init__(inner.level)
        self.inner = inner
        self.prompt = prompt

    def handle(self, record: logging.LogRecord) -> bool:
        shown = False

        def emit() -> None:
            nonlocal shown
            shown = bool(self.inner.handle(record))

        self.prompt.around(emit)
        return shown

    def emit(self, record: logging.LogRecord) -> None:
        self.inner.emit(record)
