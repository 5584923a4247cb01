"""`newsbot db prune`: apply the retention setting now and say what went.

The running bot prunes on its own every hour; this is for a bot that is not running, for a
first clean-up after enabling retention, or for a one-off shorter period (`--days`).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

from bot.cli.worker_cmd import add_upgrade_action
from bot.clock import utc_now
from bot.config import Settings
from bot.store.db import open_database
from bot.store.retention import PruneReport, RetentionPolicy, prune

_LONGEST_DAYS = 36500


def register(subparsers: Any) -> None:
    """Add `db` to the `newsbot` command line."""
    db = subparsers.add_parser("db", help="database maintenance (schema upgrade, retention)")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    pruning = actions.add_parser(
        "prune",
        help="remove old articles, digests, sent posts and LLM usage now",
        description="Remove what database.retention_days lets go (or --days), in small "
        "batches, and report it. A post still waiting to be delivered, and anything a digest "
        "still needs (its window, what `ask` looks back on), is never removed.",
    )
    pruning.add_argument(
        "--days",
        type=_days,
        metavar="N",
        help="keep N days this time instead of database.retention_days",
    )
    pruning.set_defaults(handler=run_db_prune)
    add_upgrade_action(actions)


def _days(value: str) -> int:
    """A whole number of days from 1 to 36500; an argparse `type=`."""
    if not value.strip().isdecimal() or not 1 <= int(value) <= _LONGEST_DAYS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a number of days; give a whole number from 1 to {_LONGEST_DAYS}"
        )
    return int(value)


async def run_db_prune(args: argparse.Namespace, settings: Settings) -> int:
    policy = RetentionPolicy.from_settings(settings)
    if args.days is not None:
        policy = replace(policy, keep_days=args.days)
    if not policy.enabled:
        print(
            "Retention is off (database.retention_days = 0): nothing was removed. "
            "Give --days N to prune once."
        )
        return 0
    db = await open_database(settings.database.url)
    try:
        report = await prune(db, policy, now=utc_now())
    finally:
        await db.close()
    print(describe(report))
    return 0


def describe(report: PruneReport) -> str:
    """One sentence: what went, and from which moment on things were kept."""
    since = f"{report.cutoff:%Y-%m-%d %H:%M} UTC"
    if report.total == 0:
        return f"Nothing to remove: everything stored is from after {since}."
    return (
        f"Removed {report.articles:,} articles, {report.digests:,} digests, "
        f"{report.outbox_rows:,} delivered or abandoned posts and {report.usage_rows:,} "
        f"LLM usage counters from before {since}."
    )
