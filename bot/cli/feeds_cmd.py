"""`newsbot feeds add|list|remove|enable|disable|import-opml|export-opml`, `newsbot fetch`,
`newsbot articles`.

These are operator commands: feeds added here may be local files (that is how the bundled
seeds are read), while feeds added from chat are http(s) only. An http(s) feed is fetched
once when added, as chat `/subscribe` does, by the same probe. Every failure is one
sentence on stderr and a non-zero exit code (see `bot.cli.main`).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from bot.app import build_app
from bot.cli.args import parse_duration
from bot.clock import utc_now
from bot.config import Settings
from bot.errors import BadInput, FeedError
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import check_url
from bot.feeds.opml import OpmlFeed, read_opml, write_opml
from bot.feeds.poll import PollOutcome
from bot.feeds.probe import OpmlListing, probe_and_store
from bot.feeds.urls import display_url
from bot.store.articles import ArticleStore
from bot.store.db import Database, open_database
from bot.store.feeds import Backoff, Feed, FeedStore


def register(subparsers: Any) -> None:
    """Add `feeds`, `fetch` and `articles` to the `newsbot` command line."""
    feeds = subparsers.add_parser("feeds", help="add, list and remove the feeds newsbot polls")
    actions = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a feed (http(s) URL or local file)")
    add.add_argument("url", metavar="URL", help="feed URL, or the path of a local feed file")
    add.add_argument("--outlet", default="", help="outlet name shown in digests (default: title)")
    add.add_argument(
        "--interval",
        type=parse_duration,
        metavar="DURATION",
        help="time between polls, e.g. 15m or 1h (default: fetch.poll_interval_s)",
    )
    add.add_argument(
        "--no-check",
        action="store_true",
        help="store the URL without fetching it first (it is polled at the next fetch)",
    )
    add.set_defaults(handler=run_feeds_add)

    listing = actions.add_parser("list", help="list feeds with their health")
    listing.set_defaults(handler=run_feeds_list)

    remove = actions.add_parser("remove", help="remove a feed (its articles stay)")
    remove.add_argument("feed", metavar="URL|ID")
    remove.set_defaults(handler=run_feeds_remove)

    enable = actions.add_parser("enable", help="re-enable a feed disabled after failures")
    enable.add_argument("feed", metavar="URL|ID")
    enable.set_defaults(handler=run_feeds_enable)

    disable = actions.add_parser("disable", help="stop polling a feed, keeping a reason")
    disable.add_argument("feed", metavar="URL|ID")
    disable.add_argument(
        "--reason", default="", help="why, shown by `feeds list` (default: disabled by hand)"
    )
    disable.set_defaults(handler=run_feeds_disable)

    opml = actions.add_parser("import-opml", help="add every feed listed in an OPML file")
    opml.add_argument("source", metavar="FILE|URL")
    opml.set_defaults(handler=run_feeds_import_opml)

    export = actions.add_parser(
        "export-opml", help="write every feed as OPML (to stdout, or --output FILE)"
    )
    export.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(handler=run_feeds_export_opml)

    fetch = subparsers.add_parser(
        "fetch",
        help="poll the feeds that are due now",
        description="Poll the feeds whose next poll time has come (with --all, every enabled "
        "feed not backing off after failures; with --force, those too), store what is new "
        "and show a table of new, unchanged and failed feeds and why. A feed whose host "
        "asked for a wait (Retry-After) is never polled before it is over. The exit code is "
        "1 when a feed failed or was disabled, else 0.",
    )
    fetch.add_argument(
        "--all",
        action="store_true",
        help="poll every enabled feed, due or not, except those backing off after failures",
    )
    fetch.add_argument(
        "--force", action="store_true", help="with --all (implied): feeds backing off too"
    )
    fetch.set_defaults(handler=run_fetch)

    articles = subparsers.add_parser("articles", help="list stored articles")
    articles.add_argument(
        "--since",
        type=parse_duration,
        default=timedelta(hours=24),
        metavar="DURATION",
        help="published within this long, e.g. 24h, 3d (default 24h)",
    )
    articles.add_argument(
        "--feed", action="append", default=[], metavar="URL|ID", help="only from this feed"
    )
    articles.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (50)")
    articles.set_defaults(handler=run_articles)


def console() -> Console:
    # Resolved at call time, so output goes wherever sys.stdout points now. Piped output
    # gets wide lines rather than URLs folded into 80 columns.
    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160
    return Console(highlight=False, soft_wrap=True, width=width)


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = await open_database(settings.database.url)
    try:
        yield db
    finally:
        await db.close()


def _feed_store(db: Database, settings: Settings) -> FeedStore:
    return FeedStore(db, Backoff.from_settings(settings.fetch))


def _scheme(url: str) -> str:
    """The URL's scheme, lower case; BadInput for text urlsplit refuses (`http://[::1`)."""
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:
        raise BadInput(f"{display_url(url)} is not a valid URL.") from None


