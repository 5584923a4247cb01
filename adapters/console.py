"""The local terminal channel: `newsbot run` without Discord or Slack credentials.

Type commands as text (`/subscribe URL`, `/digest`, `/ask ...`, `/help`); digests are
printed as the scheduler fires them. A line that is not a command is asked as a question.
End with Ctrl-D (end of input). The person at the terminal runs the bot, so they may manage
its channel. Like every adapter it only translates: text in, `Reply`/`Digest` out.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from typing import TextIO

from bot.channels.commands import Commands
from bot.channels.delivery import PostResult
from bot.digest.render import render_text
from bot.models import Caller, ChannelRef, Digest, Reply

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


def render_reply(reply: Reply) -> str:
    """A reply as terminal text: its text, list rows, and any digest."""
    parts = [reply.text]
    parts += [f"  {line}" for line in reply.lines]
    if reply.digest is not None:
        parts.append("")
        parts.append(render_text(reply.digest).rstrip())
    return "\n".join(parts)


class ConsolePoster:
    """Prints digests to the terminal. Posts live only as long as the process."""

    platform = PLATFORM

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._posted: dict[str, PostResult] = {}
        self.last_thread = ""

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        """Print the digest; its key is the thread that `/ask` uses next."""
        self._write("\n" + render_text(digest).rstrip() + "\n(ask about it with /ask QUESTION)")
        result = PostResult(
            message_id=f"console-{len(self._posted) + 1}", thread_id=idempotency_key
        )
        self._posted[idempotency_key] = result
        self.last_thread = idempotency_key
        return result

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        return self._posted.get(idempotency_key)

    async def notify(self, where: ChannelRef, text: str) -> None:
        self._write(f"[newsbot] {text}")

    def _write(self, text: str) -> None:
        print(text, file=self._out, flush=True)


class ConsoleAdapter:
    """Reads commands from `stdin`, answers on `stdout`, until end of input."""

    platform = PLATFORM

    def __init__(
        self,
        commands: Commands,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        where: ChannelRef = CONSOLE_CHANNEL,
    ) -> None:
        self.commands = commands
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.where = where
        self.poster = ConsolePoster(self.stdout)

    async def start(self) -> None:
        """Greet; nothing to connect to."""
        self._write(BANNER)

    async def close(self) -> None:
        """Nothing to release: stdin and stdout belong to the process."""

    async def serve(self) -> None:
        """Answer lines until end of input (Ctrl-D)."""
        lines = self._read_lines()
        interactive = self.stdin.isatty()
        while True:
            if interactive:
                print("> ", end="", file=self.stdout, flush=True)
            line = await lines.get()
            if not line:
                self._write("bye")
                return
            if line.strip():
                self._write(await self._answer(line))

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

    async def _answer(self, line: str) -> str:
        """The reply to one line; a bug is logged, never the end of the session."""
        try:
            return render_reply(await self.handle(line))
        except Exception:
            log.exception("the console command %r failed", line.strip()[:80])
            return "Something went wrong with that command (details are in the log)."

    async def handle(self, line: str) -> Reply:
        """One typed line -> the core command it names, or a question."""
        text = line.strip()
        word = text.lstrip("/").split(" ", 1)[0].lower()
        if not text.startswith("/") and word not in KNOWN:
            text = f"ask {text}"
        thread = self.poster.last_thread or None
        return await self.commands.execute(self.where, OPERATOR, text, thread_id=thread)

    def _write(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)
