"""`newsbot channels list|resume|remove`: the chat channels newsbot posts to.

A channel whose platform refuses every post (a deleted Discord channel, an archived Slack
channel) is paused by the outbox: no digest is built for it. Once the channel takes posts
again an operator resumes it; a channel that is gone for good is removed.
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.table import Table

from bot.channels.timing import next_digest_at, parse_time, parse_zone
from bot.cli.feeds_cmd import console, database, is_id
from bot.clock import utc_now
from bot.config import Settings
from bot.errors import BadInput
from bot.store import channels as channel_store
from bot.store.channels import Channel
from bot.store.db import Database


def register(subparsers: Any) -> None:
    """Add `channels` to the `newsbot` command line."""
    channels = subparsers.add_parser(
        "channels", help="list, resume and remove the chat channels newsbot posts to"
    )
    actions = channels.add_subparsers(dest="channels_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="list channels, paused ones with the reason")
    listing.set_defaults(handler=run_channels_list)
    resume = actions.add_parser("resume", help="build digests again for a paused channel")
    resume.add_argument("channel", metavar="ID")
    resume.set_defaults(handler=run_channels_resume)
    remove = actions.add_parser(
        "remove", help="remove a channel with its subscriptions and digests"
    )
    remove.add_argument("channel", metavar="ID")
    remove.set_defaults(handler=run_channels_remove)


async def _find_channel(db: Database, ref: str) -> Channel:
    ref = ref.strip()
    found = None
    if is_id(ref) and int(ref) < 2**63:
        async with db.session() as session:
            found = await channel_store.channel_by_id(session, int(ref))
    if found is None:
        raise BadInput(
            f"there is no channel with id {ref[:40]!r}; `newsbot channels list` shows them."
        )
    return found


def _state(channel: Channel) -> str:
    if channel.paused_at is not None:
        return f"paused since {channel.paused_at:%Y-%m-%d %H:%M}"
    return "digests on" if channel.digest_enabled else "digests off"


async def run_channels_list(args: argparse.Namespace, settings: Settings) -> int:
    """Every channel, its digest time and whether it is paused (and why)."""
    async with database(settings) as db, db.session() as session:
        channels = await channel_store.all_channels(session)
    out = console()
    if not channels:
        out.print("No channels yet; a channel appears when it first uses the bot.")
        return 0
    table = Table(title=f"{len(channels)} channels")
    for column in ("id", "channel", "subscriptions", "digest", "state"):
        table.add_column(column, no_wrap=True)
    table.add_column("why paused", overflow="fold")
    for channel, subscriptions in channels:
        table.add_row(
            str(channel.id),
            channel.where.key,
            str(subscriptions),
            f"{channel.digest_time} {channel.timezone}",
            _state(channel),
            channel.paused_reason,
        )
    out.print(table)
    return 0


async def run_channels_resume(args: argparse.Namespace, settings: Settings) -> int:
    """Take a channel out of pause; its next digest is at its usual time."""
    async with database(settings) as db:
        channel = await _find_channel(db, args.channel)
        if channel.paused_at is None:
            console().print(f"Channel {channel.id} ({channel.where.key}) is not paused.")
            return 0
        following = next_digest_at(
            utc_now(), parse_time(channel.digest_time), parse_zone(channel.timezone)
        )
        async with db.session() as session:
            await channel_store.resume_channel(
                session, channel.id, following if channel.digest_enabled else None
            )
    when = (
        f"its next digest is at {following:%Y-%m-%d %H:%M} UTC"
        if channel.digest_enabled
        else "its digests are off (`settings digest=on` in the channel turns them on)"
    )
    console().print(f"Resumed channel {channel.id} ({channel.where.key}); {when}.")
    return 0


async def run_channels_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove a channel, its subscriptions, digests and pending posts."""
    async with database(settings) as db:
        channel = await _find_channel(db, args.channel)
        async with db.session() as session:
            await channel_store.remove_channel(session, channel.id)
    console().print(
        f"Removed channel {channel.id} ({channel.where.key}) with its subscriptions and digests."
    )
    return 0
