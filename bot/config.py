"""Settings: a TOML file plus NEWSBOT_* environment variables; secrets only from the environment.

Nested settings are set from the environment with a double underscore, e.g.
`NEWSBOT_FETCH__TIMEOUT_S=10`. `NEWSBOT_DATABASE_URL` sets `database.url`.
Every setting is documented in `config/newsbot.example.toml`.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from bot.errors import ConfigError

SummariserMode = Literal["auto", "llm", "extractive"]

# The most stories one digest may hold: the default here and each channel's own max_items
# setting (and the range the adapters offer for it) share this one bound.
MAX_ITEMS = 25

# Keys that hold credentials: refused in the TOML file so secrets never land in a repository.
SECRET_KEYS = {"api_key", "token", "bot_token", "app_token", "signing_secret", "client_secret"}


class _Section(BaseModel):
    # A misspelt key in a section must stop start-up, not be silently ignored.
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = Field(
        "sqlite+aiosqlite:///newsbot.db",
        description="SQLAlchemy URL, e.g. sqlite+aiosqlite:///newsbot.db or "
        "postgresql+asyncpg://user@host/db",
    )
    retention_days: int = Field(
        30,
        ge=0,
        le=36500,
        description="days articles, digests, sent posts and LLM usage are kept (at least what "
        "a digest still needs); 0 = keep everything",
    )

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://", "postgresql://")):
            # No "//USER@" in the hint: the CLI masks that as a credential ("//***@").
            raise ValueError(
                "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://HOST/DB "
                "(USER@HOST to log in as USER)"
            )
        if value.startswith("postgresql://"):
            value = "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        _check_port(value)
        return value


def _check_port(url: str) -> None:
    """Refuse a port the driver would crash on (e.g. 99999 raises OverflowError in connect).

    Read here rather than with SQLAlchemy's URL parser, which only `bot/store` uses.
    """
    address = re.split(r"[/?]", url.partition("://")[2], maxsplit=1)[0]
    host = address.rpartition("@")[2]
    if host.startswith("["):  # [IPv6 address]:port
        host = host.partition("]")[2]
    _, colon, port = host.rpartition(":")
    if not colon or not port:
        return
    if not (port.isascii() and port.isdigit()):
        raise ValueError("its host:port cannot be read; give HOST or HOST:PORT")
    if not 1 <= int(port) <= 65535:
        raise ValueError("the port must be from 1 to 65535")


class FetchSettings(_Section):
    timeout_s: float = Field(
        20.0, gt=0, le=300, description="total deadline per request, body included"
    )
    max_bytes: int = Field(
        15 * 1024 * 1024, gt=1024, description="body cap, counted after decompression"
    )
    max_redirects: int = Field(5, ge=0, le=20, description="redirect hops, each re-checked")
    per_host_connections: int = Field(2, ge=1, le=32, description="concurrent requests per host")
    total_connections: int = Field(100, ge=1, le=1000, description="concurrent requests in all")
    poll_interval_s: int = Field(900, ge=60, description="default time between polls of a feed")
    backoff_base_s: int = Field(
        300, ge=1, description="first wait after a failure; doubles each time"
    )
    backoff_max_s: int = Field(86400, ge=60, description="longest wait between failed polls")
    disable_after_failures: int = Field(
        10, ge=1, description="consecutive failures that disable a feed"
    )
    allow_private_addresses: bool = Field(
        False, description="allow loopback/private feed hosts (tests and trusted setups only)"
    )
    full_text: bool = Field(False, description="fetch the linked page for teaser-only feeds")
    user_agent: str = Field("newsbot/0.1 (+https://github.com/newsbot/newsbot)", min_length=3)
    parse_workers: int = Field(0, ge=0, le=64, description="parser processes; 0 = one per core")
    max_article_chars: int = Field(
        100_000, ge=1000, le=10_000_000, description="an article's text is cut to this length"
    )
    max_items_per_poll: int = Field(
        1000, ge=1, le=100_000, description="newest items kept from one poll of a feed"
    )


class DigestSettings(_Section):
    max_items: int = Field(8, ge=1, le=MAX_ITEMS, description="stories per digest")
    default_time: str = Field("08:00", description="local HH:MM of a new channel's daily digest")
    default_timezone: str = Field(
        "UTC", description="IANA zone of a new channel, e.g. Europe/Berlin"
    )
    window_hours: int = Field(24, ge=1, le=24 * 14, description="how far back a digest looks")
    summariser: SummariserMode = Field("auto", description="auto | llm | extractive")
    seeds_dir: str = Field(
        "", description="folder of local feeds for `newsbot digest`; empty = bundled seeds"
    )

    @field_validator("default_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        parts = value.split(":")
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if len(parts) != 2 or not all(p.isdecimal() for p in parts):
            raise ValueError("use 24-hour HH:MM, e.g. 08:00")
        hour, minute = int(parts[0]), int(parts[1])
        if not (0 <= hour < 24 and 0 <= minute < 60):
            raise ValueError("use 24-hour HH:MM, e.g. 08:00")
        return f"{hour:02d}:{minute:02d}"

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError("use an IANA time zone name such as Europe/Berlin") from error
        return value


class LlmSettings(_Section):
    base_url: str | None = Field(
        None, description="OpenAI-compatible server; falls back to OPENAI_BASE_URL"
    )
    model: str = Field("gpt-4o-mini", min_length=1)
    api_key: SecretStr | None = Field(
        None, description="env only: NEWSBOT_LLM__API_KEY or OPENAI_API_KEY"
    )
    timeout_s: float = Field(20.0, gt=0, le=600, description="per call")
    max_retries: int = Field(1, ge=0, le=5)
    digest_budget_s: float = Field(60.0, gt=0, description="total LLM time for one digest")
    daily_token_budget: int = Field(
        200_000, ge=0, description="tokens per channel/server per day; 0 = none"
    )
    response_format: Literal["auto", "json_schema", "json_object"] = "auto"
    probe_timeout_s: float = Field(3.0, gt=0, le=60, description="`auto` reachability probe")
    max_tokens: int = Field(500, ge=50, le=8192, description="longest reply per call")
    temperature: float = Field(0.0, ge=0, le=2)
    max_article_chars: int = Field(2500, ge=200, description="article text sent per article")
    concurrency: int = Field(2, ge=1, le=16, description="calls in flight per digest")
    min_coverage: float = Field(
        0.75, ge=0, le=1, description="share of a sentence's content words its sources must hold"
    )
    prompts_dir: str = Field("", description="folder of prompt templates; empty = bundled")
    system_role: bool = Field(
        True,
        description="send the rules as a system message; false puts them at the top of the "
        "user message, for models without a system role (e.g. Gemma on llama.cpp)",
    )
    verify: bool = Field(
        False,
        description="one more LLM call per summary or answer, asking the model whether each "
        "sentence is supported by the passage it cites, before the code check",
    )

    @model_validator(mode="after")
    def _sdk_variables(self) -> LlmSettings:
        # The openai SDK's own variables configure the LLM when newsbot's are unset (or empty),
        # so a server set up for other OpenAI tools works here too.
        if self.api_key is None or not self.api_key.get_secret_value():
            key = os.environ.get("OPENAI_API_KEY")
            self.api_key = SecretStr(key) if key else None
        if not self.base_url:
            self.base_url = os.environ.get("OPENAI_BASE_URL") or None
        return self


class DiscordSettings(_Section):
    token: SecretStr | None = Field(None, description="env only: NEWSBOT_DISCORD__TOKEN")
    dev_guild_id: int | None = Field(None, description="sync commands to this guild only (instant)")
    sharded: bool = Field(False, description="use AutoShardedClient (from about 1,000 servers)")
    shard_count: int | None = Field(None, ge=1)
    shard_ids: list[int] | None = Field(
        None, description="the shards this gateway process runs (several processes: split them)"
    )
    sync_commands: bool = Field(True, description="register /news with Discord on start")
    message_content_intent: bool = Field(
        False, description="privileged; not needed: mentions of the bot carry their text anyway"
    )
    guild_ready_timeout_s: float = Field(2.0, gt=0, le=60, description="wait for servers at start")
    max_ratelimit_wait_s: float = Field(
        30.0, ge=30, le=3600, description="longer 429 waits fail the post; the outbox retries it"
    )
    requests_per_second: float = Field(40.0, gt=0, le=50, description="digest posting pace")
    history_scan: int = Field(
        100, ge=10, le=1000, description="messages searched for an earlier post"
    )

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordSettings:
        if self.shard_ids is not None and (
            self.shard_count is None or any(not 0 <= i < self.shard_count for i in self.shard_ids)
        ):
            raise ValueError("shard_ids needs shard_count, and each id from 0 to shard_count - 1")
        return self


class SlackSettings(_Section):
    bot_token: SecretStr | None = Field(
        None, description="env only: xoxb- token (single workspace)"
    )
    app_token: SecretStr | None = Field(None, description="env only: xapp- token (Socket Mode)")
    signing_secret: SecretStr | None = Field(None, description="env only (HTTP mode)")
    client_id: str | None = None
    client_secret: SecretStr | None = Field(None, description="env only (OAuth install)")
    mode: Literal["socket", "http"] = "socket"
    port: int = Field(3000, ge=0, le=65535, description="HTTP mode port; 0 = any free port")
    admin_usergroup: str | None = Field(
        None, description="user group allowed to manage, besides admins"
    )
    host: str = Field("127.0.0.1", description="HTTP mode address; put a TLS proxy in front")
    events_path: str = Field("/slack/events", description="HTTP mode: Events/commands URL path")
    install_path: str = Field("/slack/install", description="OAuth: install page path")
    redirect_uri_path: str = Field("/slack/oauth_redirect", description="OAuth: callback path")
    redirect_uri: str | None = Field(None, description="OAuth: full public callback URL")
    authorization_url: str = Field(
        "https://slack.com/oauth/v2/authorize", description="OAuth: Slack's authorize page"
    )
    oauth_state_expiration_s: int = Field(600, ge=60, le=3600, description="OAuth state life")
    scopes: list[str] = Field(
        default=[
            "commands",
            "chat:write",
            "app_mentions:read",
            "channels:history",
            "groups:history",
            "im:history",
            "channels:read",
            "groups:read",
            "users:read",
            "usergroups:read",
        ],
        description="bot scopes asked for when a workspace installs newsbot",
    )
    api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL (tests: a local fake)"
    )
    post_interval_s: float = Field(
        1.0, ge=0, le=60, description="least time between two posts in one channel"
    )
    rate_limit_retries: int = Field(3, ge=0, le=10, description="retries of a 429, as told")


class SchedulerSettings(_Section):
    tick_s: float = Field(30.0, gt=0, le=3600, description="how often the bot asks what is due")
    delivery_lease_s: float = Field(
        60.0,
        ge=1,
        le=3600,
        description="how long a post being delivered is hidden from retries; renewed while "
        "the platform call lasts",
    )
    poll_deadline_s: float = Field(
        300.0, ge=10, le=3600, description="longest poll pass; unfinished feeds are polled later"
    )


class WorkersSettings(_Section):
    """Scale-out on PostgreSQL: `newsbot worker` and `newsbot run --distributed`."""

    concurrency: int = Field(4, ge=1, le=256, description="jobs one worker process runs at once")
    batch: int = Field(50, ge=1, le=5000, description="feeds or channels in one deferred job")
    claim_s: float = Field(
        600.0,
        ge=10,
        le=86400,
        description="a feed or channel handed to a job is not due again "
        "for this long (unless the job finishes first)",
    )
    heartbeat_s: float = Field(10.0, gt=0, le=600, description="how often a worker says alive")
    stalled_after_s: float = Field(
        30.0, gt=0, le=3600, description="a job whose worker is silent this long is retried"
    )
    sender_wait_s: float = Field(
        1.0, gt=0, le=60, description="how often a waiting sender asks for its platform's lock"
    )
    sender_concurrency: int = Field(
        64,
        ge=1,
        le=1024,
        description="posts a sender has in flight; its poster keeps the platform's pace",
    )


class WebhookSettings(_Section):
    """The endpoint of `newsbot run --webhook` and `newsbot worker --send webhook`."""

    posts_per_second: float = Field(
        0.0, ge=0, le=10000, description="the endpoint's rate limit; 0 = unpaced (Retry-After only)"
    )


class OpsSettings(_Section):
    """/metrics, /healthz and /readyz of each process (`newsbot run`, `newsbot worker`)."""

    enabled: bool = Field(False, description="serve the metrics and health endpoints")
    host: str = Field(
        "127.0.0.1", description="address they listen on; only the operator's machine by default"
    )
    port: int = Field(9464, ge=0, le=65535, description="their port; 0 = any free port (logged)")
    keep_failed_jobs_h: int = Field(
        168,
        ge=0,
        le=24 * 365,
        description="PostgreSQL workers: a failed job is kept this many hours, then removed",
    )


class WebSettings(_Section):
    host: str = Field(
        "127.0.0.1", description="dashboard address; any other needs a Discord or Slack login"
    )
    port: int = Field(8080, ge=0, le=65535, description="dashboard port; 0 = any free port")
    public_url: str | None = Field(
        None, description="the dashboard's address as browsers reach it (OAuth callbacks)"
    )
    session_secret: SecretStr | None = Field(
        None, description="env only: NEWSBOT_WEB__SESSION_SECRET; unset = new at each start"
    )
    session_max_age_s: int = Field(
        3600, ge=60, le=7 * 86400, description="a login lasts this long; rights re-read every 5 min"
    )
    discord_client_id: str | None = None
    discord_client_secret: SecretStr | None = Field(
        None, description="env only: NEWSBOT_WEB__DISCORD_CLIENT_SECRET"
    )
    discord_url: str = Field("https://discord.com", description="Discord (tests: a local fake)")
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = Field(
        None, description="env only: NEWSBOT_WEB__SLACK_CLIENT_SECRET"
    )
    slack_openid_configuration: str = Field(
        "https://slack.com/.well-known/openid-configuration",
        description="Sign in with Slack discovery document (tests: a local fake)",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="NEWSBOT_", env_nested_delimiter="__", extra="forbid"
    )

    database: DatabaseSettings = DatabaseSettings()
    fetch: FetchSettings = FetchSettings()
    digest: DigestSettings = DigestSettings()
    # Built per Settings, so the SDK variables are read when settings are, not at import.
    llm: LlmSettings = Field(default_factory=LlmSettings)
    discord: DiscordSettings = DiscordSettings()
    slack: SlackSettings = SlackSettings()
    scheduler: SchedulerSettings = SchedulerSettings()
    workers: WorkersSettings = WorkersSettings()
    webhook: WebhookSettings = WebhookSettings()
    web: WebSettings = WebSettings()
    ops: OpsSettings = OpsSettings()
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def secret_values(self) -> list[str]:
        """Every configured secret, so logging can mask each one wherever it appears."""
        values = []
        for section, key in secret_fields():
            secret = getattr(getattr(self, section), key)
            if secret is not None and secret.get_secret_value():
                values.append(secret.get_secret_value())
        return values

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file (init kwargs carry the TOML contents).
        return (env_settings, init_settings)


def secret_fields() -> list[tuple[str, str]]:
    """(section, key) of every setting typed as a secret: these come from the environment only."""
    found = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for key, inner in model.model_fields.items():
            if SecretStr in (inner.annotation, *get_args(inner.annotation)):
                found.append((section, key))
    return found


def env_name(section: str, key: str) -> str:
    """The environment variable that sets `section.key`, e.g. NEWSBOT_LLM__API_KEY."""
    return f"NEWSBOT_{section.upper()}__{key.upper()}"


def _refuse_file_secrets(data: dict[str, Any], path: Path, prefix: str = "") -> None:
    secret_paths = {f"{section}.{key}" for section, key in secret_fields()}
    for key, value in data.items():
        if isinstance(value, dict):
            _refuse_file_secrets(value, path, f"{prefix}{key}.")
        elif (key in SECRET_KEYS or f"{prefix}{key}" in secret_paths) and value:
            env = f"NEWSBOT_{prefix.upper().replace('.', '__')}{key.upper()}"
            raise ConfigError(
                f"{path}: {prefix}{key} is a secret and is not read from files; "
                f"remove it and set the environment variable {env} instead."
            )


def _json_env_names() -> list[str]:
    """Variables whose value is read as JSON: a whole section (NEWSBOT_FETCH) or a list."""
    names = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        names.append(f"NEWSBOT_{section.upper()}")
        names += [
            env_name(section, key)
            for key, inner in model.model_fields.items()
            if get_origin(inner.annotation) in (list, dict)
        ]
    return names


def _bad_json_env() -> ConfigError:
    """The environment variable(s) pydantic-settings could not decode, and the form it wants."""
    environ = {name.upper(): value for name, value in os.environ.items()}
    bad = []
    for name in _json_env_names():
        if name in environ:
            try:
                json.loads(environ[name])
            except ValueError:
                bad.append(name)
    which = " and ".join(bad) or "a NEWSBOT_* environment variable"
    return ConfigError(
        f'{which} must be JSON: a list such as ["commands", "chat:write"], or for a whole '
        'section an object such as {"timeout_s": 10}.'
    )


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "settings"
    if first["type"] == "extra_forbidden":
        return (
            f"unknown setting {where}; see config/newsbot.example.toml for the settings there are."
        )
    if first["type"] == "model_type":  # pydantic would name our class ("FetchSettings")
        return (
            f"invalid setting {where} ({first.get('input')!r}): it is a section; write its "
            f"settings under [{where}] in the file, or as NEWSBOT_{where.upper()}__KEY variables."
        )
    message = first["msg"].removeprefix("Value error, ")
    return f"invalid setting {where} ({first.get('input')!r}): {message}."


# NEWSBOT_* names that are not settings fields but are read all the same.
_OTHER_ENV_NAMES = ("NEWSBOT_CONFIG", "NEWSBOT_DATABASE_URL")
_TEST_ENV_PREFIX = "NEWSBOT_TEST_"  # the test suite's own (e.g. NEWSBOT_TEST_POSTGRES_URL)


def unknown_env_warnings(environ: Mapping[str, str] | None = None) -> list[str]:
    """One sentence per NEWSBOT_* variable newsbot does not read, with the likely spelling.

    A misspelt section variable (NEWSBOT_FECTH__TIMEOUT_S) is refused by the settings model;
    a misspelt top-level one (NEWSBOT_LOGLEVEL) would otherwise be ignored without a word.
    """
    environ = os.environ if environ is None else environ
    fields = [f"NEWSBOT_{name.upper()}" for name in Settings.model_fields]
    known = [*fields, *_OTHER_ENV_NAMES]
    warnings = []
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("NEWSBOT_") or upper.startswith(_TEST_ENV_PREFIX):
            continue
        if upper in _OTHER_ENV_NAMES or upper.split("__", 1)[0] in fields:
            continue
        # Compared without the shared prefix, which would make every name look alike.
        suffixes = {name.removeprefix("NEWSBOT_"): name for name in known}
        guess = difflib.get_close_matches(upper.removeprefix("NEWSBOT_"), suffixes, 1, 0.75)
        hint = (
            f"; did you mean {suffixes[guess[0]]}?"
            if guess
            else "; see config/newsbot.example.toml."
        )
        warnings.append(f"{name} is not a newsbot setting and is ignored{hint}")
    return warnings


def _sections() -> dict[str, type[BaseModel]]:
    """Each settings section by name (fetch, digest, ...) with its model."""
    found: dict[str, type[BaseModel]] = {}
    for name, field in Settings.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            found[name] = model
    return found


def _likely(name: str, choices: list[str]) -> str | None:
    """The choice `name` is most likely a misspelling of, if one is close enough."""
    guess = difflib.get_close_matches(name.lower(), choices, 1, 0.6)
    return guess[0] if guess else None


_SEE_EXAMPLE = "see config/newsbot.example.toml for the settings there are."


def _check_file_keys(data: Mapping[str, Any], path: Path) -> None:
    """Refuse a key or section the settings do not have, naming the likely spelling."""
    sections = _sections()
    for key, value in data.items():
        if key in Settings.model_fields and not (key in sections and isinstance(value, dict)):
            continue  # a value where a section belongs is explained by _describe
        if key in sections:
            unknown = [k for k in value if k not in sections[key].model_fields]
            if unknown:
                guess = _likely(unknown[0], list(sections[key].model_fields))
                hint = f"did you mean {key}.{guess}?" if guess else _SEE_EXAMPLE
                raise ConfigError(f"unknown setting {key}.{unknown[0]} in {path}; {hint}")
            continue
        if isinstance(value, dict):
            guess = _likely(key, list(sections))
            hint = f"did you mean [{guess}]?" if guess else _SEE_EXAMPLE
            raise ConfigError(f"unknown section [{key}] in {path}; {hint}")
        guess = _likely(key, list(Settings.model_fields))
        hint = f"did you mean {guess}?" if guess else _SEE_EXAMPLE
        raise ConfigError(f"unknown setting {key} in {path}; {hint}")


def _check_env_keys(environ: Mapping[str, str]) -> None:
    """Refuse NEWSBOT_SECTION__KEY variables that set nothing, naming the likely spelling.

    Such a variable is meant as a setting (the double underscore says so), so ignoring it
    would leave the operator with a value they did not choose.
    """
    sections = _sections()
    for name in sorted(environ):
        upper = name.upper()
        if not upper.startswith("NEWSBOT_") or "__" not in upper:
            continue
        if upper.startswith(_TEST_ENV_PREFIX):
            continue
        section, _, key = upper.removeprefix("NEWSBOT_").lower().partition("__")
        if section in sections and key in sections[section].model_fields:
            continue
        meant_section = section if section in sections else _likely(section, list(sections))
        meant_key = None
        if meant_section is not None:
            fields = list(sections[meant_section].model_fields)
            meant_key = key if key in fields else _likely(key, fields)
        hint = (
            f"did you mean {env_name(meant_section, meant_key)} ({meant_section}.{meant_key})?"
            if meant_section is not None and meant_key is not None
            else _SEE_EXAMPLE
        )
        raise ConfigError(f"{name} is not a newsbot setting ({section}.{key}); {hint}")


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings from `path` (or $NEWSBOT_CONFIG, if set) and the environment.

    Raises ConfigError with one line naming the setting and the fix.
    """
    file_data: dict[str, Any] = {}
    chosen = path or os.environ.get("NEWSBOT_CONFIG")
    if chosen:
        config_path = Path(chosen)
        try:
            file_data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"config file {config_path} does not exist; check the path."
            ) from None
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"config file {config_path} is not valid TOML: {error}.") from None
        except UnicodeDecodeError:
            raise ConfigError(
                f"config file {config_path} is not UTF-8 text; give a TOML settings file."
            ) from None
        except OSError as error:  # a folder, no permission...
            raise ConfigError(
                f"config file {config_path} cannot be read ({error.strerror}); check the path."
            ) from None
        _refuse_file_secrets(file_data, config_path)
        _check_file_keys(file_data, config_path)
    _check_env_keys(os.environ)
    # NEWSBOT_DATABASE_URL is the documented spelling; map it onto database.url.
    env_db = os.environ.get("NEWSBOT_DATABASE_URL")
    if env_db:
        file_data.setdefault("database", {})["url"] = env_db
    try:
        settings = Settings(**file_data)
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None
    except SettingsError:  # a list or section variable that is not JSON
        raise _bad_json_env() from None
    return settings
