"""One OpenAI-compatible endpoint: JSON replies, retries, a shared deadline, server health.

Works with OpenAI and with OpenAI-compatible servers (Ollama, vLLM, llama.cpp). Every call has
its own timeout and all calls of one digest share a `Deadline`; a server that hung or could not
be reached is left alone for a minute (`ServerHealth`), shared by every client of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    RateLimitError,
)

from bot.config import LlmSettings

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics

log = logging.getLogger("newsbot.llm")

# How the reply is asked to be JSON, best first: a JSON schema (OpenAI, vLLM, Ollama); JSON
# mode with the schema as a hint (llama.cpp's server constrains its output with it); plain
# JSON mode. A server that refuses one gets the next, and the one that worked is kept.
FormatName = Literal["json_schema", "json_object_schema", "json_object"]
FORMAT_LADDERS: dict[str, tuple[FormatName, ...]] = {
    "auto": ("json_schema", "json_object_schema", "json_object"),
    "json_schema": ("json_schema",),
    "json_object": ("json_object_schema", "json_object"),
}
# Local servers need no key, but the SDK insists on one.
NO_KEY = "no-key-needed"
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
# A server that failed a probe, or let a call time out or could not be connected to, is
# left alone for this long (calls fail at once, items fall back to extractive), then tried
# again, so a bot outlives a restarting LLM server without waiting on a hung one each time.
_UNREACHABLE_RECHECK_S = 60.0


class LlmFailure(Exception):
    """The LLM gave no usable reply; `str(error)` says why, for the item's note.

    `tokens` is what the failed call still cost (a malformed reply is paid for too).
    """

    def __init__(self, reason: str, *, tokens: int = 0) -> None:
        super().__init__(reason)
        self.tokens = tokens


class Deadline:
    """A shared time budget: every call of one digest draws on the same remaining seconds."""

    def __init__(self, seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._end = now() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self._end - self._now())


@dataclass(frozen=True)
class Completion:
    """A parsed JSON reply and the tokens it cost."""

    data: dict[str, Any]
    tokens: int


@dataclass
class ServerHealth:
    """Whether an LLM server answered lately, shared by every client of it in one process.

    After a probe fails, a call's own timeout runs out or the server cannot be connected to,
    it is "silent" for `recheck_s`: calls fail at once (their items fall back, labelled)
    instead of each digest, channel and question waiting out the same hung server.
    """

    recheck_s: float = _UNREACHABLE_RECHECK_S
    now: Callable[[], float] = time.monotonic
    reachable: bool | None = None
    checked_at: float = 0.0

    def recently_silent(self) -> bool:
        return self.reachable is False and self.now() - self.checked_at < self.recheck_s

    def fell_silent(self) -> None:
        self.reachable = False
        self.checked_at = self.now()

    def answered(self) -> None:
        self.reachable = True
        self.checked_at = self.now()


@dataclass
class LlmClient:
    """One OpenAI-compatible endpoint: JSON replies, own retries, deadline, cached probe.

    The SDK client (and its connection pool) lives only while someone is `connected()`: a
    digest opens it once for all its calls and it is closed afterwards, so nothing leaks
    through the `Summariser` protocol, which has no close.
    """

    make_openai: Callable[[], AsyncOpenAI]
    model: str
    timeout_s: float = 20.0
    max_retries: int = 1
    response_format: Literal["auto", "json_schema", "json_object"] = "auto"
    probe_timeout_s: float = 3.0
    max_tokens: int = 500
    temperature: float = 0.0
    _rung: int = field(default=0, init=False)
    _format_confirmed: bool = field(default=False, init=False)
    health: ServerHealth = field(default_factory=ServerHealth)
    metrics: Metrics | None = None  # counts calls, tokens (and, by its users, fallbacks)
    _openai: AsyncOpenAI | None = field(default=None, init=False)
    _users: int = field(default=0, init=False)

    @classmethod
    def from_settings(
        cls, llm: LlmSettings, health: ServerHealth | None = None, metrics: Metrics | None = None
    ) -> LlmClient:
        """A client for the configured server; the SDK's own retries are off (ours count).

        Pass the same `health` to every client of one server, so they share what it learnt.
        """

        def make_openai() -> AsyncOpenAI:
            return AsyncOpenAI(
                api_key=llm.api_key.get_secret_value() if llm.api_key else NO_KEY,
                base_url=llm.base_url,
                timeout=llm.timeout_s,
                max_retries=0,
            )

        return cls(
            make_openai=make_openai,
            model=llm.model,
            timeout_s=llm.timeout_s,
            max_retries=llm.max_retries,
            response_format=llm.response_format,
            probe_timeout_s=llm.probe_timeout_s,
            max_tokens=llm.max_tokens,
            temperature=llm.temperature,
            health=health or ServerHealth(),
            metrics=metrics,
        )

    @asynccontextmanager
    async def connected(self) -> AsyncIterator[AsyncOpenAI]:
        """The SDK client, opened for the first user and closed when the last one leaves."""
        if self._openai is None:
            self._openai = self.make_openai()
        openai = self._openai
        self._users += 1
        try:
            yield openai
        finally:
            self._users -= 1
            if self._users == 0:
                self._openai = None
                await openai.close()

    async def reachable(self) -> bool:
        """Whether the server answers a cheap request (the model list); cached."""
        if self.health.reachable or self.health.recently_silent():
            return bool(self.health.reachable)
        if await self._probe():
            self.health.answered()
        else:
            self.health.fell_silent()
        return bool(self.health.reachable)

    async def _probe(self) -> bool:
        try:
            async with self.connected() as openai, asyncio.timeout(self.probe_timeout_s):
                await openai.models.list(timeout=self.probe_timeout_s)
        except (TimeoutError, APIConnectionError):
            log.warning("LLM server not reachable; using the extractive summariser")
            return False
        except APIStatusError as error:
            # The server answered: only a refused key makes it unusable.
            if error.status_code in (401, 403):
                log.warning("LLM server refused the API key (HTTP %s)", error.status_code)
                return False
        return True

    async def complete_json(
        self,
        messages: list[dict[str, str]],
        *,
        schema_name: str,
        schema: dict[str, Any],
        deadline: Deadline,
    ) -> Completion:
        """One JSON object from the model, retried within `deadline`; raises LlmFailure."""
        try:
            completion = await self._complete_json(
                messages, schema_name=schema_name, schema=schema, deadline=deadline
            )
        except LlmFailure as error:
            if self.metrics is not None:
                self.metrics.llm_call(ok=False, tokens=error.tokens)
            raise
        if self.metrics is not None:
            self.metrics.llm_call(ok=True, tokens=completion.tokens)
        return completion

    async def _complete_json(
        self,
        messages: list[dict[str, str]],
        *,
        schema_name: str,
        schema: dict[str, Any],
        deadline: Deadline,
    ) -> Completion:
        if self.health.recently_silent():
            raise _silent_failure(self.health)
        failures = 0
        while True:
            remaining = deadline.remaining()
            if remaining < 0.05:
                raise LlmFailure("the LLM time budget of this digest ran out")
            try:
                content, tokens = await self._create(
                    messages, schema_name, schema, min(self.timeout_s, remaining)
                )
            except _FormatRefused:
                continue  # switched to JSON mode: try again at once
            except _Retryable as error:
                failures += 1
                wait = error.wait_s
                if failures > self.max_retries or wait >= deadline.remaining() - 0.05:
                    raise LlmFailure(error.reason) from None
                if self.health.recently_silent():  # not worth a second timeout
                    raise LlmFailure(error.reason) from None
                await asyncio.sleep(wait)
                continue
            try:
                return Completion(data=parse_json_object(content), tokens=tokens)
            except LlmFailure as error:
                raise LlmFailure(str(error), tokens=tokens) from None

    async def _create(
        self,
        messages: list[dict[str, str]],
        schema_name: str,
        schema: dict[str, Any],
        limit_s: float,
    ) -> tuple[str, int]:
        fmt = self._format()
        # Plain dicts are what the wire carries; the SDK's TypedDicts accept them at runtime.
        wire_messages: Any = messages
        response_format: Any = _response_format(fmt, schema_name, schema)
        try:
            # The SDK's timeout bounds each read; this bounds the whole call.
            async with self.connected() as openai, asyncio.timeout(limit_s):
                response = await openai.chat.completions.create(
                    model=self.model,
                    messages=wire_messages,
                    response_format=response_format,
                    max_tokens=self.max_tokens,
                    temperature=self.temperature,
                    timeout=limit_s,
                )
        # APITimeoutError is an APIConnectionError: it must be caught first.
        except (TimeoutError, APITimeoutError):
            if limit_s >= self.timeout_s:  # not when only this digest's budget ran short
                self.health.fell_silent()
            raise _Retryable(f"the LLM did not answer within {_seconds(limit_s)}", 0.0) from None
        except APIConnectionError:
            self.health.fell_silent()
            raise _Retryable("the LLM server could not be reached", 0.5) from None
        except RateLimitError as error:
            raise _Retryable("the LLM server is rate limiting (429)", retry_after(error)) from None
        except APIStatusError as error:
            if self._format_refused(error, fmt):
                self._step_down_format(error, fmt)
                raise _FormatRefused from None
            if error.status_code >= 500:
                raise _Retryable(f"the LLM server failed ({error.status_code})", 0.5) from None
            raise LlmFailure(f"the LLM server refused the request ({error.status_code})") from None
        self._format_confirmed = True
        self.health.answered()
        if not response.choices:
            raise LlmFailure("the LLM reply was empty")
        content = response.choices[0].message.content or ""
        tokens = response.usage.total_tokens if response.usage else _estimate_tokens(messages)
        return content, tokens

    def _ladder(self) -> tuple[FormatName, ...]:
        return FORMAT_LADDERS[self.response_format]

    def _format(self) -> FormatName:
        return self._ladder()[self._rung]

    def _format_refused(self, error: APIStatusError, fmt: FormatName) -> bool:
        # Until one format has worked, a 400/422 (or a 5xx naming the format: llama.cpp's
        # server answers 500 to a json_schema) means "not this format", if another is left.
        if self._format_confirmed or fmt not in self._ladder()[:-1]:
            return False
        if error.status_code in (400, 422):
            return True
        text = str(error.body or error.message).lower()
        return error.status_code >= 500 and ("response_format" in text or "schema" in text)

    def _step_down_format(self, error: APIStatusError, refused: FormatName) -> None:
        # Calls in flight together may all be refused the same format: step down once.
        if self._format() != refused:
            return
        self._rung += 1
        log.info(
            "LLM server refused response_format %s (HTTP %s: %.200s); trying %s",
            refused,
            error.status_code,
            error.message,
            self._format(),
        )


def _silent_failure(health: ServerHealth) -> LlmFailure:
    return LlmFailure(
        "the LLM server did not answer a recent request; it is tried again "
        f"{_seconds(health.recheck_s)} after that"
    )


class _FormatRefused(Exception):
    pass


class _Retryable(Exception):
    def __init__(self, reason: str, wait_s: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait_s = wait_s


def _seconds(value: float) -> str:
    # A digest's last call may get a fraction of a second: "within 0 s" would be untrue.
    return f"{value:.0f} s" if value >= 10 else f"{value:.2g} s"


def _response_format(fmt: FormatName, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    if fmt == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema}}
    if fmt == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    return {"type": "json_object"}


def retry_after(error: APIStatusError) -> float:
    """Seconds the server asked us to wait (retry-after-ms, retry-after seconds or date)."""
    headers = error.response.headers
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return 1.0
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return 1.0


def _estimate_tokens(messages: list[dict[str, str]]) -> int:
    # About four characters a token, for servers that report no usage.
    return sum(len(m["content"]) for m in messages) // 4 + 1


def parse_json_object(content: str) -> dict[str, Any]:
    """The JSON object in a reply (a ```json fence around it is tolerated); raises LlmFailure."""
    text = _FENCE.sub("", content.strip())
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise LlmFailure("the LLM reply was not valid JSON") from None
    if not isinstance(data, dict):
        raise LlmFailure("the LLM reply was not a JSON object")
    return data
