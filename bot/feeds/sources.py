"""Read the feeds a user names for `newsbot digest --feeds`: files, folders, OPML, URLs.

A folder of saved feeds from the real world holds more than feeds: an HTML page saved by
mistake, an OPML list, a file cut short. Each source that cannot be read is skipped with one
warning naming it and saying why, in words that fit a file or an address, and the digest is
built from the rest; only when nothing readable is left is that an error. OPML files (named
or in a folder) add the feeds they list: files next to them, or http(s) URLs fetched with the
same limits as every feed. The same article read twice (a file and its URL, a feed and its
mirror) is kept once, with the outlet name of the copy that has one.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import BadInput, FeedError
from bot.feeds.urls import display_url
from bot.models import Article

if TYPE_CHECKING:
    from bot.config import FetchSettings

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_SNIFF = 2048
_FOLDER_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".feed", ".opml", ".html", ".htm")
# Outlet names a parser falls back to when a feed names none: another copy's name is better.
_NAMELESS = ("unknown outlet",)


@dataclass(frozen=True)
class SourcesRead:
    """What the sources gave: their articles (each once), warnings, whether any was fetched."""

    articles: tuple[Article, ...]
    warnings: tuple[str, ...]  # one line per skipped source, naming it and saying why
    fetched_any: bool
    readable: bool  # False when no source at all could be read as a feed

    @property
    def refusal(self) -> str:
        """The one sentence for the user when nothing was readable ('' otherwise)."""
        if self.readable:
            return ""
        if len(self.warnings) == 1:
            return self.warnings[0].replace(": skipped, ", ": ", 1)
        return f"None of the sources could be read as a feed ({len(self.warnings)} skipped)."


@dataclass(frozen=True)
class _Local:
    path: Path
    named: str  # how the user (or the OPML file) named it, for warnings


async def read_sources(
    sources: Sequence[str], fetch: FetchSettings, *, fetched_at: datetime
) -> SourcesRead:
    """Articles of every readable source, and a warning for each one skipped."""
    # Disk reads and parsing are blocking work: keep them off the event loop.
    files, urls, warnings = await asyncio.to_thread(_classify, sources)
    read_any = False
    articles: list[Article] = []
    for local in files:
        found, problem = await asyncio.to_thread(_read_local, local, fetch.max_bytes, fetched_at)
        if problem:
            warnings.append(problem)
        else:
            read_any = True
            articles.extend(found)
    fetched_any = False
    if urls:
        fetched, problems = await _fetch_all(urls, fetch, fetched_at)
        warnings.extend(problems)
        fetched_any = len(problems) < len(dict.fromkeys(urls))
        read_any = read_any or fetched_any
        articles.extend(fetched)
    return SourcesRead(tuple(unique_articles(articles)), tuple(warnings), fetched_any, read_any)


def _classify(sources: Sequence[str]) -> tuple[list[_Local], list[str], list[str]]:
    """Local feed files (folders and OPML files expanded), URLs, and warnings so far."""
    warnings: list[str] = []
    urls: list[str] = []
    files: list[_Local] = []
    for source in sources:
        if source.startswith(("http://", "https://")):
            urls.append(source)
        elif _SCHEME.match(source):  # ftp://, file://...: Path() would fold it into ftp:/...
            warnings.append(f"{display_url(source)}: skipped, not an http(s) URL.")
        else:
            files.extend(_expand_local(Path(source).expanduser(), source, urls, warnings))
    return files, urls, warnings


def _expand_local(path: Path, named: str, urls: list[str], warnings: list[str]) -> list[_Local]:
    """A file, or every visible file of a folder; OPML files add the feeds they list."""
    if path.is_dir():
        entries = sorted(p for p in path.iterdir() if _may_be_feed(p))
        if not entries:
            warnings.append(f"{named}: skipped, the folder holds no feed files.")
        found: list[_Local] = []
        for entry in entries:
            found.extend(_expand_file(entry, str(entry), urls, warnings))
        return found
    if not path.exists():
        warnings.append(f"{named}: skipped, no such file or folder.")
        return []
    return _expand_file(path, named, urls, warnings)


def _may_be_feed(path: Path) -> bool:
    """Files of a folder worth reading: feeds, OPML lists, saved pages, JSON Feeds.

    A README or a data file beside the feeds is not a source the user meant, so it is
    passed over without a warning; a saved page or a broken feed gets one.
    """
    if path.name.startswith(".") or not path.is_file():
        return False
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _head_contains(path, b"jsonfeed.org/version")
    return suffix in _FOLDER_SUFFIXES


def _head_contains(path: Path, marker: bytes) -> bool:
    try:
        with path.open("rb") as handle:
            return marker in handle.read(_SNIFF).lower()
    except OSError:
        return False


def _expand_file(path: Path, named: str, urls: list[str], warnings: list[str]) -> list[_Local]:
    if path.suffix.lower() != ".opml" and not _looks_like_opml(path):
        return [_Local(path, named)]
    from bot.feeds.opml import read_opml

    try:
        entries = read_opml(path.read_bytes())
    except (BadInput, OSError) as error:
        warnings.append(f"{named}: skipped, {_reason(error)}")
        return []
    found: list[_Local] = []
    for entry in entries:
        if entry.url.startswith(("http://", "https://")):
            urls.append(entry.url)
        elif _SCHEME.match(entry.url) and not entry.url.startswith("file://"):
            warnings.append(
                f"{named} lists {display_url(entry.url)}: skipped, not an http(s) URL or a file."
            )
        else:
            # Relative xmlUrl values are files next to the OPML, so a folder can move.
            listed = (path.parent / entry.url.removeprefix("file://")).resolve()
            if listed.is_file():
                found.append(_Local(listed, f"{listed} (listed in {named})"))
            else:
                warnings.append(f"{named} lists {entry.url}: skipped, no such file.")
    return found


def _looks_like_opml(path: Path) -> bool:
    return _head_contains(path, b"<opml")


def _reason(error: Exception) -> str:
    if isinstance(error, OSError):
        return f"it could not be read ({error.strerror or error})."
    text = str(error)
    return text[:1].lower() + text[1:] if text else "it could not be read."


def _read_local(local: _Local, max_bytes: int, fetched_at: datetime) -> tuple[list[Article], str]:
    """The file's articles, or a warning saying why it is not a feed (worded for a file)."""
    from bot.feeds.parse import parse_feed

    try:
        with local.path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as error:
        return [], f"{local.named}: skipped, {_reason(error)}"
    if len(body) > max_bytes:
        return [], f"{local.named}: skipped, larger than the {max_bytes} byte limit for a feed."
    not_feed = file_not_a_feed(body)
    if not_feed:
        return [], f"{local.named}: skipped, {not_feed}"
    try:
        parsed = parse_feed(
            body, url=local.path.resolve().as_uri(), headers={}, fetched_at=fetched_at
        )
    except FeedError:
        return [], f"{local.named}: skipped, it is not an RSS, Atom or JSON feed."
    if not parsed.articles and parsed.warning:
        return [], f"{local.named}: skipped, it is a broken feed with no readable entry."
    return list(parsed.articles), ""