def _operator_url(
    raw: str, settings: Settings, *, base: Path | None = None, what: str = "a feed file"
) -> str:
    """A feed URL as the operator gave it: http(s) checked, local paths made absolute.
    `what` names the file wanted in refusals ("a feed file", "an OPML file")."""
    url = raw.strip()
    if not url:
        raise BadInput(f"give an http(s) URL or the path of {what}.")
    scheme = _scheme(url)
    if scheme in ("http", "https"):
        check_url(url, user_supplied=False, allow_private=settings.fetch.allow_private_addresses)
        return url
    if scheme and scheme != "file":
        raise BadInput(
            f"{display_url(url)} uses the {scheme}:// scheme; "
            f"give an http(s) URL or the path of {what}."
        )
    path = Path(urlsplit(url).path if scheme == "file" else url).expanduser()
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    if not path.is_file():
        raise BadInput(f"{path} is not a file; give an http(s) URL or the path of {what}.")
    return str(path.resolve())


def _existing_path(ref: str) -> str | None:
    """The absolute form of a local feed path, as `feeds add` stored it."""
    if "://" in ref or not Path(ref).expanduser().exists():
        return None
    return str(Path(ref).expanduser().resolve())


def _read_local(path: Path, limit: int) -> bytes:
    if path.stat().st_size > limit:
        raise BadInput(f"{path} is larger than the fetch.max_bytes limit.")
    return path.read_bytes()


# Database ids are signed 64-bit: a longer number names no feed (and would crash the query).
_LARGEST_ID = 2**63 - 1


def is_id(ref: str) -> bool:
    # ASCII only: "²" passes isdigit() but int() refuses it.
    return ref.isascii() and ref.isdigit()


async def _find_feed(store: FeedStore, ref: str) -> Feed:
    ref = ref.strip()
    if not ref:
        raise BadInput("give a feed id or URL; `newsbot feeds list` shows them.")
    if is_id(ref):
        feed = await store.get(int(ref)) if int(ref) <= _LARGEST_ID else None
    else:
        feed = await store.get_by_url(ref)
    local = _existing_path(ref) if feed is None and not is_id(ref) else None
    if local is not None:
        feed = await store.get_by_url(local)
    if feed is None:
        kind = "id" if is_id(ref) else "URL"
        raise BadInput(
            f"there is no feed with {kind} {display_url(ref)}; `newsbot feeds list` shows them."
        )
    return feed


def _interval_s(args: argparse.Namespace, settings: Settings) -> int:
    if args.interval is None:
        return settings.fetch.poll_interval_s
    seconds = int(args.interval.total_seconds())
    if seconds < 60:
        raise BadInput("--interval must be at least 1m.")
    return seconds


