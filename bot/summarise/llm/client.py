"""LLM summaries and answers through the OpenAI API, each sentence checked before it is shown.

Works with OpenAI and with OpenAI-compatible servers (Ollama, vLLM, llama.cpp). Every call has
its own timeout, all calls of one digest share a deadline, and each scope (channel or server)
has a daily token budget. Whatever goes wrong for an item (timeout, rate limit, server error,
malformed JSON, a sentence its sources do not support) that item is the extractive summary,
labelled with the reason; the digest never waits past its budget.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    RateLimitError,
)

from bot.config import LlmSettings
from bot.errors import ConfigError
from bot.models import Article, DigestItem, Sentence, Source, Story
from bot.summarise.base import Answer, Answerer, Summariser
from bot.summarise.grounding import (
    MIN_SOURCE_COVERAGE,
    LoadedFinder,
    check_sentence,
    with_full_stop,
)

if TYPE_CHECKING:
    from bot.store.db import Database
    from bot.store.usage import UsageStore

log = logging.getLogger("newsbot.llm")

Clock = Callable[[], datetime]
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
PROMPT_NAMES = ("system", "story_summary", "digest_headline", "answer")
_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)
# Outlets of one story sent to the model (the item still names every outlet), and the
# longest headline shown.
MAX_PROMPT_ARTICLES = 6
MAX_HEADLINE_WORDS = 20
# A server that failed a probe, or let a call time out or could not be connected to, is
# left alone for this long (calls fail at once, items fall back to extractive), then tried
# again, so a bot outlives a restarting LLM server without waiting on a hung one each time.
_UNREACHABLE_RECHECK_S = 60.0


def resolve_api_key(llm: LlmSettings) -> str | None:
    """The API key: NEWSBOT_LLM__API_KEY (settings), else OPENAI_API_KEY; never from files."""
    if llm.api_key is not None and llm.api_key.get_secret_value():
        return llm.api_key.get_secret_value()
    return os.environ.get("OPENAI_API_KEY") or None


def resolve_base_url(llm: LlmSettings) -> str | None:
    """The server: `llm.base_url`, else OPENAI_BASE_URL; None means OpenAI itself."""
    return llm.base_url or os.environ.get("OPENAI_BASE_URL") or None


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
class Prompts:
    """The prompt templates, read from `prompts/*.md`."""

    system: str
    story_summary: str
    digest_headline: str
    answer: str

    @classmethod
    def load(cls, folder: str | Path = "") -> Prompts:
        """Read the templates from `folder`, or from the bundled `prompts/` when empty."""
        where = Path(folder) if folder else bundled_prompts_dir()
        texts: dict[str, str] = {}
        for name in PROMPT_NAMES:
            path = where / f"{name}.md"
            try:
                texts[name] = path.read_text(encoding="utf-8").strip()
            except OSError:
                raise ConfigError(
                    f"prompt template {path} cannot be read; set llm.prompts_dir to a folder "
                    f"holding {', '.join(n + '.md' for n in PROMPT_NAMES)}."
                ) from None
        return cls(**texts)


def bundled_prompts_dir() -> Path:
    """`prompts/` of a source checkout (editable install), else the installed copy."""
    import sys

    candidates = (
        Path(__file__).resolve().parents[2] / "prompts",
        Path(sys.prefix) / "share" / "newsbot" / "prompts",
    )
    for candidate in candidates:
        if (candidate / "system.md").is_file():
            return candidate
    return candidates[0]


def render(template: str, **values: str) -> str:
    """Fill `{{name}}` placeholders (braces of JSON examples stay as they are)."""
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", value)
    return template


def chat_messages(system: str, user: str, *, system_role: bool) -> list[dict[str, str]]:
    """The rules and the task; the rules go first in the user turn when there is no system role."""
    if system_role:
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return [{"role": "user", "content": f"{system}\n\n{user}"}]


def data_block(payload: dict[str, Any]) -> str:
    """Article data as JSON in which `<` and `>` are escaped, so no text can close the block."""
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e")


def sentences_schema(ids: Sequence[str], *, min_items: int, max_items: int) -> dict[str, Any]:
    """A list of {text, sources} where sources name only the given article ids.

    The bounds and the id enum matter to grammar-constrained servers (llama.cpp): without
    them a small model closes the list at once or invents ids until it runs out of tokens.
    """
    return {
        "type": "array",
        "minItems": min_items,
        "maxItems": max_items,
        "items": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "sources": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": len(ids),
                    "items": {"type": "string", "enum": list(ids)},
                },
            },
            "required": ["text", "sources"],
            "additionalProperties": False,
        },
    }


def summary_schema(ids: Sequence[str], max_sentences: int) -> dict[str, Any]:
    """The reply of a story summary: a headline and 1..max_sentences cited sentences."""
    return {
        "type": "object",
        "properties": {
            "headline": {"type": "string"},
            "sentences": sentences_schema(ids, min_items=1, max_items=max_sentences),
        },
        "required": ["headline", "sentences"],
        "additionalProperties": False,
    }


def answer_schema(ids: Sequence[str], max_sentences: int) -> dict[str, Any]:
    """The reply to a question: found, and up to max_sentences cited sentences."""
    return {
        "type": "object",
        "properties": {
            "found": {"type": "boolean"},
            "sentences": sentences_schema(ids, min_items=0, max_items=max_sentences),
        },
        "required": ["found", "sentences"],
        "additionalProperties": False,
    }


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
    _openai: AsyncOpenAI | None = field(default=None, init=False)
    _users: int = field(default=0, init=False)

    @classmethod
    def from_settings(cls, llm: LlmSettings, health: ServerHealth | None = None) -> LlmClient:
        """A client for the configured server; the SDK's own retries are off (ours count).

        Pass the same `health` to every client of one server, so they share what it learnt.
        """

        def make_openai() -> AsyncOpenAI:
            return AsyncOpenAI(
                api_key=resolve_api_key(llm) or NO_KEY,
                base_url=resolve_base_url(llm),
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


class UsageBudget:
    """Daily tokens per scope: in the `llm_usage` table when a database is given, else in memory."""

    def __init__(self, daily_tokens: int, store: UsageStore | None, clock: Clock) -> None:
        self._daily = daily_tokens
        self._store = store
        self._clock = clock
        self._memory: dict[tuple[str, str], int] = {}

    @classmethod
    def from_settings(cls, llm: LlmSettings, db: Database | None, clock: Clock) -> UsageBudget:
        """The budget of `llm.daily_token_budget` tokens (0 = unlimited)."""
        from bot.store.usage import UsageStore

        return cls(llm.daily_token_budget, UsageStore(db) if db is not None else None, clock)

    def _key(self, scope: str) -> tuple[str, str]:
        return (scope or "global", self._clock().date().isoformat())

    async def spent(self, scope: str) -> bool:
        """True when `scope` has used its tokens for today."""
        if self._daily == 0:
            return False
        key = self._key(scope)
        used = await self._store.tokens_used(*key) if self._store else self._memory.get(key, 0)
        return used >= self._daily

    async def record(self, scope: str, tokens: int) -> None:
        """Add what a call cost to today's counter of `scope`."""
        key = self._key(scope)
        if self._store:
            await self._store.add_tokens(*key, tokens)
        else:
            self._memory[key] = self._memory.get(key, 0) + tokens


