"""The feed fetcher: one aiohttp session, hard limits, conditional GET, redirects hop by hop.

Limits (all from `FetchSettings`): a total deadline per fetch that covers every hop and the
whole body; a byte cap counted AFTER decompression while the body streams (we decompress
ourselves in bounded steps, so a gzip bomb never expands in memory); at most
`max_redirects` hops, each re-checked by the SSRF guard; per-host and total connection limits.
Every failure is a `FeedError` whose message is one sentence without URL credentials.
"""

from __future__ import annotations

import asyncio
import email.utils
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit
from urllib.request import url2pathname

import aiohttp
from aiohttp.abc import AbstractResolver
from yarl import URL

from bot.config import FetchSettings
from bot.errors import BadInput, FeedError
from bot.feeds.guard import AddressPolicy, GuardedResolver, check_url, is_public_address
from bot.feeds.text import plain_text
from bot.feeds.urls import display_url

CHUNK_BYTES = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# "Moved Permanently" and "Permanent Redirect": the feed's address itself has changed.
PERMANENT_REDIRECTS = frozenset({301, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
# Only what we can decompress in bounded steps with zlib; never br/zstd.
ACCEPT_ENCODING = "gzip, deflate"


@dataclass(frozen=True)
class FetchResult:
    """What one fetch produced. `not_modified` means 304: nothing new, `body` is empty."""

    final_url: str
    status: int
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    # Where the feed now lives when every redirect on the way was permanent (301/308).
    moved_to: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """The response headers a parser needs (charset, base URL for relative links)."""
        headers = {"content-location": self.final_url}
        if self.content_type:
            headers["content-type"] = self.content_type
        return headers


@dataclass(frozen=True)
class _Redirect:
    """One redirect hop: the absolute URL it points to, and whether it is permanent."""

    url: str
    permanent: bool


def _mib(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB"


class _BodyCap:
    """Counts body bytes after decompression and stops at the cap."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise FeedError(f"the feed is larger than {_mib(self.limit)} after decompression.")
        if data:
            self.parts.append(data)

    def body(self) -> bytes:
        return b"".join(self.parts)


class _Decompressor:
    """Incremental gzip/deflate that never produces more than CHUNK_BYTES per step."""

    def __init__(self, encoding: str, cap: _BodyCap) -> None:
        self._encoding = encoding
        self._cap = cap
        self._zlib: zlib._Decompress | None = None
        self._ended = False
        self._streams = 0

    def _new(self, first: bytes) -> zlib._Decompress:
        if self._encoding == "deflate" and not _has_zlib_header(first):
            return zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
        return zlib.decompressobj(32 + zlib.MAX_WBITS)  # gzip or zlib, detected from header

    def feed(self, data: bytes) -> None:
        if self._encoding == "identity":
            self._cap.add(data)
            return
        try:
            self._inflate(data)
        except zlib.error:
            raise FeedError(f"the feed's {self._encoding} compression is corrupt.") from None

    def _inflate(self, data: bytes) -> None:
        while data and not self._ended:
            if self._zlib is None:
                # After a complete stream only another gzip member may follow; anything
                # else is padding, ignored as browsers do.
                if self._streams and not GZIP_MAGIC.startswith(data[:2]):
                    self._ended = True
                    return
                self._zlib = self._new(data)
                self._streams += 1
            self._cap.add(self._zlib.decompress(data, CHUNK_BYTES))
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                data = self._zlib.unused_data + data
                self._zlib = None

    def finish(self) -> None:
        if self._zlib is not None:
            self._cap.add(self._zlib.flush(CHUNK_BYTES))


def _has_zlib_header(data: bytes) -> bool:
    return len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP-date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() == "file" or (not parts.scheme and not parts.netloc)


def _local_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        return Path(url).expanduser()
    if parts.netloc not in ("", "localhost"):
        raise BadInput(f"{url} names another machine; file:// feeds must be local files.")
    return Path(url2pathname(parts.path))


def _short_reason(reason: str | None) -> str:
    return plain_text(reason or "")[:80]


def _connect_error(url: str, error: aiohttp.ClientError) -> FeedError:
    host = urlsplit(url).hostname or display_url(url)
    if isinstance(error, aiohttp.ClientConnectorDNSError):
        return FeedError(f"the host {host} could not be found.")
    if isinstance(error, aiohttp.ClientConnectorCertificateError):
        return FeedError(f"the TLS certificate of {host} is not valid.")
    if isinstance(error, aiohttp.ClientSSLError):
        return FeedError(f"the TLS connection to {host} failed.")
    if isinstance(error, aiohttp.ClientConnectorError):
        reason = error.os_error.strerror or type(error.os_error).__name__
        return FeedError(f"could not connect to {host} ({reason}).")
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return FeedError(f"{host} closed the connection without a complete answer.")
    if isinstance(error, aiohttp.ClientPayloadError):
        return FeedError(f"the connection to {host} broke while the feed was being read.")
    if isinstance(error, aiohttp.InvalidURL):
        return FeedError(f"{display_url(url)} is not a valid URL.")
    if isinstance(error, aiohttp.ClientResponseError):
        return FeedError(f"{host} sent an answer that is not valid HTTP.")
    return FeedError(f"the feed at {host} could not be fetched ({type(error).__name__}).")


class Fetcher:
    """Fetches feeds (and linked pages) under the limits and guard of `FetchSettings`.

    Use as `async with Fetcher(settings) as fetcher: await fetcher.fetch(url)`. One session
    and one connection pool serve every fetch. `resolver` replaces the system resolver
    (tests, benchmarks); it is always wrapped by the SSRF-guarding resolver. `is_public`
    decides which addresses count as public (tests let a loopback address stand in for an
    internet host); it defaults to `is_public_address`.
    """

    def __init__(
        self,
        settings: FetchSettings,
        *,
        resolver: AbstractResolver | None = None,
        is_public: AddressPolicy = is_public_address,
    ) -> None:
        self.settings = settings
        self._is_public = is_public
        self._own_resolver = resolver is None
        self._resolver = GuardedResolver(
            resolver, allow_private=settings.allow_private_addresses, is_public=is_public
        )
        self._session: aiohttp.ClientSession | None = None
        self._total_slots = asyncio.Semaphore(settings.total_connections)
        self._per_host: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Self:
        connector = aiohttp.TCPConnector(
            limit=self.settings.total_connections,
            limit_per_host=self.settings.per_host_connections,
            resolver=self._resolver,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers={
                "User-Agent": self.settings.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            auto_decompress=False,  # decompressed by _Decompressor, under the byte cap
            timeout=aiohttp.ClientTimeout(total=None),  # the deadline is fetch()'s own
            cookie_jar=aiohttp.DummyCookieJar(),  # no state carried from one feed to another
            trust_env=False,  # no proxy from the environment can bypass the guard
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._own_resolver:
            await self._resolver.close()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_file: bool = False,
    ) -> FetchResult:
        """Fetch `url` once, sending the validators of the last fetch for a conditional GET.

        `allow_file` admits `file://` URLs and plain paths: only for the operator's own
        configuration, never for URLs from chat. Raises BadInput for a refused URL,
        BlockedAddress for a non-public address and FeedError for every other failure.
        """
        url = url.strip()
        allow_private = self.settings.allow_private_addresses
        check_url(
            url,
            user_supplied=not allow_file,
            allow_private=allow_private,
            is_public=self._is_public,
        )
        timeout = self.settings.timeout_s
        # Wait for a free slot BEFORE the deadline starts: a feed queued behind slow feeds
        # of the same host must not time out without having been asked.
        async with self._total_slots, self._host_slots(url):
            try:
                async with asyncio.timeout(timeout):
                    if _is_local(url):
                        return await self._read_file(url, last_modified)
                    return await self._follow(url, etag, last_modified)
            except TimeoutError:
                raise FeedError(f"no complete answer within {timeout:g} s.") from None

    def _host_slots(self, url: str) -> asyncio.Semaphore:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc.rpartition('@')[2].lower()}"
        slots = self._per_host.get(key)
        if slots is None:
            slots = self._per_host[key] = asyncio.Semaphore(self.settings.per_host_connections)
        return slots

    async def _follow(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        permanent = True  # every hop so far was a 301/308
        for hop in range(self.settings.max_redirects + 1):
            if hop:  # a redirect may point anywhere: only http(s), only public addresses
                self._check_redirect(current)
            location = await self._request(current, headers)
            if isinstance(location, FetchResult):
                result = self._keep_validators(location, etag, last_modified)
                return replace(result, moved_to=current) if hop and permanent else result
            current, permanent = location.url, permanent and location.permanent
        raise FeedError(f"the feed redirected more than {self.settings.max_redirects} times.")

    def _check_redirect(self, url: str) -> None:
        try:
            check_url(
                url,
                user_supplied=True,
                allow_private=self.settings.allow_private_addresses,
                is_public=self._is_public,
            )
        except BadInput as refused:  # the feed's fault, not the user's: a feed failure
            raise FeedError(f"the feed redirected somewhere it may not: {refused}") from None

    @staticmethod
    def _keep_validators(
        result: FetchResult, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        if not result.not_modified:
            return result
        # A 304 need not repeat the validators; the ones we sent are still the right ones.
        return FetchResult(
            final_url=result.final_url,
            status=result.status,
            body=b"",
            content_type=result.content_type,
            etag=result.etag or etag,
            last_modified=result.last_modified or last_modified,
            not_modified=True,
        )

    async def _request(self, url: str, headers: dict[str, str]) -> FetchResult | _Redirect:
        """One hop: a FetchResult, or where a redirect points to."""
        if self._session is None:
            raise RuntimeError("use `async with Fetcher(settings) as fetcher:` before fetching")
        try:
            target = URL(url)
            async with self._session.get(target, headers=headers, allow_redirects=False) as resp:
                if resp.status in REDIRECT_STATUSES:
                    return self._redirect_target(resp)
                return await self._result(resp)
        except aiohttp.ClientError as error:
            raise _connect_error(url, error) from None
        except ValueError:
            raise FeedError(f"{display_url(url)} is not a valid URL.") from None

    @staticmethod
    def _redirect_target(resp: aiohttp.ClientResponse) -> _Redirect:
        location = resp.headers.get("Location", "").strip()
        if not location:
            raise FeedError(f"the feed server answered {resp.status} without saying where to go.")
        try:
            target = str(resp.url.join(URL(location)))
            return _Redirect(target, permanent=resp.status in PERMANENT_REDIRECTS)
        except ValueError:
            raise FeedError("the feed server redirected to an invalid URL.") from None

    async def _result(self, resp: aiohttp.ClientResponse) -> FetchResult:
        final_url = str(resp.url)
        content_type = resp.headers.get("Content-Type", "")
        etag = resp.headers.get("ETag")
        last_modified = resp.headers.get("Last-Modified")
        if resp.status == 304:
            return FetchResult(final_url, 304, b"", content_type, etag, last_modified, True)
        if not 200 <= resp.status < 300:
            retry_after = None
            if resp.status in RETRY_AFTER_STATUSES:
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            reason = _short_reason(resp.reason)
            raise FeedError(
                f"the feed server answered {resp.status} {reason}".rstrip() + ".",
                retry_after_s=retry_after,
            )
        body = await self._read_body(resp)
        return FetchResult(final_url, resp.status, body, content_type, etag, last_modified)

    async def _read_body(self, resp: aiohttp.ClientResponse) -> bytes:
        cap = _BodyCap(self.settings.max_bytes)
        encoding = resp.headers.get("Content-Encoding", "identity").strip().lower() or "identity"
        if encoding not in ("identity", "gzip", "x-gzip", "deflate"):
            raise FeedError(
                f"the feed server used a compression we did not ask for ({encoding[:20]})."
            )
        length = resp.content_length
        if encoding == "identity" and length is not None and length > cap.limit:
            raise FeedError(f"the feed is larger than {_mib(cap.limit)} after decompression.")
        decompressor = _Decompressor("gzip" if encoding == "x-gzip" else encoding, cap)
        async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
            decompressor.feed(chunk)
        decompressor.finish()
        return cap.body()

    async def _read_file(self, url: str, last_modified: str | None) -> FetchResult:
        path = _local_path(url)
        limit = self.settings.max_bytes
        try:
            stamp = email.utils.formatdate(path.stat().st_mtime, usegmt=True)
            if last_modified == stamp:
                return FetchResult(url, 304, b"", "", None, stamp, True)
            body = await asyncio.to_thread(_read_capped, path, limit)
        except FileNotFoundError:
            raise FeedError(f"the feed file {path} does not exist.") from None
        except IsADirectoryError:
            raise FeedError(f"{path} is a folder, not a feed file.") from None
        except PermissionError:
            raise FeedError(f"the feed file {path} cannot be read (permission denied).") from None
        # A file has no Content-Type; without one feedparser flags every local feed as bozo.
        return FetchResult(url, 200, body, "application/xml", None, stamp, False)


def _read_capped(path: Path, limit: int) -> bytes:
    with path.open("rb") as handle:
        body = handle.read(limit + 1)
    if len(body) > limit:
        raise FeedError(f"the feed file is larger than {_mib(limit)}.")
    return body
