"""`newsbot run` never hangs on the way out: a stuck shutdown ends after a grace period."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path

import pytest

from bot.cli.run_cmd import ShutdownWatchdog


def test_a_stuck_shutdown_exits_after_the_grace_period(caplog: pytest.LogCaptureFixture) -> None:
    exits: list[int] = []
    watchdog = ShutdownWatchdog(0.05, on_expiry=exits.append)
    with caplog.at_level(logging.WARNING, logger="newsbot.run"):
        watchdog.arm()
        time.sleep(1.0)  # the event loop is blocked, as in a shutdown stuck on a socket
    assert exits == [1]
    assert "shutdown did not finish" in caplog.text
    assert "outbox" in caplog.text


def test_a_shutdown_that_finishes_in_time_is_not_cut_short() -> None:
    exits: list[int] = []
    watchdog = ShutdownWatchdog(0.3, on_expiry=exits.append)
    watchdog.arm()
    watchdog.disarm()
    time.sleep(0.6)
    assert exits == []


def test_arming_twice_keeps_one_deadline() -> None:
    exits: list[int] = []
    watchdog = ShutdownWatchdog(0.05, on_expiry=exits.append)
    watchdog.arm()
    watchdog.arm()
    time.sleep(0.5)
    assert exits == [1]


async def start_bot(tmp_path: Path) -> asyncio.subprocess.Process:
    """`newsbot run --no-console` (no chat platform), returned once it says it is running."""
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}",
        "NEWSBOT_FETCH__PARSE_WORKERS": "2",
    }
    for name in list(env):
        if name.startswith(("NEWSBOT_DISCORD", "NEWSBOT_SLACK")):
            del env[name]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--no-console",
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    seen = b""
    while b"newsbot running" not in seen:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if not line:
            await process.wait()
            raise AssertionError(f"newsbot run ended early: {seen.decode(errors='replace')}")
        seen += line
    return process


async def finish(process: asyncio.subprocess.Process) -> bytes:
    """The rest of its output. Completes only when every process holding its output pipe
    (the bot and any worker it started) has ended; killed after 60 s otherwise."""
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 60)
    except TimeoutError:
        if process.returncode is None:
            process.kill()
        raise AssertionError("newsbot run, or a process it started, outlived the stop") from None
    return out


async def test_sigterm_stops_a_running_bot_cleanly(tmp_path: Path) -> None:
    process = await start_bot(tmp_path)
    process.terminate()
    out = await finish(process)
    assert process.returncode == 0, out.decode(errors="replace")
    assert b"Traceback" not in out


async def test_a_killed_bot_leaves_no_parser_workers_behind(tmp_path: Path) -> None:
    process = await start_bot(tmp_path)
    process.kill()  # no shutdown at all: the workers must notice on their own
    await finish(process)
    assert process.returncode == -9
