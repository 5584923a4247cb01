"""Fetched feed bytes -> normalised `Article`s, in a process pool because parsing is CPU-bound.

feedparser is used ONLY as a parser and is always handed `io.BytesIO(body)`: given raw bytes
or a str it may take a short body such as `/etc/hostname` for a file name and read that
file, and given a URL it fetches without any of our limits. It drops entity declarations
that are not plain text (external entities, nested "billion laughs" entities), which the
tests check. JSON Feed, which feedparser 6 does not read, is read here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import hashlib
import io
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing import resource_tracker
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urljoin, urlsplit

import feedparser

from bot.errors import FeedError, NotAFeed
from bot.feeds.text import plain_text
from bot.feeds.urls import article_id, canonical_url
from bot.models import Article

if TYPE_CHECKING:  # parser workers need not import pydantic
    from bot.config import FetchSettings

JSON_FEED_VERSIONS = ("https://jsonfeed.org/version/1", "http://jsonfeed.org/version/1")
FUTURE_SLACK = timedelta(days=1)  # clocks and time zones err; a week ahead is a bad date
EARLIEST = datetime(1970, 1, 2, tzinfo=UTC)
UNTITLED_CHARS = 100
SNIFF_BYTES = 2048
# Markup is cut before it is turned into text, at this many times the text kept: a 14 MB
# description then costs milliseconds, not seconds, and the text still fills its limit.
MARKUP_PER_TEXT_CHAR = 8


@dataclass(frozen=True)
class ParseLimits:
    """How much of one feed is kept: the text of each item, and the items of one poll."""

    max_text_chars: int = 100_000  # an article's text is cut here (a word boundary, then "…")
    max_items: int = 1000  # the newest items kept; the rest are counted in `ParsedFeed.skipped`

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> ParseLimits:
        return cls(settings.max_article_chars, settings.max_items_per_poll)


@dataclass(frozen=True)
class ParsedFeed:
    """A parsed feed: its title, the outlet name used, its articles, and any parse warning."""

    title: str
    outlet: str
    articles: tuple[Article, ...]
    warning: str = ""  # set when the feed was malformed but entries were kept (bozo)
    skipped: int = 0  # older items left out because the feed had more than `max_items`


@dataclass(frozen=True)
class _RawEntry:
    link: str
    entry_id: str
    title: str  # HTML or text
    text: str  # HTML or text
    published: datetime | None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _struct_to_datetime(value: Any) -> datetime | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:5], min(value[5], 59), tzinfo=UTC)
    except (ValueError, TypeError, OverflowError):
        return None


def _published(moment: datetime | None, fetched_at: datetime) -> datetime:
    """The entry's time in UTC, or the fetch time when missing, absurd or in the future."""
    if moment is None:
        return fetched_at
    moment = _utc(moment)
    if moment > fetched_at + FUTURE_SLACK or moment < EARLIEST:
        return fetched_at
    return moment


def _web_link(link: str, base: str) -> str:
    if not link:
        return ""
    try:
        absolute = urljoin(base, link.strip()) if base.startswith(("http://", "https://")) else link
        return absolute if urlsplit(absolute).scheme.lower() in ("http", "https") else ""
    except ValueError:  # a malformed link (e.g. an unclosed IPv6 bracket) is no link
        return ""


def _untitled(text: str) -> str:
    if len(text) <= UNTITLED_CHARS:
        return text
    return text[:UNTITLED_CHARS].rsplit(" ", 1)[0] + "…"


def _bounded(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.9:
        cut = cut[:space]
    return cut.rstrip() + "…"


def _article(
    raw: _RawEntry, *, feed_url: str, outlet: str, fetched_at: datetime, limits: ParseLimits
) -> Article | None:
    limit = limits.max_text_chars
    text = _bounded(plain_text(raw.text[: limit * MARKUP_PER_TEXT_CHAR]), limit)
    title = _bounded(plain_text(raw.title[: limit * MARKUP_PER_TEXT_CHAR]), limit) or _untitled(
        text
    )
    link = _web_link(raw.link, feed_url)
    if link:
        url = canonical_url(link)
    else:
        # No link: the entry is known by its feed and id; a fragment keeps the URL unique.
        key = raw.entry_id or f"{title}\n{text}"
        if not key.strip():
            return None
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:16]
        url = f"{canonical_url(feed_url)}#entry-{digest}"
    if not (title or text):
        return None
    return Article(
        id=article_id(url),
        url=url,
        title=title,
        text=text,
        outlet=outlet,
        published=_published(raw.published, fetched_at),
        feed_url=feed_url,
        fetched=fetched_at,
    )


