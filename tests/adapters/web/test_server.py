"""`newsbot web` serving for real: the printed address answers; a bad address is one sentence."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import aiohttp
import pytest

from bot.cli.web_cmd import run_dashboard, with_address
from bot.errors import ConfigError
from tests.adapters.web.conftest import dashboard_settings


async def test_the_printed_address_serves_the_dashboard(tmp_path: Path) -> None:
    settings = with_address(dashboard_settings(tmp_path), None, 0)
    lines: list[str] = []
    stop = asyncio.Event()
    serving = asyncio.create_task(run_dashboard(settings, stop=stop, announce=lines.append))
    for _ in range(200):
        if lines or serving.done():
            break
        await asyncio.sleep(0.05)
    assert lines, serving
    assert "local operator mode" in lines[0]
    match = re.search(r"open (http://127\.0\.0\.1:\d+/)", lines[0])
    assert match is not None
    async with aiohttp.ClientSession() as http, http.get(match.group(1)) as response:
        assert response.status == 200
        assert "Local operator mode" in await response.text()
    stop.set()
    await asyncio.wait_for(serving, 10)


async def test_a_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = with_address(dashboard_settings(tmp_path), None, port)
        with pytest.raises(ConfigError, match=rf"cannot listen on 127\.0\.0\.1:{port}"):
            await run_dashboard(settings, stop=asyncio.Event(), announce=print)


async def test_serving_other_machines_without_a_login_is_refused_before_anything_opens(
    tmp_path: Path,
) -> None:
    settings = with_address(dashboard_settings(tmp_path), "0.0.0.0", 0)
    with pytest.raises(ConfigError, match="serves this machine only"):
        await run_dashboard(settings, stop=asyncio.Event(), announce=print)
    assert not (tmp_path / "newsbot.db").exists()
    with pytest.raises(ConfigError, match="--port"):
        with_address(settings, None, 70000)
