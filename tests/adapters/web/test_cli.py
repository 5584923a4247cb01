"""What a newcomer does: `newsbot web` (or `newsbot run --web`), open the printed address,
manage the console channel; Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

ADDRESS = re.compile(r"newsbot dashboard: open (http://127\.0\.0\.1:\d+/)")


def environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env["NEWSBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"
    env["NEWSBOT_WEB__PORT"] = "0"
    env["NEWSBOT_FETCH__PARSE_WORKERS"] = "1"
    return env


def wait_for_address(stream: IO[str], limit_s: float = 30) -> str:
    deadline = time.monotonic() + limit_s
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        found = ADDRESS.search(line)
        if found:
            return found.group(1)
    raise AssertionError(f"no dashboard address printed: {''.join(seen)!r}")


@pytest.fixture
def started(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[str]]:
    args: list[str] = request.param
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=environment(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.parametrize(
    "started", [["web"], ["run", "--web", "--no-console"]], indirect=True, ids=["web", "run"]
)
def test_the_printed_address_manages_the_console_channel(
    started: subprocess.Popen[str],
) -> None:
    assert started.stdout is not None
    address = wait_for_address(started.stdout)
    with httpx.Client(base_url=address) as browser:
        home = browser.get("/")
        assert home.status_code == 200
        assert "Local operator mode" in home.text
        page = browser.get("/channels/console/local/terminal")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        done = browser.post(
            "/channels/console/local/terminal/subscribe",
            data={"target": "topic: harbour ferries", "csrf_token": token.group(1)},
            follow_redirects=True,
        )
        assert "Subscribed to the topic" in done.text
    started.send_signal(signal.SIGINT)
    assert started.wait(30) == 0
