"""Digests delivered as JSON to an HTTP endpoint the operator controls (`newsbot run --webhook`).

The protocol is small so any service can implement it:

- `POST URL` with `{"idempotency_key", "channel": {...}, "digest": {...}, "text"}` and an
  `Idempotency-Key` header. A 2xx answer may carry `{"message_id", "thread_id"}`.
- `GET URL?idempotency_key=KEY` answers 200 with the same fields when that key was already
  accepted, 404 when not: newsbot asks this after a crash before re-posting.
- `POST URL` with `{"notice", "channel"}` for plain notices.

The poster paces itself to the endpoint's rate (`webhook.posts_per_second`: at most that many
requests in any second, as a platform's API counts them) and honours a 429's `Retry-After`:
every request waits until then and the refused one is sent again (a 429 posted nothing), so
a short refusal costs a second, not the outbox's backoff. A longer wait, 5xx and network
errors are the outbox's to retry; other 4xx are not retryable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.channels.delivery import PostError, PostResult
from bot.digest.render import digest_to_dict, render_text
from bot.errors import BadInput
from bot.feeds.urls import display_url
from bot.models import ChannelRef, Digest

PLATFORM = "webhook"
# Refusals waited out inside one post before the outbox takes over, and the longest such wait.
RATE_LIMIT_RETRIES = 3
MAX_RETRY_WAIT_S = 60.0


class RatePacer:
    """At most `per_second` requests in any one-second window as the endpoint counts them,
    and none while a refusal's Retry-After lasts. 0 = no pace, Retry-After only.

    Each request holds one of `per_second` slots from before it is sent until one window
    after its answer came back: the endpoint saw it between those two instants, so however
    the network and this process delay requests, no window of the endpoint's holds more than
    its limit. After a pause (a slow database, a busy CPU) the slots free by then go at once,
    so the platform's budget is not lost to a fixed interval.
    """

    def __init__(self, per_second: float = 0.0) -> None:
        limit = max(1, round(per_second)) if per_second > 0 else 0
        self._window_s = limit / per_second if limit else 0.0  # 1 s for 50/s, 2 s for 0.5/s
        self._slots = asyncio.Semaphore(limit) if limit else None
        self._held_until = 0.0

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a slot and for any Retry-After; send the request inside the block."""
        if self._slots is not None:
            await self._slots.acquire()
        try:
            wait = self._held_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            yield
        finally:
            if self._slots is not None:
                asyncio.get_running_loop().call_later(self._window_s, self._slots.release)

    def hold(self, seconds: float) -> None:
        """The platform refused for `seconds`: no request goes before then."""
        self._held_until = max(self._held_until, time.monotonic() + seconds)


def check_webhook_url(url: str) -> None:
    """Refuse, in one sentence, a webhook address that can never be posted to.

    The endpoint is the operator's own, so loopback and private addresses are allowed.
    """
    try:
        parts = urlsplit(url.strip())
        usable = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises for a port that is not a number in 0-65535
    except ValueError:
        usable = False
    if not usable:
        raise BadInput(
            f"--webhook {display_url(url)} is not an http:// or https:// address; give the "
            "full URL of the endpoint, e.g. https://hooks.example.org/newsbot."
        )


def _channel(where: ChannelRef) -> dict[str, str]:
    return {"platform": where.platform, "workspace": where.workspace, "channel": where.channel}


class WebhookPoster:
    """A `Poster` that POSTs digests to one URL. Use as an async context manager."""

    platform = PLATFORM

    def __init__(self, url: str, *, timeout_s: float = 20.0, per_second: float = 0.0) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None
        self._pacer = RatePacer(per_second)

    async def __aenter__(self) -> WebhookPoster:
        self._session = aiohttp.ClientSession(timeout=self._timeout, trust_env=False)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use `async with WebhookPoster(url)` before posting")
        return self._session

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        """POST the digest; the key travels in the body and the Idempotency-Key header."""
        body = {
            "idempotency_key": idempotency_key,
            "channel": _channel(where),
            "digest": digest_to_dict(digest),
            "text": render_text(digest),
        }
        data = await self._send("POST", json=body, headers={"Idempotency-Key": idempotency_key})
        return _result(data, fallback=idempotency_key)

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        """Ask the endpoint whether this key was already accepted."""
        try:
            data = await self._send("GET", params={"idempotency_key": idempotency_key})
        except _NotFound:
            return None
        return _result(data, fallback=idempotency_key)

    async def notify(self, where: ChannelRef, text: str) -> None:
        """POST a plain notice."""
        await self._send("POST", json={"notice": text, "channel": _channel(where)})

    async def _send(self, method: str, **options: Any) -> dict[str, Any]:
        """One request in the endpoint's pace; a short 429 is waited out and sent again."""
        for retries_left in range(RATE_LIMIT_RETRIES, -1, -1):
            try:
                async with self._pacer.turn():
                    return await self._request(method, **options)
            except _RateLimited as error:
                wait = error.retry_after_s
                if wait is None:  # no Retry-After: a second, as for most APIs' rate windows
                    wait = error.retry_after_s = 1.0
                self._pacer.hold(wait)
                if wait > MAX_RETRY_WAIT_S or not retries_left:
                    raise
        raise AssertionError("unreachable: the last try raises")

    async def _request(self, method: str, **options: Any) -> dict[str, Any]:
        try:
            async with self._client().request(method, self.url, **options) as resp:
                if resp.status == 404 and method == "GET":
                    raise _NotFound
                if resp.status == 429:
                    raise _RateLimited(
                        "the webhook answered 429 (too many requests).",
                        retryable=True,
                        retry_after_s=_retry_after(resp.headers.get("Retry-After")),
                    )
                if resp.status >= 500:
                    raise PostError(
                        f"the webhook answered {resp.status}.",
                        retryable=True,
                        retry_after_s=_retry_after(resp.headers.get("Retry-After")),
                    )
                if resp.status >= 400:
                    raise PostError(
                        f"the webhook refused the post ({resp.status}).", retryable=False
                    )
                if resp.content_type == "application/json":
                    data = await resp.json()
                    return data if isinstance(data, dict) else {}
                return {}
        except aiohttp.ClientError as error:
            raise PostError(
                f"the webhook at {display_url(self.url)} could not be reached ({error}).",
                retryable=True,
            ) from None
        except TimeoutError:
            raise PostError("the webhook did not answer in time.", retryable=True) from None


class _NotFound(Exception):
    pass


class _RateLimited(PostError):
    """A 429: nothing was posted, so the same request may be sent again after the wait."""


def _retry_after(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _result(data: dict[str, Any], *, fallback: str) -> PostResult:
    return PostResult(
        message_id=str(data.get("message_id") or fallback),
        thread_id=str(data.get("thread_id") or ""),
    )
