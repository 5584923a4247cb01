"""Settings: the example file is complete and loads; env wins; bad values and secrets stop."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.config import (
    MAX_ITEMS,
    Settings,
    env_name,
    load_settings,
    secret_fields,
    unknown_env_warnings,
)
from bot.errors import ConfigError
from bot.logs import redact

EXAMPLE = Path(__file__).resolve().parents[1] / "config" / "newsbot.example.toml"
ASSIGNMENT = re.compile(r"^# ?([a-z_]+) = (.+)$")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if (name.startswith("NEWSBOT_") and not name.startswith("NEWSBOT_TEST_")) or name in (
            "OPENAI_API_KEY",
            "OPENAI_BASE_URL",
        ):
            monkeypatch.delenv(name)


def documented_settings() -> list[tuple[str, str]]:
    """(section, key) of every setting of the Settings model ("" = top level)."""
    found: list[tuple[str, str]] = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            found.extend((section, key) for key in model.model_fields)
        else:
            found.append(("", section))
    return found


def uncommented_example(tmp_path: Path) -> tuple[Path, set[tuple[str, str]]]:
    """The example with every `# key = value` line switched on, and the keys found."""
    lines, keys, section = [], set(), ""
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        match = ASSIGNMENT.match(line)
        if match:
            keys.add((section, match.group(1)))
            line = f"{match.group(1)} = {match.group(2)}"
        lines.append(line)
    path = tmp_path / "all-on.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, keys


def test_the_example_file_loads_as_the_defaults() -> None:
    assert load_settings(EXAMPLE) == Settings()


def test_the_example_documents_every_setting_with_a_valid_value(tmp_path: Path) -> None:
    path, keys = uncommented_example(tmp_path)
    secrets = set(secret_fields())
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [s for s in documented_settings() if s not in keys and s not in secrets]
    assert missing == [], f"add these to {EXAMPLE.name}: {missing}"
    for section, key in secrets:
        assert (section, key) not in keys
        assert env_name(section, key) in text
    everything_on = load_settings(path)  # every documented value is valid
    defaults = Settings()
    for section, key in keys:
        default = getattr(getattr(defaults, section), key) if section else getattr(defaults, key)
        shown = (
            getattr(getattr(everything_on, section), key)
            if section
            else getattr(everything_on, key)
        )
        if default is not None:  # settings unset by default show an example instead
            assert shown == default, f"{section}.{key}: the example says {shown!r}"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text("[fetch]\ntimeout_s = 3\nmax_redirects = 2\n", encoding="utf-8")
    monkeypatch.setenv("NEWSBOT_FETCH__TIMEOUT_S", "7")
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "postgresql://newsbot@db.internal/newsbot")
    settings = load_settings(path)
    assert settings.fetch.timeout_s == 7
    assert settings.fetch.max_redirects == 2
    assert settings.database.url == "postgresql+asyncpg://newsbot@db.internal/newsbot"


def test_newsbot_config_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text('log_level = "DEBUG"\n', encoding="utf-8")
    monkeypatch.setenv("NEWSBOT_CONFIG", str(path))
    assert load_settings().log_level == "DEBUG"


@pytest.mark.parametrize(
    ("content", "env", "expected"),
    [
        ("[fetch]\ntimeout_s = -1\n", {}, "fetch.timeout_s"),
        ("[digest]\ndefault_timezone = 'Mars/Olympus'\n", {}, "IANA time zone"),
        ("[digest]\ndefault_time = '25:00'\n", {}, "HH:MM"),
        ("", {"NEWSBOT_DIGEST__DEFAULT_TIME": "²:00"}, "use 24-hour HH:MM, e.g. 08:00."),
        ("[fetch]\ntimeuot_s = 3\n", {}, "unknown setting fetch.timeuot_s"),
        ("[database]\nurl = 'mysql://x/y'\n", {}, "database.url"),
        (
            "",
            {"NEWSBOT_DATABASE_URL": "postgresql+asyncpg://u@db.example:99999/news"},
            "the port must be from 1 to 65535",
        ),
        (
            "[database]\nurl = 'postgresql://u@db.example:54x2/news'\n",
            {},
            "host:port cannot be read",
        ),
        ("", {"NEWSBOT_FETCH__MAX_REDIRECTS": "many"}, "fetch.max_redirects"),
        ("[fetch\n", {}, "not valid TOML"),
        ("fetch = 3\n", {}, "it is a section; write its settings under [fetch]"),
    ],
)
def test_a_bad_value_stops_with_one_line_naming_the_setting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str,
    env: dict[str, str],
    expected: str,
) -> None:
    message = _refusal(tmp_path, monkeypatch, content, env)
    assert expected in message
    assert "\n" not in message


def _refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str, env: dict[str, str]
) -> str:
    """The one line that stops start-up with this file and these variables."""
    path = tmp_path / "newsbot.toml"
    path.write_text(content, encoding="utf-8")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as stopped:
        load_settings(path)
    return str(stopped.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("NEWSBOT_SLACK__SCOPES", "commands,chat:write"), ("NEWSBOT_FETCH", "{timeout_s: 10")],
)
def test_an_environment_variable_that_is_not_json_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("NEWSBOT_SLACK__MODE", "http")  # a plain string beside it is fine
    with pytest.raises(ConfigError) as stopped:
        load_settings()
    message = str(stopped.value)
    assert message.startswith(f"{name} must be JSON: a list such as") and "\n" not in message


def test_the_database_url_hint_survives_the_masking_of_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", "mysql://db.example/news")
    with pytest.raises(ConfigError) as stopped:
        load_settings()
    shown = redact(str(stopped.value))  # what `newsbot` prints
    assert "postgresql+asyncpg://HOST/DB (USER@HOST to log in as USER)." in shown
    assert "***" not in shown


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_a_folder_or_a_binary_file_as_config_is_one_line(tmp_path: Path) -> None:
    binary = tmp_path / "newsbot.toml"
    binary.write_bytes(b"\xda\xff\x00 not text")
    for path, expected in ((tmp_path, "cannot be read (Is a directory)"), (binary, "not UTF-8")):
        with pytest.raises(ConfigError) as stopped:
            load_settings(path)
        assert f"config file {path} " in str(stopped.value)
        assert expected in str(stopped.value) and "\n" not in str(stopped.value)


@pytest.mark.parametrize(("section", "key"), secret_fields())
def test_secrets_in_the_file_are_refused(tmp_path: Path, section: str, key: str) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text(f'[{section}]\n{key} = "xoxb-not-in-a-file-please"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as stopped:
        load_settings(path)
    message = str(stopped.value)
    assert env_name(section, key) in message
    assert "xoxb-not-in-a-file-please" not in message


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSBOT_DISCORD__TOKEN", "discord-token-value")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-variable")
    settings = load_settings()
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == "discord-token-value"
    assert "discord-token-value" not in repr(settings)
    assert sorted(settings.secret_values()) == ["discord-token-value", "sk-from-openai-variable"]


def test_a_misspelt_top_level_variable_is_named_with_the_likely_spelling() -> None:
    environ = {
        "NEWSBOT_LOGLEVEL": "DEBUG",
        "NEWSBOT_FECTH": "{}",
        "NEWSBOT_COLOUR": "blue",
        "NEWSBOT_LOG_LEVEL": "INFO",  # real settings and names newsbot reads pass quietly
        "NEWSBOT_FETCH__TIMEOUT_S": "5",
        "NEWSBOT_DATABASE_URL": "sqlite+aiosqlite:///x.db",
        "NEWSBOT_CONFIG": "newsbot.toml",
        "NEWSBOT_TEST_POSTGRES_URL": "postgresql+asyncpg://127.0.0.1/test",
        "PATH": "/usr/bin",
    }
    assert unknown_env_warnings(environ) == [
        "NEWSBOT_COLOUR is not a newsbot setting and is ignored; see config/newsbot.example.toml.",
        "NEWSBOT_FECTH is not a newsbot setting and is ignored; did you mean NEWSBOT_FETCH?",
        "NEWSBOT_LOGLEVEL is not a newsbot setting and is ignored; did you mean NEWSBOT_LOG_LEVEL?",
    ]


def test_the_default_max_items_has_the_bound_a_channel_has(tmp_path: Path) -> None:
    path = tmp_path / "newsbot.toml"
    path.write_text(f"[digest]\nmax_items = {MAX_ITEMS}\n", encoding="utf-8")
    assert load_settings(path).digest.max_items == MAX_ITEMS
    path.write_text(f"[digest]\nmax_items = {MAX_ITEMS + 1}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digest\.max_items"):
        load_settings(path)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("postgresql+asyncpg://u:p@ss:w@db.example:5433/news", None),
        ("postgresql+asyncpg://u@[2001:db8::1]:5432/news", None),
        ("postgresql+asyncpg://db.example/news?ssl=require", None),
        ("postgresql+asyncpg://u@[2001:db8::1]:0/news", "the port must be from 1 to 65535"),
        ("postgresql+asyncpg://db.example:5432x?ssl=require", "host:port cannot be read"),
        ("sqlite+aiosqlite:///./data/news:2026.db", None),
    ],
)
def test_database_ports_are_checked_wherever_the_host_part_ends(
    monkeypatch: pytest.MonkeyPatch, url: str, problem: str | None
) -> None:
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", url)
    if problem is None:
        assert load_settings().database.url == url
        return
    with pytest.raises(ConfigError, match=problem):
        load_settings()


@pytest.mark.parametrize(
    ("content", "env", "expected"),
    [
        (
            "",
            {"NEWSBOT_FETCH__TIMEOUT": "10"},
            "NEWSBOT_FETCH__TIMEOUT is not a newsbot setting (fetch.timeout); "
            "did you mean NEWSBOT_FETCH__TIMEOUT_S (fetch.timeout_s)?",
        ),
        (
            "",
            {"NEWSBOT_FECTH__TIMEOUT_S": "10"},
            "NEWSBOT_FECTH__TIMEOUT_S is not a newsbot setting (fecth.timeout_s); "
            "did you mean NEWSBOT_FETCH__TIMEOUT_S (fetch.timeout_s)?",
        ),
        (
            "[fetch]\ntimeout = 10\n",
            {},
            "unknown setting fetch.timeout in newsbot.toml; did you mean fetch.timeout_s?",
        ),
        (
            "[fecth]\ntimeout_s = 10\n",
            {},
            "unknown section [fecth] in newsbot.toml; did you mean [fetch]?",
        ),
        (
            "[fetch]\ncolour = 'blue'\n",
            {},
            "unknown setting fetch.colour in newsbot.toml; "
            "see config/newsbot.example.toml for the settings there are.",
        ),
    ],
)
def test_an_unknown_setting_stops_start_up_with_the_likely_spelling(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str,
    env: dict[str, str],
    expected: str,
) -> None:
    refusal = _refusal(tmp_path, monkeypatch, content, env)
    assert refusal == expected.replace("newsbot.toml", str(tmp_path / "newsbot.toml"))