def _newest(raws: list[_RawEntry], max_items: int) -> tuple[list[_RawEntry], int]:
    """The `max_items` newest entries (undated ones count as newest, as they will be stored
    with the fetch time), in feed order, and how many were left out."""
    if len(raws) <= max_items:
        return raws, 0
    order = sorted(
        range(len(raws)),
        key=lambda i: (raws[i].published or datetime.max.replace(tzinfo=UTC), -i),
        reverse=True,
    )
    kept = sorted(order[:max_items])
    return [raws[i] for i in kept], len(raws) - max_items


def _articles(
    raws: list[_RawEntry],
    *,
    feed_url: str,
    outlet: str,
    fetched_at: datetime,
    limits: ParseLimits,
) -> tuple[tuple[Article, ...], int]:
    """The feed's articles (deduplicated by id) and how many older entries were left out."""
    kept, skipped = _newest(raws, limits.max_items)
    seen: dict[str, Article] = {}
    for raw in kept:
        article = _article(
            raw, feed_url=feed_url, outlet=outlet, fetched_at=fetched_at, limits=limits
        )
        if article is not None:
            seen.setdefault(article.id, article)
    return tuple(seen.values()), skipped


def _outlet(given: str, feed_title: str, url: str) -> str:
    if given.strip():
        return plain_text(given)
    if feed_title:
        return feed_title
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or "unknown outlet"


# -- RSS / Atom through feedparser --------------------------------------------------------


def _entry_text(entry: Mapping[str, Any]) -> str:
    contents = entry.get("content") or []
    values = [c.get("value", "") for c in contents if isinstance(c, Mapping)]
    longest = max(values, key=len, default="")
    return longest or str(entry.get("summary", "") or entry.get("description", "") or "")


def _raw_entry(entry: Mapping[str, Any]) -> _RawEntry:
    published = _struct_to_datetime(entry.get("published_parsed")) or _struct_to_datetime(
        entry.get("updated_parsed")
    )
    return _RawEntry(
        link=str(entry.get("link", "") or ""),
        entry_id=str(entry.get("id", "") or ""),
        title=str(entry.get("title", "") or ""),
        text=_entry_text(entry),
        published=published,
    )


def _not_a_feed_reason(body: bytes, content_type: str) -> str:
    head = body[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "the address returned an empty body, not a feed."
    if b"<opml" in head:
        return (
            "the address returned an OPML list of feeds, not a feed; "
            "import it with `newsbot feeds import-opml`."
        )
    if b"<html" in head or b"<!doctype html" in head or "html" in content_type.lower():
        return "the address returned an HTML page, not a feed; use the page's RSS or Atom link."
    return "the address did not return an RSS, Atom or JSON feed."


def _warning(result: Mapping[str, Any]) -> str:
    if not result.get("bozo"):
        return ""
    error = result.get("bozo_exception")
    detail = plain_text(str(error))[:160] if error is not None else "unknown problem"
    return f"the feed is not well-formed ({detail}); the entries that could be read were kept."


def _parse_xml_feed(
    body: bytes,
    url: str,
    headers: Mapping[str, str],
    fetched_at: datetime,
    outlet: str,
    limits: ParseLimits,
) -> ParsedFeed:
    response_headers = {k.lower(): v for k, v in headers.items()}
    if url.startswith(("http://", "https://")):
        response_headers.setdefault("content-location", url)
    # Without a type feedparser flags the feed and falls back to its slow loose parser;
    # application/xml lets the document's own encoding declaration decide, as it should.
    if not response_headers.get("content-type", "").strip():
        response_headers["content-type"] = "application/xml"
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        # Everything becomes plain text anyway: feedparser's HTML sanitiser is wasted work.
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    entries = result.get("entries") or []
    if not result.get("version") and not entries:
        raise NotAFeed(_not_a_feed_reason(body, response_headers.get("content-type", "")))
    feed_title = plain_text(str(result.get("feed", {}).get("title", "") or ""))
    name = _outlet(outlet, feed_title, url)
    raws = [_raw_entry(entry) for entry in entries]
    articles, skipped = _articles(
        raws, feed_url=url, outlet=name, fetched_at=fetched_at, limits=limits
    )
    return ParsedFeed(
        title=feed_title,
        outlet=name,
        articles=articles,
        warning=_warning(result),
        skipped=skipped,
    )


# -- JSON Feed -------------------------------------------------------------------------


def _iso_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value.strip()))
    except ValueError:
        return None