def _every(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


# ----------------------------------------------------------------------------- feeds


async def run_feeds_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add one feed: an http(s) feed is fetched once first (unless --no-check), and what it
    carries now is its starting point; a local file or an unchecked URL is due at once."""
    url = _operator_url(args.url, settings)
    interval = _interval_s(args, settings)
    outlet = args.outlet.strip()
    if args.no_check or _scheme(url) not in ("http", "https"):
        async with database(settings) as db:
            feed = await _feed_store(db, settings).add(
                url, now=utc_now(), outlet=outlet, interval_s=interval
            )
        named = f"{outlet} ({display_url(feed.url)})" if outlet else display_url(feed.url)
        console().print(
            f"Added feed {feed.id}: {named} (polled every {_every(interval)}). "
            "`newsbot fetch` polls it now."
        )
        return 0
    feed, items = await _probe_and_add(url, settings, outlet=outlet, interval_s=interval)
    console().print(
        f"Added feed {feed.id}: {feed.name} ({display_url(feed.url)}), polled every "
        f"{_every(interval)}; {items} items now, kept as its starting point (not posted)."
    )
    return 0


async def _probe_and_add(
    url: str, settings: Settings, *, outlet: str, interval_s: int
) -> tuple[Feed, int]:
    """Fetch the URL once and store it as chat `/subscribe` does: the feed and its item count."""
    async with await build_app(settings) as app:
        store = app.feeds
        known = await store.get_by_url(url)
        if known is not None:
            raise BadInput(f"feed {display_url(url)} is already added (id {known.id}).")
        found = await probe_and_store(
            app.db,
            app.fetcher,
            app.parser,
            url,
            now=app.now(),
            settings=settings.fetch,
            origin="operator",
            interval_s=interval_s,
        )
        if isinstance(found, OpmlListing):
            raise BadInput(
                f"{display_url(url)} is an OPML list of {len(found.feeds)} feeds, not a feed; "
                f"`newsbot feeds import-opml {display_url(url)}` adds them."
            )
        if outlet:
            await store.set_outlet(found, outlet)
        feed = await store.get(found)
        assert feed is not None  # stored just now
        return feed, await ArticleStore(app.db).count(feed_id=feed.id)


async def run_feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    """Show every feed with its health."""
    async with database(settings) as db:
        feeds = await _feed_store(db, settings).list()
        articles = ArticleStore(db)
        counts = {feed.id: await articles.count(feed_id=feed.id) for feed in feeds}
    out = console()
    if not feeds:
        out.print("No feeds yet; add one with `newsbot feeds add URL`.")
        return 0
    table = Table(title=f"{len(feeds)} feeds")
    for column in ("id", "name", "url"):
        table.add_column(column, overflow="fold")
    for column in ("every", "health", "articles", "next poll (UTC)"):
        table.add_column(column, no_wrap=True)
    table.add_column("problem", overflow="fold")
    for feed in feeds:
        table.add_row(
            str(feed.id),
            feed.name if feed.name != display_url(feed.url) else "",
            display_url(feed.url),
            _every(feed.poll_interval_s),
            feed.health,
            str(counts[feed.id]),
            "-" if feed.disabled else _when(feed.next_poll_at),
            feed.disabled_reason or feed.last_error,
        )
    out.print(table)
    return 0


async def run_feeds_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove one feed by id or URL."""
    async with database(settings) as db:
        store = _feed_store(db, settings)
        feed = await _find_feed(store, args.feed)
        await store.remove(feed.id)
    console().print(f"Removed feed {feed.id}: {display_url(feed.url)}.")
    return 0


async def run_feeds_enable(args: argparse.Namespace, settings: Settings) -> int:
    """Re-enable a disabled (or failing) feed; it is due at once, its old error cleared."""
    async with database(settings) as db:
        store = _feed_store(db, settings)
        feed = await _find_feed(store, args.feed)
        if not feed.disabled and not feed.consecutive_failures:
            console().print(
                f"Feed {feed.id} ({display_url(feed.url)}) is already enabled ({feed.health}); "
                "nothing changed."
            )
            return 0
        await store.enable(feed.id, now=utc_now())
    now = utc_now()
    due = (
        f"its host asked for a wait, so it is polled at {_when(feed.retry_not_before)} UTC"
        if feed.retry_not_before is not None and feed.retry_not_before > now
        else "it is due now"
    )
    if feed.disabled:
        console().print(f"Enabled feed {feed.id}: {display_url(feed.url)}; {due}.")
    else:
        console().print(
            f"Feed {feed.id} ({display_url(feed.url)}) was not disabled; its "
            f"{feed.consecutive_failures} failures are forgotten and {due}."
        )
    return 0


async def run_feeds_disable(args: argparse.Namespace, settings: Settings) -> int:
    """Stop polling a feed; the reason is kept and shown by `feeds list`."""
    reason = " ".join(args.reason.split()) or "disabled by the operator"
    async with database(settings) as db:
        store = _feed_store(db, settings)
        feed = await _find_feed(store, args.feed)
        if feed.disabled:
            console().print(
                f"Feed {feed.id} ({display_url(feed.url)}) is already disabled: "
                f"{feed.disabled_reason}"
            )
            return 0
        await store.disable(feed.id, reason=reason)
    console().print(
        f"Disabled feed {feed.id}: {feed.name} ({display_url(feed.url)}); reason: {reason}. "
        f"`newsbot feeds enable {feed.id}` polls it again."
    )
    return 0


async def run_feeds_export_opml(args: argparse.Namespace, settings: Settings) -> int:
    """Every feed as OPML 2.0, which `feeds import-opml` (and other readers) read back.

    URLs are written whole, credentials included: the file is for restoring the list. A file
    written with --output is readable by its owner only.
    """
    async with database(settings) as db:
        feeds = await _feed_store(db, settings).list()
    text = write_opml([OpmlFeed(url=feed.url, title=feed.name) for feed in feeds])
    if not args.output:
        sys.stdout.write(text)
        return 0
    path = _write_private(args.output, text)
    console().print(f"Exported {len(feeds)} feeds to {path}.")
    return 0


def _write_private(name: str, text: str) -> Path:
    """Write `text` to a file only its owner may read (feed URLs may hold credentials)."""
    path = Path(name).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror}.") from None
    return path


