"""The console adapter: a real `newsbot run` process's stdin and stdout, and the record of
printed digests that lets a restarted process skip a digest it already printed."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import queue
import sys
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO, cast

import pytest
from sqlalchemy import select, update

from adapters.console import (
    CONSOLE_CHANNEL,
    ConsoleAdapter,
    ConsolePoster,
    PostedRecord,
    posted_record_path,
    render_reply,
)
from bot.channels.ask import reply_from_answer
from bot.channels.commands import Commands
from bot.channels.delivery import PostResult
from bot.errors import UNEXPECTED_ERROR_TEXT
from bot.models import Caller, ChannelRef, Digest, Reply, Sentence, Source
from bot.store.db import Database, open_database
from bot.store.schema import OutboxRow
from bot.summarise.base import Answer
from tests.channels.conftest import open_app, rss
from tests.channels.helpers import Clock, seed_due_channel, utc
from tests.fakes.feed_server import FeedServer

REPO = Path(__file__).resolve().parents[2]


class Terminal:
    """The bot's stdin and stdout, read line by line with a deadline."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen: list[str] = []

    async def type(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def read_until(self, text: str, timeout: float = 20.0) -> str:
        assert self.process.stdout is not None
        collected: list[str] = []
        async with asyncio.timeout(timeout):
            while True:
                raw = await self.process.stdout.readline()
                if not raw:
                    raise AssertionError(f"output ended before {text!r}: {collected}")
                line = raw.decode().rstrip("\n")
                collected.append(line)
                self.seen.append(line)
                if text in line:
                    return "\n".join(collected)


@pytest.mark.slow
def bot_env(db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "NEWSBOT_DATABASE_URL": db_url,
        "NEWSBOT_SCHEDULER__TICK_S": "0.2",
        "NEWSBOT_DIGEST__SUMMARISER": "extractive",
        "NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES": "true",  # the loopback feed server below
        "NEWSBOT_FETCH__PARSE_WORKERS": "1",
    }


async def start_console_bot(env: dict[str, str], stderr: object) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,  # type: ignore[arg-type]
    )


