"""The Slack Web API client newsbot uses, and how it reads Slack's refusals.

One `AsyncWebClient` per adapter: it waits out short 429s (Slack's Retry-After; nothing was
posted) and retries dropped connections of every call but chat.postMessage, which has no
idempotency key and may already have posted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings

# The longest Retry-After waited out inside a call; longer ones are retried by the outbox.
MAX_RATE_LIMIT_WAIT_S = 30.0


def response_field(error: SlackApiError, key: str) -> Any:
    """A field of Slack's error response; None when the body could not be read."""
    # An unreadable body leaves slack_sdk's raw aiohttp response (or bytes) here.
    try:
        return error.response.get(key)
    except (AttributeError, ValueError):
        return None


def error_code(error: SlackApiError) -> str:
    """Slack's error code (`not_in_channel`, `ratelimited`...), or `unknown_error`."""
    return str(response_field(error, "error") or "unknown_error")


def retry_after_s(error: SlackApiError) -> float | None:
    """The Retry-After Slack sent with this refusal, in seconds."""
    return retry_after_header(getattr(error.response, "headers", None) or {})


def retry_after_header(headers: Mapping[str, Any]) -> float | None:
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class ConnectionRetryExceptPosts(AsyncConnectionErrorRetryHandler):
    """Retries calls whose connection dropped, except chat.postMessage: Slack may already
    have posted the message when the connection dropped, and the call has no idempotency
    key, so a blind retry could post twice. The outbox retries it instead, after asking
    `find_posted`."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith("/chat.postMessage"):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class RateLimitRetryShortWaits(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429 only when Slack asks for a short wait (a whole number of seconds up to
    MAX_RATE_LIMIT_WAIT_S). A longer one goes back to the caller: the outbox schedules the
    digest for then, instead of a worker and the channel's pacer sleeping for an hour."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_header(response.headers)
        # slack_sdk sleeps int(Retry-After): anything else would raise inside it.
        return wait is None or (wait.is_integer() and 0 <= wait <= MAX_RATE_LIMIT_WAIT_S)


def make_web_client(slack: SlackSettings, *, token: str | None) -> AsyncWebClient:
    """A Web API client that waits out short 429s (Retry-After; nothing was posted) and
    retries dropped connections of every call but chat.postMessage."""
    return AsyncWebClient(
        token=token,
        base_url=slack.api_url,
        retry_handlers=[
            ConnectionRetryExceptPosts(),
            RateLimitRetryShortWaits(max_retry_count=slack.rate_limit_retries),
        ],
    )