async def _read_opml_source(source: str, settings: Settings) -> tuple[bytes, str]:
    """The OPML bytes and the base that relative feed URLs in it are resolved against."""
    if _scheme(source) in ("http", "https"):
        async with Fetcher(settings.fetch) as fetcher:
            try:
                result = await fetcher.fetch(source)
            except FeedError as error:
                if display_url(source) in str(error):
                    raise
                raise FeedError(f"{display_url(source)} could not be fetched: {error}") from None
        return result.body, result.final_url
    path = Path(_operator_url(source, settings, what="an OPML file"))
    return _read_local(path, settings.fetch.max_bytes), str(path)


def _resolve(url: str, base: str, settings: Settings) -> str:
    if base.startswith(("http://", "https://")):
        try:
            absolute = urljoin(base, url)
        except ValueError:
            raise BadInput(f"{display_url(url)} is not a valid URL.") from None
        if _scheme(absolute) not in ("http", "https"):
            raise BadInput(f"{display_url(url)} in a fetched OPML file is not an http(s) URL.")
        check_url(
            absolute, user_supplied=True, allow_private=settings.fetch.allow_private_addresses
        )
        return absolute
    return _operator_url(url, settings, base=Path(base).parent)


async def run_feeds_import_opml(args: argparse.Namespace, settings: Settings) -> int:
    """Add every feed an OPML file lists; feeds already added are left as they are."""
    body, base = await _read_opml_source(args.source, settings)
    try:
        listed = read_opml(body)
    except BadInput as error:  # "the file is not valid OPML": say which file
        raise BadInput(f"{display_url(args.source)}: {error}") from None
    if not listed:
        raise BadInput(f"{display_url(args.source)} lists no feeds.")
    added, present, refused = [], 0, []
    async with database(settings) as db:
        store = _feed_store(db, settings)
        for entry in listed:
            try:
                url = _resolve(entry.url, base, settings)
            except BadInput as error:  # one bad entry must not lose the others
                refused.append(f"{display_url(entry.url)}: {error}")
                continue
            if await store.get_by_url(url) is not None:
                present += 1
                continue
            interval = settings.fetch.poll_interval_s
            added.append(
                await store.add(url, now=utc_now(), outlet=entry.title, interval_s=interval)
            )
    out = console()
    for feed in added:
        out.print(f"Added feed {feed.id}: {feed.name} ({display_url(feed.url)})")
    for line in refused:
        out.print(f"Skipped {line}")
    out.print(f"Imported {len(added)} feeds; {present} already present, {len(refused)} refused.")
    return 0 if not refused else 1


# ----------------------------------------------------------------------------- fetch