def _json_text(item: Mapping[str, Any]) -> str:
    for key in ("content_html", "content_text", "summary"):
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _json_raw_entry(item: Mapping[str, Any]) -> _RawEntry:
    link = item.get("url") or item.get("external_url") or ""
    published = _iso_datetime(item.get("date_published")) or _iso_datetime(
        item.get("date_modified")
    )
    title = item.get("title")
    return _RawEntry(
        link=link if isinstance(link, str) else "",
        entry_id=str(item.get("id", "") or ""),
        title=title if isinstance(title, str) else "",
        text=_json_text(item),
        published=published,
    )


def _parse_json_feed(
    body: bytes, url: str, fetched_at: datetime, outlet: str, limits: ParseLimits
) -> ParsedFeed:
    try:
        data = json.loads(body.decode("utf-8-sig", errors="replace"))
    except (ValueError, RecursionError):
        raise NotAFeed("the address returned broken JSON, not a feed.") from None
    version = data.get("version") if isinstance(data, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSIONS):
        raise NotAFeed("the address returned JSON that is not a JSON Feed.")
    items = data.get("items")
    if not isinstance(items, list):
        raise NotAFeed("the JSON Feed has no list of items.")
    title = data.get("title")
    feed_title = plain_text(title) if isinstance(title, str) else ""
    name = _outlet(outlet, feed_title, url)
    raws = [_json_raw_entry(item) for item in items if isinstance(item, dict)]
    articles, skipped = _articles(
        raws, feed_url=url, outlet=name, fetched_at=fetched_at, limits=limits
    )
    return ParsedFeed(title=feed_title, outlet=name, articles=articles, skipped=skipped)