def file_not_a_feed(body: bytes) -> str:
    """Why a file is plainly not a feed, in words for a file ('' when it may be one)."""
    head = body[:_SNIFF].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not head:
        return "the file is empty."
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "it is a web page (HTML), not a feed."
    if b"<opml" in head:
        return "it is an OPML list of feeds; name it on its own to read the feeds it lists."
    return ""  # the parser decides the rest (a UTF-16 feed, say, starts with no "<")


async def _fetch_all(
    urls: list[str], fetch: FetchSettings, fetched_at: datetime
) -> tuple[list[Article], list[str]]:
    """Fetch every URL at once (the fetcher keeps to its connection limits), parse off-loop."""
    from bot.feeds.fetch import Fetcher
    from bot.feeds.parse import parse_feed

    async with Fetcher(fetch) as fetcher:

        async def read(url: str) -> tuple[list[Article], str]:
            try:
                result = await fetcher.fetch(url)
                parsed = await asyncio.to_thread(
                    parse_feed,
                    result.body,
                    url=result.final_url,
                    headers=result.headers,
                    fetched_at=fetched_at,
                )
            except FeedError as error:
                return [], f"{display_url(url)}: skipped, {_reason(error)}"
            return list(parsed.articles), ""

        results = await asyncio.gather(*(read(url) for url in dict.fromkeys(urls)))
    articles = [article for found, _ in results for article in found]
    return articles, [problem for _, problem in results if problem]


def unique_articles(articles: Sequence[Article]) -> list[Article]:
    """Each article once: by canonical URL, and by title and text within one outlet.

    A copy without a link is known by its feed's address, so the same entry read from a
    file and from its URL differs in id but not in words. Two outlets running the same
    wire text are two reports and both stay. A copy with a real outlet name wins over one
    the parser had to call "unknown outlet".
    """
    kept: dict[str, Article] = {}
    by_content: dict[str, str] = {}
    for article in articles:
        key = article.id
        content = _content_key(article)
        earlier = by_content.get(content) if content else None
        if key not in kept and earlier is not None and _same_outlet(kept[earlier], article):
            key = earlier
        if key not in kept or (_nameless(kept[key]) and not _nameless(article)):
            kept[key] = article
        if content:
            by_content.setdefault(content, key)
    return list(kept.values())


def _nameless(article: Article) -> bool:
    return article.outlet.lower() in _NAMELESS


def _same_outlet(first: Article, second: Article) -> bool:
    return first.outlet == second.outlet or _nameless(first) or _nameless(second)


def _content_key(article: Article) -> str:
    text = " ".join(f"{article.title}\n{article.text}".split()).lower()
    if len(text) < 40:
        return ""  # too little to tell two entries apart safely
    return hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:20]
