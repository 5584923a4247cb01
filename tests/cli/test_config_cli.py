"""`newsbot --version` and `newsbot config show`: what runs, with which settings, from where."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot
from bot.cli import main


@pytest.fixture(autouse=True)
def quiet(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("NEWSBOT_CONFIG", "OPENAI_API_KEY", "OPENAI_BASE_URL", "NEWSBOT_LLM__API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "WARNING")


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"newsbot {bot.__version__}"


def _line(out: str, setting: str) -> str:
    (line,) = [line for line in out.splitlines() if line.split(" ", 1)[0] == setting]
    return line


def test_config_show_says_each_value_and_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "newsbot.toml"
    config.write_text("[fetch]\ntimeout_s = 7\n[digest]\nmax_items = 4\n", encoding="utf-8")
    monkeypatch.setenv("NEWSBOT_DIGEST__MAX_ITEMS", "5")  # the environment wins over the file
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", "discord-token-not-to-show")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-key-not-to-show")
    database = "postgresql+asyncpg://news:db-password-not-to-show@db.example/news"
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", database)

    code = main(["--config", str(config), "config", "show"])
    shown = capsys.readouterr()

    assert code == 0, shown.err
    assert "not-to-show" not in shown.out
    assert _line(shown.out, "fetch.timeout_s").split() == [
        "fetch.timeout_s",
        "7.0",
        f"file:{config}",
    ]
    assert _line(shown.out, "digest.max_items").split() == [
        "digest.max_items",
        "5",
        "environment:NEWSBOT_DIGEST__MAX_ITEMS",
    ]
    assert _line(shown.out, "fetch.max_redirects").split() == [
        "fetch.max_redirects",
        "5",
        "default",
    ]
    assert _line(shown.out, "discord.token").split() == [
        "discord.token",
        "(secret,",
        "set)",
        "environment:NEWSBOT_DISCORD__TOKEN",
    ]
    assert _line(shown.out, "llm.api_key").split()[-1] == "environment:OPENAI_API_KEY"
    assert _line(shown.out, "slack.bot_token").split()[1:] == ["(not", "set)", "default"]
    url = _line(shown.out, "database.url").split()
    assert url[1].startswith("postgresql+asyncpg://") and "db.example/news" in url[1]
    assert url[2] == "environment:NEWSBOT_DATABASE_URL"
