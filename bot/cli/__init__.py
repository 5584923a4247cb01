"""The `newsbot` command line. Each group of subcommands lives in its own module here."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from bot import __version__
from bot.cli import (
    channels_cmd,
    config_cmd,
    db_cmd,
    digest_cmd,
    feeds_cmd,
    run_cmd,
    status_cmd,
    web_cmd,
    worker_cmd,
)
from bot.config import Settings, load_settings, unknown_env_warnings
from bot.errors import NewsbotError
from bot.logs import redact, setup_logging

# A subcommand handler gets the parsed arguments and the loaded settings, returns an exit code.
Handler = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]
# Each module adds its subcommands with `register(subparsers)`; a new group is one more here.
SUBCOMMANDS = (
    digest_cmd,
    feeds_cmd,
    run_cmd,
    worker_cmd,
    channels_cmd,
    config_cmd,
    web_cmd,
    db_cmd,
    status_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Neutral news digests that name their sources, for Discord and Slack.",
    )
    parser.add_argument("--config", help="TOML settings file (default: $NEWSBOT_CONFIG)")
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in SUBCOMMANDS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `newsbot` console script."""
    parser = build_parser()
    return run_parsed(parser.parse_args(argv))


def run_parsed(args: argparse.Namespace) -> int:
    """Load settings, set up logging and run the chosen subcommand; returns the exit code.

    A `NewsbotError` becomes one sentence on stderr and exit code 2; anything else is a bug,
    logged with its traceback (secrets redacted), exit code 1.
    """
    try:
        settings = load_settings(args.config)
        setup_logging(settings.log_level, secrets=settings.secret_values())
        for warning in unknown_env_warnings():
            logging.getLogger("newsbot.config").warning("%s", warning)
        handler: Handler = args.handler
        return asyncio.run(handler(args, settings))
    except NewsbotError as error:
        print(f"newsbot: {redact(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:  # a bug: log it (secrets redacted) and say so in one line
        logging.getLogger("newsbot").exception("unexpected error")
        print("newsbot: unexpected error (details in the log above).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
