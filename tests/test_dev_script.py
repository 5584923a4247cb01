"""scripts/dev.py installs only when needed: first run, pyproject.toml changed, more extras."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "dev.py"


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[list[str]]]:
    spec = importlib.util.spec_from_file_location("dev_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    venv = tmp_path / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("", encoding="utf-8")  # an existing venv
    monkeypatch.setattr(module, "ROOT", tmp_path)
    monkeypatch.setattr(module, "VENV", venv)
    monkeypatch.setattr(module, "STAMP", venv / "newsbot-install.json")
    commands: list[list[str]] = []

    def record(command: list[str]) -> int:
        commands.append(command)
        return 0

    monkeypatch.setattr(module, "_run", record)
    return module, commands


def installs(commands: list[list[str]]) -> list[str]:
    return [c[-1] for c in commands if c[1:4] == ["-m", "pip", "install"] and "-e" in c]


def test_installs_once_then_only_when_needed(
    dev: tuple[ModuleType, list[list[str]]], tmp_path: Path
) -> None:
    module, commands = dev
    module.ensure_venv()
    module.ensure_venv()
    assert installs(commands) == ["."]

    module.ensure_venv(("dev", "llm-local"))
    module.ensure_venv()  # the plain install is covered by the one with extras
    assert installs(commands) == [".", ".[dev,llm-local]"]

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'y'\n", encoding="utf-8")
    module.ensure_venv()  # keeps the extras installed before
    assert installs(commands)[-1] == ".[dev,llm-local]"
    assert len(installs(commands)) == 3


def test_test_command_fails_when_any_step_fails(
    dev: tuple[ModuleType, list[list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, _ = dev
    monkeypatch.setattr(module, "_run", lambda command: 1 if "mypy" in command[0] else 0)
    assert module.test(["-q"]) == 1
    monkeypatch.setattr(module, "_run", lambda command: 0)
    assert module.test(["-q"]) == 0


def test_unknown_command_is_refused() -> None:
    spec = importlib.util.spec_from_file_location("dev_script_main", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["deploy"]) == 2
