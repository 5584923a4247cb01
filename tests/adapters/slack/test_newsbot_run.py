"""`newsbot run` with Slack credentials: a real process connects over Socket Mode to the fake
Slack and answers `/news`, configured only through the environment."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.adapters.slack.conftest import APP_TOKEN, eventually, slash_command
from tests.fakes.fake_slack import FakeSlack


async def test_newsbot_run_serves_slash_commands_over_socket_mode(
    slack: FakeSlack, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}",
        "NEWSBOT_SLACK__BOT_TOKEN": "xoxb-one",
        "NEWSBOT_SLACK__APP_TOKEN": APP_TOKEN,
        "NEWSBOT_SLACK__API_URL": slack.api_url,
    }
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
    try:
        await slack.wait_for_socket(timeout=30)
        envelope = await slack.send_envelope("slash_commands", slash_command("help", fake=slack))
        await asyncio.wait_for(envelope.ack, 5)
        await eventually(lambda: len(slack.responses) == 1)
    finally:
        output = await stop(process)
    assert "subscribe URL" in slack.responses[0]["text"]
    assert slack.responses[0]["response_type"] == "ephemeral"
    assert "connected in Socket Mode" in output
    assert "xoxb-one" not in output and APP_TOKEN not in output


async def stop(process: asyncio.subprocess.Process) -> str:
    """SIGTERM, then SIGKILL if it is still shutting down after 30 s; its output.

    This test is about serving Slack; how fast `newsbot run` shuts down under load is
    not what it checks, and a leaked process must never outlive the test.
    """
    if process.returncode is None:
        process.terminate()
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 30)
    except TimeoutError:
        process.kill()
        out, _ = await process.communicate()
    return out.decode(errors="replace")