def _summary_table(outcomes: Sequence[PollOutcome]) -> Table:
    order = {"failed": 0, "disabled": 1, "new": 2, "unchanged": 3}
    table = Table(title="Poll results")
    for column in ("id", "feed", "result", "new", "why"):
        table.add_column(column, overflow="fold")
    for outcome in sorted(outcomes, key=lambda o: (order[o.status], o.feed_id)):
        table.add_row(
            str(outcome.feed_id),
            outcome.name or outcome.url,
            outcome.status,
            str(outcome.new_articles),
            outcome.error,
        )
    return table


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _skipped_lines(backing_off: int, held: Sequence[tuple[int, datetime]]) -> list[str]:
    """What `fetch --all` left out, and how to poll it."""
    lines = []
    if backing_off:
        it = "it" if backing_off == 1 else "them"
        feeds = _plural(backing_off, "feed", "feeds")
        lines.append(f"Skipped {feeds} backing off after failures (--force polls {it}).")
    if held:
        last = max(until for _, until in held)
        feeds = _plural(len(held), "feed", "feeds")
        lines.append(
            f"Skipped {feeds} asked to wait (Retry-After) until {_when(last)} UTC at the latest."
        )
    return lines


async def run_fetch(args: argparse.Namespace, settings: Settings) -> int:
    """Poll due (or, with --all, all enabled) feeds with a progress bar, then a summary."""
    out = console()
    skipped: list[str] = []
    async with await build_app(settings) as app:
        now = app.now()
        if args.all or args.force:
            feed_ids = await app.feeds.pollable_ids(now, force=args.force)
            held = await app.feeds.held_by_retry_after(now)
            backing_off = len(await app.feeds.all_enabled_ids()) - len(feed_ids) - len(held)
            skipped = _skipped_lines(backing_off, held)
        else:
            feed_ids = await app.feeds.due_feed_ids(now)
        if not feed_ids:
            has_feeds = bool(await app.feeds.list())
            out.print(
                "No feeds are due; `newsbot fetch --all` polls every feed now."
                if has_feeds and not (args.all or args.force)
                else "No feed can be polled now."
                if has_feeds
                else "No feeds yet; add one with `newsbot feeds add URL`."
            )
            for line in skipped:
                out.print(line)
            return 0
        progress = Progress(
            TextColumn("polling"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=out,
            transient=True,
            disable=not out.is_terminal,
        )
        with progress:
            task = progress.add_task("", total=len(feed_ids))

            def advance(outcome: PollOutcome) -> None:
                progress.update(task, advance=1, description=outcome.name or outcome.url)

            outcomes = await app.poll(feed_ids, on_outcome=advance)
    out.print(_summary_table(outcomes))
    counts = Counter(o.status for o in outcomes)
    new_articles = sum(o.new_articles for o in outcomes)
    out.print(
        f"{len(outcomes)} feeds: {counts['new']} with new articles ({new_articles} articles), "
        f"{counts['unchanged']} unchanged, {counts['failed']} failed, "
        f"{counts['disabled']} disabled."
    )
    for line in skipped:
        out.print(line)
    return 1 if counts["failed"] or counts["disabled"] else 0


# ----------------------------------------------------------------------------- articles


# More rows than anyone reads in a terminal; a number past 64 bits would crash the query.
_MOST_ARTICLES = 10_000


async def run_articles(args: argparse.Namespace, settings: Settings) -> int:
    """List stored articles published within --since, newest first."""
    if not 1 <= args.limit <= _MOST_ARTICLES:
        raise BadInput(f"--limit must be between 1 and {_MOST_ARTICLES}.")
    async with database(settings) as db:
        feed_ids = None
        if args.feed:
            store = _feed_store(db, settings)
            feed_ids = [(await _find_feed(store, ref)).id for ref in args.feed]
        found = await ArticleStore(db).since(
            utc_now() - args.since, feed_ids=feed_ids, limit=args.limit
        )
    out = console()
    if not found:
        out.print("No articles in that period; `newsbot fetch` polls the feeds.")
        return 0
    table = Table(title=f"{len(found)} articles")
    for column in ("published (UTC)", "outlet", "title", "url"):
        table.add_column(column, overflow="fold")
    for article in found:
        table.add_row(_when(article.published), article.outlet, article.title, article.url)
    out.print(table)
    return 0
