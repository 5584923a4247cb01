"""The `newsbot` fixture: the real entry point, run as a user runs it, output captured."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from bot.cli import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def digest(self) -> dict[str, Any]:
        """The digest printed with `--format json`."""
        data: dict[str, Any] = json.loads(self.out)
        return data


class Run(Protocol):
    def __call__(self, *argv: str) -> Result: ...


@pytest.fixture
def newsbot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Run]:
    """`newsbot ARGS...` with no configuration, LLM or real database in reach."""
    for name in ("NEWSBOT_CONFIG", "OPENAI_API_KEY", "OPENAI_BASE_URL", "NEWSBOT_LLM__API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "WARNING")

    def run(*argv: str) -> Result:
        code = main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    yield run
