"""The console adapter driven through a real `newsbot run` process's stdin and stdout."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from adapters.console import CONSOLE_CHANNEL
from bot.store.db import open_database
from tests.channels.conftest import rss
from tests.channels.support import seed_due_channel
from tests.fakes.feed_server import FeedServer

pytestmark = pytest.mark.slow
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


async def test_console_session_end_to_end(tmp_path: Path) -> None:
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    db = await open_database(db_url)
    await seed_due_channel(db, CONSOLE_CHANNEL)  # its digest is due: printed at the first tick
    await db.close()
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": db_url,
        "NEWSBOT_SCHEDULER__TICK_S": "0.2",
        "NEWSBOT_DIGEST__SUMMARISER": "extractive",
        "NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES": "true",  # the loopback feed server below
        "NEWSBOT_FETCH__PARSE_WORKERS": "1",
    }
    with FeedServer() as server, (tmp_path / "stderr.log").open("wb") as stderr:
        server.serve(
            "/valley.xml",
            rss("Valley Courier", [("apples", "Apple harvest", "Orchards picked apples.")]),
        )
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=stderr,
        )
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
