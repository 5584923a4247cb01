"""`newsbot config show`: the settings in effect, secrets masked, and where each came from.

The order of precedence is the loader's: an environment variable, then the TOML file, then
the default. Secrets only say whether they are set; credentials in URLs are masked.
"""

from __future__ import annotations

import argparse
import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from bot.cli.feeds_cmd import console
from bot.config import Settings, env_name
from bot.logs import redact

# Settings the openai SDK's own variables fill when newsbot's are unset (bot/config.py).
_SDK_VARIABLES = {("llm", "api_key"): "OPENAI_API_KEY", ("llm", "base_url"): "OPENAI_BASE_URL"}


def register(subparsers: Any) -> None:
    """Add `config` to the `newsbot` command line."""
    config = subparsers.add_parser("config", help="show the settings in effect")
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="every setting, its value (secrets masked) and where it came from",
        description="Every setting with its value and its source: default, file:PATH or "
        "environment:VARIABLE. Secrets only say whether they are set.",
    )
    show.set_defaults(handler=run_config_show)


def _file_data(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The config file's path and contents (load_settings has already checked both)."""
    chosen = args.config or os.environ.get("NEWSBOT_CONFIG")
    if not chosen:
        return "", {}
    return str(chosen), tomllib.loads(Path(chosen).read_text(encoding="utf-8"))


def _environment() -> dict[str, str]:
    return {name.upper(): value for name, value in os.environ.items() if value}


def _env_source(section: str, key: str, environ: Mapping[str, str]) -> str | None:
    """The variable that set `section.key`, if one did."""
    if (section, key) == ("database", "url") and "NEWSBOT_DATABASE_URL" in environ:
        return "NEWSBOT_DATABASE_URL"
    if env_name(section, key) in environ:
        return env_name(section, key)
    whole = environ.get(f"NEWSBOT_{section.upper()}")
    if whole is not None:
        try:
            if key in json.loads(whole):
                return f"NEWSBOT_{section.upper()}"
        except (ValueError, TypeError):
            pass
    sdk = _SDK_VARIABLES.get((section, key))
    return sdk if sdk is not None and sdk in environ else None


def _shown(value: Any) -> str:
    if isinstance(value, SecretStr):
        return "(secret, set)" if value.get_secret_value() else "(not set)"
    if value is None:
        return "(not set)"
    if isinstance(value, list):
        return redact(json.dumps(value))
    return redact(str(value))


def setting_rows(
    settings: Settings, file_path: str, file_data: Mapping[str, Any], environ: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """(setting, value as shown, source) for every setting, in the model's order."""
    rows = []
    for section, field in Settings.model_fields.items():
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            variable = f"NEWSBOT_{section.upper()}"
            source = (
                f"environment:{variable}"
                if variable in environ
                else f"file:{file_path}"
                if section in file_data
                else "default"
            )
            rows.append((section, _shown(getattr(settings, section)), source))
            continue
        in_file = file_data.get(section, {})
        for key in model.model_fields:
            found = _env_source(section, key, environ)
            if found is not None:
                source = f"environment:{found}"
            elif isinstance(in_file, dict) and key in in_file:
                source = f"file:{file_path}"
            else:
                source = "default"
            rows.append(
                (f"{section}.{key}", _shown(getattr(getattr(settings, section), key)), source)
            )
    return rows


async def run_config_show(args: argparse.Namespace, settings: Settings) -> int:
    """Print `setting  value  source`, one setting a line."""
    file_path, file_data = _file_data(args)
    rows = setting_rows(settings, file_path, file_data, _environment())
    name_width = max(len(name) for name, _, _ in rows)
    value_width = min(max(len(value) for _, value, _ in rows), 60)
    out = console()
    for name, value, source in rows:
        out.print(f"{name:<{name_width}}  {value:<{value_width}}  {source}", markup=False)
    return 0