@dataclass(frozen=True)
class Draft:
    """A sentence as the model wrote it, with the articles it cites."""

    text: str
    cited: tuple[Article, ...]


class Rejected(Exception):
    """A reply that cannot be shown; `str(error)` is the reason readers may see.

    `quoted` is the model's own text that was refused, for the operator's log only: it may
    carry the very mention or link that was refused, so it never goes into a note.
    """

    def __init__(self, reason: str, *, quoted: str = "") -> None:
        super().__init__(reason)
        self.quoted = quoted

    def for_log(self) -> str:
        return f"{self} (in {_clip(self.quoted)!r})" if self.quoted else str(self)


def short_ids(articles: Sequence[Article]) -> dict[str, Article]:
    """Ids the model can copy reliably ("A1", "A2", ...) for the articles, in order."""
    return {f"A{index}": article for index, article in enumerate(articles, start=1)}


def articles_payload(ids: dict[str, Article], max_chars: int) -> list[dict[str, str]]:
    """The articles as data: id, outlet, title, text (cut to `max_chars`)."""
    return [
        {"id": key, "outlet": a.outlet, "title": a.title, "text": a.text[:max_chars]}
        for key, a in ids.items()
    ]


def read_drafts(data: dict[str, Any], ids: dict[str, Article], limit: int) -> list[Draft]:
    """The sentences of a reply with their cited articles; raises Rejected when malformed."""
    raw = data.get("sentences")
    if not isinstance(raw, list):
        raise Rejected("the LLM reply has no sentence list")
    drafts: list[Draft] = []
    for entry in raw[:limit]:
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise Rejected("an LLM sentence is not of the expected shape")
        sources = entry.get("sources")
        if not isinstance(sources, list) or not sources:
            raise Rejected("a sentence cites no source", quoted=entry["text"])
        cited: list[Article] = []
        for source in sources:
            key = _source_key(source)
            if key not in ids:
                raise Rejected("a sentence cites an unknown source", quoted=str(source))
            if ids[key] not in cited:
                cited.append(ids[key])
        drafts.append(Draft(text=" ".join(entry["text"].split()), cited=tuple(cited)))
    return drafts


