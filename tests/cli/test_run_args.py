"""`newsbot run` refuses arguments it could never work with before starting anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import build_parser, run_parsed


@pytest.mark.parametrize(
    "webhook",
    ["notaurl", "ftp://hooks.example/x", "http://[::1", "https://u:pw-secret@hooks.example:99999/"],
)
def test_an_unusable_webhook_is_one_sentence_before_anything_starts(
    webhook: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = tmp_path / "newsbot.db"
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    code = run_parsed(build_parser().parse_args(["run", "--no-console", "--webhook", webhook]))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "is not an http:// or https:// address" in err
    assert "pw-secret" not in err
    assert not database.exists()  # refused before the database was even opened


def test_console_and_no_console_together_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["run", "--console", "--no-console"])
    assert exited.value.code == 2
    assert "not allowed with argument --console" in capsys.readouterr().err