async def test_console_session_end_to_end(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    db = await open_database(db_url)
    await seed_due_channel(db, CONSOLE_CHANNEL)  # its digest is due: printed at the first tick
    await db.close()
    env = bot_env(db_url)
    with FeedServer() as server, (tmp_path / "stderr.log").open("wb") as stderr:
        server.serve(
            "/valley.xml",
            rss("Valley Courier", [("apples", "Apple harvest", "Orchards picked apples.")]),
        )
        process = await start_console_bot(env, stderr)
        term = Terminal(process)
        try:
            await term.read_until("type /help")
            digest = await term.read_until("ask about it with /ask")
            assert "News digest for" in digest and "Harbour Gazette" in digest

            await term.type("/help")
            assert "subscribe URL" in await term.read_until("needs permission")
            await term.type(f"/subscribe {server.url('/valley.xml')} exclude:pears")
            assert "never with pears" in await term.read_until("Subscribed to")
            await term.type("/list")
            assert "Valley Courier" in await term.read_until("Valley Courier")
            await term.type("/settings timezone=Mars/Olympus")
            await term.read_until("is not a time zone; use an IANA name")
            await term.type("/subscribe file:///etc/passwd")
            await term.read_until("feeds from chat must be http:// or https:// URLs")
            await term.type("/ask When does work on the harbour bridge start?")
            answer = await term.read_until("Sources:")
            assert "May" in answer and "gazette.example/harbour-bridge" in answer
            await term.type("Who won the chess final?")  # plain text is a question
            await term.read_until("My sources don't say.")
            await term.type("/frobnicate")
            await term.read_until("Unknown command 'frobnicate'")

            assert process.stdin is not None
            process.stdin.close()  # Ctrl-D
            await term.read_until("bye")
            assert await asyncio.wait_for(process.wait(), 20) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()


async def outbox_row(db_url: str) -> OutboxRow | None:
    db = await open_database(db_url, migrate=False)
    try:
        async with db.session() as session:
            return (await session.scalars(select(OutboxRow))).one_or_none()
    finally:
        await db.close()


async def sent(db_url: str) -> bool:
    row = await outbox_row(db_url)
    return row is not None and row.state == "sent"


async def leave_as_after_a_crash_between_print_and_commit(db_url: str) -> None:
    """The outbox row as a crash right after the print leaves it: leased once, still pending,
    its lease over. (A `kill -9` cannot be aimed between a print and the next commit.)"""
    db = await open_database(db_url, migrate=False)
    try:
        async with db.session() as session:
            await session.execute(
                update(OutboxRow).values(
                    state="pending",
                    attempts=1,
                    sent_at=None,
                    next_attempt_at=datetime.now(UTC) - timedelta(seconds=1),
                )
            )
    finally:
        await db.close()


async def run_until_sent(db_url: str, log: Path) -> str:
    """Run `newsbot run` on the console until its outbox row is sent; all it printed."""
    with log.open("wb") as stderr:
        process = await start_console_bot(bot_env(db_url), stderr)
    try:
        async with asyncio.timeout(30):
            while not await sent(db_url):
                await asyncio.sleep(0.05)
        assert process.stdin is not None
        process.stdin.close()  # Ctrl-D
        out, _ = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, log.read_text()[-2000:]
    return out.decode()


@pytest.mark.slow
async def test_a_restarted_bot_does_not_print_a_digest_it_printed_before(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    db = await open_database(db_url)
    await seed_due_channel(db, CONSOLE_CHANNEL)
    await db.close()
    first = await run_until_sent(db_url, tmp_path / "first.log")
    assert first.count("News digest for") == 1
    printed = await outbox_row(db_url)
    assert printed is not None

    await leave_as_after_a_crash_between_print_and_commit(db_url)
    second = await run_until_sent(db_url, tmp_path / "second.log")

    assert "News digest for" not in second  # found in the record, not printed again
    row = await outbox_row(db_url)
    assert row is not None and row.attempts == 2
    assert row.platform_message_id == printed.platform_message_id


def digest() -> Digest:
    start = datetime(2026, 4, 1, 8, tzinfo=UTC)
    return Digest("News digest for the terminal", start - timedelta(days=1), start, ())


async def test_a_new_poster_finds_what_an_earlier_one_printed(tmp_path: Path) -> None:
    record = tmp_path / "bot.db.console-posted"
    before, after = io.StringIO(), io.StringIO()
    printed = await ConsolePoster(before, record).post_digest(
        CONSOLE_CHANNEL, digest(), idempotency_key="k1"
    )
    restarted = ConsolePoster(after, record)
    assert await restarted.find_posted(CONSOLE_CHANNEL, "k1") == printed
    assert await restarted.find_posted(CONSOLE_CHANNEL, "k2") is None
    assert "News digest for the terminal" in before.getvalue() and after.getvalue() == ""


async def test_a_record_cut_short_by_a_crash_is_reported_once_and_repaired(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    record = tmp_path / "bot.db.console-posted"
    first = ConsolePoster(io.StringIO(), record)
    for key in ("k1", "k2"):
        await first.post_digest(CONSOLE_CHANNEL, digest(), idempotency_key=key)
    record.write_bytes(record.read_bytes()[:-7])  # the second append torn by a crash

    with caplog.at_level(logging.WARNING, logger="adapters.console"):
        restarted = ConsolePoster(io.StringIO(), record)
        assert await restarted.find_posted(CONSOLE_CHANNEL, "k1") is not None
        assert await restarted.find_posted(CONSOLE_CHANNEL, "k2") is None  # printed again
        await restarted.post_digest(CONSOLE_CHANNEL, digest(), idempotency_key="k3")
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "1 unreadable line" in warnings[0] and str(record) in warnings[0]

    again = PostedRecord(record)  # the torn line is gone, so k3 did not stick to it
    assert [await again.find(k) is not None for k in ("k1", "k2", "k3")] == [True, False, True]


async def test_a_record_of_garbage_is_dropped_without_a_crash(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    record = tmp_path / "bot.db.console-posted"
    record.write_bytes(b'\xff\xfe{"key":\n[1, 2]\n{"key": 3, "message_id": "m", "thread_id": ""}\n')
    with caplog.at_level(logging.WARNING, logger="adapters.console"):
        poster = ConsolePoster(io.StringIO(), record)
        assert await poster.find_posted(CONSOLE_CHANNEL, "k1") is None
        await poster.post_digest(CONSOLE_CHANNEL, digest(), idempotency_key="k1")
    assert len(caplog.records) == 1 and "3 unreadable line" in caplog.records[0].getMessage()
    assert await PostedRecord(record).find("k1") == PostResult("k1", "k1")


async def test_the_record_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "bot.db.console-posted"
    record = PostedRecord(path, keep=5)
    for n in range(1, 24):
        await record.add(f"k{n}", PostResult(f"m{n}", f"k{n}"))
        assert len(path.read_bytes().splitlines()) <= 10
    restarted = PostedRecord(path, keep=5)
    assert await restarted.find("k23") == PostResult("m23", "k23")
    assert await restarted.find("k19") is not None and await restarted.find("k1") is None


def test_the_record_lives_next_to_the_database(tmp_path: Path) -> None:
    assert posted_record_path(f"sqlite+aiosqlite:///{tmp_path}/bot.db") == Path(
        f"{tmp_path}/bot.db.console-posted"
    )
    assert posted_record_path("sqlite+aiosqlite:///:memory:") is None
    assert posted_record_path("postgresql+asyncpg://u@h/news") == Path(
        "newsbot-news.console-posted"
    )


async def test_a_command_typed_with_a_tab_is_run_not_asked(sqlite_db: Database) -> None:
    async for app in open_app(sqlite_db, Clock(utc(2026, 4, 1, 10)), allow_private=False):
        console = ConsoleAdapter(app.commands, stdout=io.StringIO())
        reply = await console.handle("subscribe\ttopic: harbour bridge")
        assert reply.ok and reply.text == "Subscribed to the topic 'harbour bridge'."
        assert (
            (await console.handle("list\u00a0"))
            .lines[0]
            .endswith(
                ". topic 'harbour bridge'",
            )
        )
        assert (await console.handle("/")).text.startswith("newsbot commands:")


def test_an_answer_lists_each_source_once_on_the_terminal() -> None:
    gazette = Source("Harbour Gazette", "https://gazette.example/harbour-bridge")
    wire = Source("Coast Wire", "https://coastwire.example/bridge")
    answer = Answer(
        (
            Sentence("Work on the bridge starts in May.", (gazette, wire)),
            Sentence("It will cost 4.2 million euros.", (wire,)),
        ),
        "extractive",
        found=True,
    )
    reply = reply_from_answer(answer)
    assert "://" not in reply.text  # the core leaves links to each platform's rendering
    shown = render_reply(reply)
    assert shown.count(gazette.url) == 1 and shown.count(wire.url) == 1
    assert "(Harbour Gazette and Coast Wire)" in shown
    assert shown.count("Sources:") == 1


class CrashingCommands(Commands):
    """The real commands, except that running one hits a bug."""

    async def execute(
        self, where: ChannelRef, caller: Caller, text: str, *, thread_id: str | None = None
    ) -> Reply:
        raise RuntimeError("bug: token=abc123 in a traceback")


async def test_a_bug_in_a_command_shows_the_one_unexpected_error_sentence(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    async for app in open_app(sqlite_db, Clock(utc(2026, 4, 1, 10)), allow_private=False):
        real = app.commands
        crashing = CrashingCommands(**{f.name: getattr(real, f.name) for f in fields(real)})
        out = io.StringIO()
        console = ConsoleAdapter(crashing, stdin=io.StringIO("/list\n/help\n"), stdout=out)
        with caplog.at_level(logging.ERROR):
            await asyncio.wait_for(console.serve(), timeout=10)
        shown = out.getvalue().splitlines()
        assert shown == [UNEXPECTED_ERROR_TEXT, UNEXPECTED_ERROR_TEXT, "bye"]
        assert "abc123" not in out.getvalue()  # details go to the log only
        assert "the console command '/list' failed" in caplog.text


class _TypedLines:
    """Keyboard input: a terminal (so the console shows its prompt) that the test types into
    line by line, and ends with Ctrl-D (an empty line). Only what the console reads."""

    def __init__(self) -> None:
        self._typed: queue.Queue[str] = queue.Queue()

    def isatty(self) -> bool:
        return True

    def readline(self) -> str:
        return self._typed.get()

    def type(self, line: str) -> None:
        self._typed.put(line)


async def _until(out: io.StringIO, text: str, timeout: float = 10.0) -> str:
    async with asyncio.timeout(timeout):
        while text not in out.getvalue():
            await asyncio.sleep(0.02)
    return out.getvalue()


async def test_log_lines_print_above_the_prompt_and_routine_ticks_stay_quiet(
    sqlite_db: Database,
) -> None:
    from bot.logs import setup_logging

    async for app in open_app(sqlite_db, Clock(utc(2026, 4, 1, 10)), allow_private=False):
        out, keys = io.StringIO(), _TypedLines()
        handler = setup_logging("INFO", stream=out)
        try:
            console = ConsoleAdapter(app.commands, stdin=cast(TextIO, keys), stdout=out)
            serving = asyncio.create_task(console.serve())
            await _until(out, "> ")
            logging.getLogger("bot.feeds").warning("feed https://news.example/rss failed")
            await _until(out, "feed https://news.example/rss failed")
            keys.type("")  # Ctrl-D
            await asyncio.wait_for(serving, 10)
        finally:
            logging.getLogger().removeHandler(handler)
    shown = out.getvalue()
    log_line = next(line for line in shown.split("\n") if "news.example/rss failed" in line)
    # The prompt was taken off its line before the log line and drawn again after it.
    assert "> " not in log_line.split("\r")[-1].split("\x1b[K")[-1]
    assert shown.count("> ") >= 2


async def test_a_routine_tick_is_logged_at_debug_only(
    sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    where = ChannelRef("test", "w1", "quiet")
    await seed_due_channel(sqlite_db, where)
    async for app in open_app(sqlite_db, Clock(datetime.now(UTC)), allow_private=False):
        from tests.channels.helpers import RecordingPoster

        caplog.set_level(logging.DEBUG, logger="bot.channels.scheduler")
        await app.scheduler({"test": RecordingPoster()})._run_tick()
    ticks = [r for r in caplog.records if r.getMessage().startswith("tick:")]
    assert ticks and all(r.levelno == logging.DEBUG for r in ticks)


async def test_a_slow_subscribe_shows_progress(sqlite_db: Database) -> None:
    with FeedServer() as server:
        server.serve(
            "/slow.xml",
            rss("Valley Courier", [("a", "Apple harvest", "Orchards picked apples.")]),
            delay_s=1.5,
        )
        async for app in open_app(sqlite_db, Clock(utc(2026, 4, 1, 10)), allow_private=True):
            out = io.StringIO()
            console = ConsoleAdapter(app.commands, stdout=out, progress_after_s=0.3)
            shown = await console.answer_line(f"/subscribe {server.url('/slow.xml')}")
            printed = out.getvalue()
            assert "checking" in printed and server.url("/slow.xml") in printed, printed
            assert shown.startswith("Subscribed to Valley Courier")


async def test_stray_words_are_not_answered_as_questions(sqlite_db: Database) -> None:
    async for app in open_app(sqlite_db, Clock(utc(2026, 4, 1, 10)), allow_private=False):
        console = ConsoleAdapter(app.commands, stdout=io.StringIO())
        for stray in ("clear", "exit", "ok thanks"):
            reply = await console.handle(stray)
            assert not reply.ok and "/help" in reply.text and "?" in reply.text, reply.text
            assert reply.citations == ()
        asked = await console.handle("who won the chess final")
        assert asked.text == "My sources don't say."