def _source_key(source: object) -> str:
    key = str(source).strip().strip("[]()").strip().upper()
    return f"A{key}" if key.isdigit() else key


def _clip(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def source_of(article: Article) -> Source:
    """The citation of one article."""
    return Source(name=article.outlet, url=article.url, article_id=article.id)


def story_sources(story: Story) -> tuple[Source, ...]:
    """One source per outlet of the story, first-seen order: every outlet is named."""
    seen: dict[str, Source] = {}
    for article in story.articles:
        seen.setdefault(article.outlet, source_of(article))
    return tuple(seen.values())


def default_loaded_finder() -> LoadedFinder:
    """Loaded wording by the project's neutral lexicon (`bot.summarise.neutral.assess`)."""
    from bot.summarise.neutral import assess

    def find_loaded(text: str) -> list[str]:
        # "opinion" (should/must) is common in plain reporting of what someone said; loaded
        # words, sarcasm, "!" and "?" are not. A capitalised word inside the sentence is
        # part of a name ("the Chinese Communist Party"), not the writer's judgement.
        return [
            term
            for term in assess(text).terms
            if term != "opinion" and not _inside_a_name(term, text)
        ]

    return find_loaded


def _inside_a_name(term: str, text: str) -> bool:
    position = text.find(term)
    return position > 0 and term[:1].isupper() and not term.isupper()


@dataclass
class GroundingRules:
    """What a sentence must satisfy: coverage thresholds and the loaded-language finder.

    `min_coverage` is for all the articles a sentence cites together, `min_source_coverage`
    for each of them on its own.
    """

    min_coverage: float = 0.75
    loaded: LoadedFinder | None = None
    min_source_coverage: float = MIN_SOURCE_COVERAGE

    def check(
        self, draft: Draft, allowed_urls: Sequence[str], *, headline: bool = False
    ) -> str | None:
        """None when `draft` is grounded, else why it is not."""
        return check_sentence(
            draft.text,
            draft.cited,
            allowed_urls=allowed_urls,
            min_coverage=self.min_coverage,
            min_source_coverage=self.min_source_coverage,
            loaded=self.loaded,
            headline=headline,
        )


class LlmSummariser:
    """Digest items written by the LLM; each item falls back to extractive on any failure."""

    name = "llm"

    def __init__(
        self,
        client: LlmClient,
        settings: LlmSettings,
        *,
        fallback: Summariser,
        budget: UsageBudget,
        rules: GroundingRules | None = None,
        prompts: Prompts | None = None,
    ) -> None:
        self._client = client
        self._settings = settings
        self._fallback = fallback
        self._budget = budget
        self._rules = rules or GroundingRules(settings.min_coverage, default_loaded_finder())
        self._prompts = prompts or Prompts.load(settings.prompts_dir)

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        """One item per story; all calls share the digest's time budget."""
        fallbacks = await self._fallback.summarise_stories(
            stories, max_sentences=max_sentences, scope=scope
        )
        slots = asyncio.Semaphore(self._settings.concurrency)
        async with self._client.connected():
            # Started once the SDK client is open: opening it is not the server's time.
            deadline = Deadline(self._settings.digest_budget_s)

            async def one(story: Story, fallback: DigestItem) -> DigestItem:
                async with slots:
                    return await self.summarise_story(
                        story, fallback, max_sentences=max_sentences, scope=scope, deadline=deadline
                    )

            return list(await asyncio.gather(*map(one, stories, fallbacks)))

    async def summarise_story(
        self,
        story: Story,
        fallback: DigestItem,
        *,
        max_sentences: int,
        scope: str,
        deadline: Deadline,
    ) -> DigestItem:
        """The LLM item for `story` if every sentence is grounded, else `fallback`, labelled."""
        if deadline.remaining() < 0.05:
            return _labelled(fallback, "the LLM time budget of this digest ran out")
        if await self._budget.spent(scope):
            return _labelled(fallback, "today's LLM token budget is spent")
        ids = short_ids(story.articles[:MAX_PROMPT_ARTICLES])
        messages = self._messages(ids, max_sentences)
        try:
            completion = await self._client.complete_json(
                messages,
                schema_name="story_summary",
                schema=summary_schema(list(ids), max_sentences),
                deadline=deadline,
            )
        except LlmFailure as error:
            log.info("LLM summary of story %s failed: %s", story.id, error)
            if error.tokens:
                await self._budget.record(scope, error.tokens)
            return _labelled(fallback, f"LLM unavailable: {error}")
        await self._budget.record(scope, completion.tokens)
        try:
            return self._grounded_item(story, ids, completion.data, max_sentences, fallback)
        except Rejected as error:
            log.info("LLM summary of story %s rejected: %s", story.id, error.for_log())
            return _labelled(fallback, f"LLM summary rejected: {error}")

    def _messages(self, ids: dict[str, Article], max_sentences: int) -> list[dict[str, str]]:
        payload = {"articles": articles_payload(ids, self._settings.max_article_chars)}
        user = render(
            self._prompts.story_summary,
            headline_rules=self._prompts.digest_headline,
            max_sentences=str(max_sentences),
            data=data_block(payload),
        )
        return chat_messages(self._prompts.system, user, system_role=self._settings.system_role)

    def _grounded_item(
        self,
        story: Story,
        ids: dict[str, Article],
        data: dict[str, Any],
        max_sentences: int,
        fallback: DigestItem,
    ) -> DigestItem:
        drafts = read_drafts(data, ids, max_sentences)
        if not drafts:
            raise Rejected("the LLM reply has no sentences")
        urls = [a.url for a in story.articles]
        for draft in drafts:
            reason = self._rules.check(draft, urls)
            if reason:
                raise Rejected(reason, quoted=draft.text)
        headline, note = self._headline(story, data.get("headline"), urls, fallback)
        return DigestItem(
            story_id=story.id,
            headline=headline,
            sentences=tuple(
                Sentence(text=with_full_stop(d.text), sources=tuple(source_of(a) for a in d.cited))
                for d in drafts
            ),
            sources=story_sources(story),
            summariser="llm",
            note=note,
        )

    def _headline(
        self, story: Story, raw: object, urls: Sequence[str], fallback: DigestItem
    ) -> tuple[str, str]:
        """The LLM's headline if it passes the same check, else the extractive one, noted."""
        # Shown on one line; a whole paragraph is not a headline.
        headline = " ".join(raw.split()) if isinstance(raw, str) else ""
        if not headline:
            reason: str | None = "none given"
        elif len(headline.split()) > MAX_HEADLINE_WORDS:
            reason = f"longer than {MAX_HEADLINE_WORDS} words"
        else:
            reason = self._rules.check(Draft(headline, story.articles), urls, headline=True)
        if reason is None:
            return headline, ""
        return fallback.headline, f"headline by the extractive summariser (LLM headline: {reason})"


def _labelled(item: DigestItem, note: str) -> DigestItem:
    # Keep the extractive summariser's own note (e.g. "not in English") after ours.
    return replace(
        item, summariser="extractive", note=f"{note}; {item.note}" if item.note else note
    )


class AutoSummariser:
    """The LLM when its server answers the probe, else the extractive summariser."""

    name = "auto"

    def __init__(self, client: LlmClient, *, llm: Summariser, fallback: Summariser) -> None:
        self._client = client
        self._llm = llm
        self._fallback = fallback

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        """LLM items when reachable; extractive items noting why otherwise."""
        if await self._client.reachable():
            return await self._llm.summarise_stories(
                stories, max_sentences=max_sentences, scope=scope
            )
        items = await self._fallback.summarise_stories(
            stories, max_sentences=max_sentences, scope=scope
        )
        return [_labelled(item, "LLM server not reachable") for item in items]


class LlmAnswerer:
    """Answers follow-up questions with the LLM; ungrounded or failed answers go to `fallback`."""

    def __init__(
        self,
        client: LlmClient,
        settings: LlmSettings,
        *,
        fallback: Answerer | None,
        budget: UsageBudget,
        rules: GroundingRules | None = None,
        prompts: Prompts | None = None,
        probe_first: bool = False,
        max_sentences: int = 3,
    ) -> None:
        self._client = client
        self._settings = settings
        self._fallback = fallback
        self._budget = budget
        self._rules = rules or GroundingRules(settings.min_coverage, default_loaded_finder())
        self._prompts = prompts or Prompts.load(settings.prompts_dir)
        self._probe_first = probe_first
        self._max_sentences = max_sentences

    async def answer(
        self, question: str, articles: Sequence[Article], *, scope: str = ""
    ) -> Answer:
        """A grounded LLM answer, else the fallback's answer (or not-found when there is none)."""
        answer = await self.try_answer(question, articles, scope=scope)
        if answer is not None:
            return answer
        if self._fallback is not None:
            return await self._fallback.answer(question, articles, scope=scope)
        return Answer(sentences=(), summariser="extractive", found=False)

    async def try_answer(
        self, question: str, articles: Sequence[Article], *, scope: str = ""
    ) -> Answer | None:
        """The LLM's answer if every sentence is grounded; None when it cannot be used."""
        if not articles or not question.strip():
            return None
        if self._probe_first and not await self._client.reachable():
            return None
        if await self._budget.spent(scope):
            return None
        ids = short_ids(articles)
        payload = {
            "question": question[:500],
            "articles": articles_payload(ids, self._settings.max_article_chars),
        }
        user = render(
            self._prompts.answer, max_sentences=str(self._max_sentences), data=data_block(payload)
        )
        messages = chat_messages(self._prompts.system, user, system_role=self._settings.system_role)
        deadline = Deadline(min(self._settings.digest_budget_s, self._settings.timeout_s * 2))
        try:
            completion = await self._client.complete_json(
                messages,
                schema_name="answer",
                schema=answer_schema(list(ids), self._max_sentences),
                deadline=deadline,
            )
        except LlmFailure as error:
            log.info("LLM answer failed: %s", error)
            if error.tokens:
                await self._budget.record(scope, error.tokens)
            return None
        await self._budget.record(scope, completion.tokens)
        return self._grounded_answer(completion.data, ids, articles)

    def _grounded_answer(
        self, data: dict[str, Any], ids: dict[str, Article], articles: Sequence[Article]
    ) -> Answer | None:
        if data.get("found") is not True:
            return None  # the extractive answerer may still find it; it says so if not
        try:
            drafts = read_drafts(data, ids, self._max_sentences)
        except Rejected as error:
            log.info("LLM answer rejected: %s", error.for_log())
            return None
        urls = [a.url for a in articles]
        for draft in drafts:
            reason = self._rules.check(draft, urls)
            if reason:
                log.info("LLM answer rejected: %s", Rejected(reason, quoted=draft.text).for_log())
                return None
        if not drafts:
            return None
        sentences = tuple(
            Sentence(text=with_full_stop(d.text), sources=tuple(source_of(a) for a in d.cited))
            for d in drafts
        )
        return Answer(sentences=sentences, summariser="llm", found=True)