def _is_json(body: bytes) -> bool:
    return body[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse_feed(
    body: bytes,
    *,
    url: str,
    headers: Mapping[str, str] | None,
    fetched_at: datetime,
    outlet: str = "",
    limits: ParseLimits | None = None,
) -> ParsedFeed:
    """Parse a fetched RSS, Atom or JSON Feed body into plain-text `Article`s.

    Malformed feeds keep what parsed (`warning` says why); a body that is no feed at all
    (an HTML page, OPML, empty) raises NotAFeed with the reason. Entry times are UTC, and
    the fetch time stands in for a missing, invalid or far-future date. `limits` bounds
    each article's text and keeps only the newest items (`skipped` counts the rest).
    """
    fetched_at = _utc(fetched_at)
    limits = limits or ParseLimits()
    if _is_json(body):
        return _parse_json_feed(body, url, fetched_at, outlet, limits)
    return _parse_xml_feed(body, url, headers or {}, fetched_at, outlet, limits)


# -- the process pool ------------------------------------------------------------------


def _worker_ready() -> int:
    return os.getpid()


# Imported in the forkserver first, so that every worker is born ignoring stop signals.
WORKER_SIGNALS_MODULE = "bot.feeds.worker_signals"
# How often a worker checks that the bot that started it is still running.
_OWNER_CHECK_SECONDS = 1.0


def _start_worker(owner_pid: int) -> None:
    """Worker initializer: stops are the bot's business, and the worker ends with the bot."""
    _leave_signals_to_owner()
    _exit_with_owner(owner_pid)


def _leave_signals_to_owner() -> None:
    """Ignore SIGINT and SIGTERM in a parser worker.

    Ctrl-C, `systemctl stop` and `timeout` signal the whole process group. A worker that
    died of it mid-call (KeyboardInterrupt inside the pool's queue) broke the pool under the
    bot's orderly shutdown, which could then wait forever; the bot stops its workers itself
    (and `_exit_with_owner` ends them if the bot is killed outright).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


@contextlib.contextmanager
def _stop_signals_blocked() -> Iterator[None]:
    """SIGINT and SIGTERM held back in this thread, and so in the processes it starts."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _exit_with_owner(owner_pid: int) -> None:
    """End this worker when the bot process is gone.

    A bot killed outright (SIGKILL, out of memory) cannot shut its pool down, and the
    workers would wait for work forever, holding the forkserver, the resource tracker and
    any pipe the bot was started with (a supervisor reading its output never sees it end).
    """

    def watch() -> None:
        while _alive(owner_pid):
            time.sleep(_OWNER_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="newsbot-owner-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class ParserPool:
    """Runs `parse_feed` in worker processes so that parsing uses every core.

    `workers=0` means one process per core. `in_process=True` parses in a thread of this
    process instead (small jobs, tests). `limits` bounds what one feed yields. Use as an
    async context manager.
    """

    def __init__(
        self, workers: int = 0, *, in_process: bool = False, limits: ParseLimits | None = None
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.in_process = in_process
        self.limits = limits or ParseLimits()
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None

    @classmethod
    def from_settings(cls, settings: FetchSettings, *, in_process: bool = False) -> ParserPool:
        """A pool sized by `fetch.parse_workers` (0 = one per core), with the fetch limits."""
        return cls(
            settings.parse_workers,
            in_process=in_process,
            limits=ParseLimits.from_settings(settings),
        )

    def _start(self) -> concurrent.futures.ProcessPoolExecutor:
        # forkserver: workers never inherit this process's threads, sockets or event loop.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([WORKER_SIGNALS_MODULE])
        return concurrent.futures.ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    async def __aenter__(self) -> Self:
        if not self.in_process:
            try:
                try:
                    await self._warm_up()
                except BrokenProcessPool:
                    # A worker died before its initializer ran (a signal to the whole group
                    # in that instant): the workers started now ignore it; start afresh.
                    await self._warm_up()
            except BaseException:  # cancelled (a stop during start-up): leave no worker behind
                await self.__aexit__(None, None, None)
                raise
        return self

    async def _warm_up(self) -> None:
        """Start every worker now, so the first poll does not pay for process start-up."""
        if self._executor is not None:  # a broken pool: ended in full, so it leaks nothing
            broken, self._executor = self._executor, None
            await asyncio.to_thread(broken.shutdown, True, cancel_futures=True)
        loop = asyncio.get_running_loop()
        # The forkserver is a fresh interpreter: a stop signal to the whole group while it
        # imports its site packages killed it with a traceback before it could ignore stops.
        # Children inherit the signal mask, so it starts with them blocked; it ignores them
        # and unblocks (worker_signals), and this process takes its own stops as before.
        # The resource tracker starts first, outside the block: starting it unblocks SIGINT
        # and SIGTERM in the calling thread afterwards, which would leave the forkserver that
        # follows it unprotected.
        await asyncio.to_thread(resource_tracker.ensure_running)
        with _stop_signals_blocked():
            self._executor = self._start()
            started = [
                loop.run_in_executor(self._executor, _worker_ready) for _ in range(self.workers)
            ]
        await asyncio.gather(*started)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)

    async def parse(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str] | None = None,
        fetched_at: datetime,
        outlet: str = "",
    ) -> ParsedFeed:
        """`parse_feed` off the event loop; raises NotAFeed or FeedError like it."""
        job = functools.partial(
            parse_feed,
            body,
            url=url,
            headers=dict(headers or {}),
            fetched_at=fetched_at,
            outlet=outlet,
            limits=self.limits,
        )
        if self.in_process:
            return await asyncio.to_thread(job)
        if self._executor is None:
            raise RuntimeError("use `async with ParserPool() as pool:` before parsing")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, job)
        except BrokenProcessPool:
            # A worker died (out of memory, killed): start fresh ones for the next feeds.
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = self._start()
            raise FeedError("the feed parser stopped while reading this feed.") from None
