"""The Prometheus metrics of one newsbot process (`newsbot_` prefix), on a registry passed in.

The composition root makes one `Metrics` per process with its own `CollectorRegistry`, and
the work modules count where the work happens (polling, building, delivery, the LLM client).
Labels are closed sets chosen here (a platform name, an outcome word): never a feed URL, a
channel or anything a user typed, so no credential or private address can reach a scrape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.exposition import generate_latest

# Platforms a post can go to; anything else is counted as "other" (labels stay a closed set).
PLATFORMS = ("discord", "slack", "console", "webhook")
LLM_OUTCOMES = ("ok", "failed")


def platform_label(platform: str) -> str:
    """The platform as a label value: one of PLATFORMS, else "other"."""
    return platform if platform in PLATFORMS else "other"


# (attribute, kind, Prometheus name, help, labels): every metric of a process.
_DEFINITIONS: tuple[tuple[str, type[Counter] | type[Gauge], str, str, tuple[str, ...]], ...] = (
    ("feeds_polled", Counter, "newsbot_feeds_polled", "Feeds polled (any outcome)", ()),
    ("feeds_failed", Counter, "newsbot_feeds_failed", "Feed polls that failed", ()),
    ("articles_stored", Counter, "newsbot_articles_stored", "New articles stored", ()),
    ("digests_built", Counter, "newsbot_digests_built", "Digests built and stored", ()),
    ("posts_sent", Counter, "newsbot_posts_sent", "Digests posted, by platform", ("platform",)),
    (
        "posts_refused",
        Counter,
        "newsbot_posts_refused",
        "Posts the platform refused for good (not retryable), by platform",
        ("platform",),
    ),
    (
        "llm_calls",
        Counter,
        "newsbot_llm_calls",
        "Requests for one LLM completion (retries included), by outcome",
        ("outcome",),
    ),
    (
        "llm_fallbacks",
        Counter,
        "newsbot_llm_fallbacks",
        "Digest items the LLM was asked for but the extractive summariser wrote",
        (),
    ),
    ("llm_tokens", Counter, "newsbot_llm_tokens", "Tokens the LLM server reported used", ()),
    (
        "queue_lag",
        Gauge,
        "newsbot_queue_lag_seconds",
        "Age of the oldest work waiting to run (jobs: the job queue; outbox: posts due)",
        ("queue",),
    ),
    (
        "queue_depth",
        Gauge,
        "newsbot_queue_depth",
        "Work waiting to run (jobs: the job queue; outbox: posts due)",
        ("queue",),
    ),
)


@dataclass(frozen=True)
class Metrics:
    """What this process did since it started, as Prometheus counters and gauges."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    feeds_polled: Counter = field(init=False)
    feeds_failed: Counter = field(init=False)
    articles_stored: Counter = field(init=False)
    digests_built: Counter = field(init=False)
    posts_sent: Counter = field(init=False)
    posts_refused: Counter = field(init=False)
    llm_calls: Counter = field(init=False)
    llm_fallbacks: Counter = field(init=False)
    llm_tokens: Counter = field(init=False)
    queue_lag: Gauge = field(init=False)
    queue_depth: Gauge = field(init=False)

    def __post_init__(self) -> None:
        for attribute, kind, name, doc, labels in _DEFINITIONS:
            metric = kind(name, doc, labels, registry=self.registry)
            object.__setattr__(self, attribute, metric)  # frozen: set once, here
        # Every labelled series exists from the start, so a scrape shows 0 rather than nothing.
        for platform in (*PLATFORMS, "other"):
            self.posts_sent.labels(platform=platform)
            self.posts_refused.labels(platform=platform)
        for outcome in LLM_OUTCOMES:
            self.llm_calls.labels(outcome=outcome)

    def feed_polled(self, *, failed: bool, new_articles: int) -> None:
        """One feed was polled; `failed` when it could not be read or stored."""
        self.feeds_polled.inc()
        if failed:
            self.feeds_failed.inc()
        if new_articles:
            self.articles_stored.inc(new_articles)

    def digest_built(self) -> None:
        self.digests_built.inc()

    def post_sent(self, platform: str) -> None:
        self.posts_sent.labels(platform=platform_label(platform)).inc()

    def post_refused(self, platform: str) -> None:
        self.posts_refused.labels(platform=platform_label(platform)).inc()

    def llm_call(self, *, ok: bool, tokens: int) -> None:
        self.llm_calls.labels(outcome="ok" if ok else "failed").inc()
        if tokens:
            self.llm_tokens.inc(tokens)

    def llm_fell_back(self, items: int = 1) -> None:
        if items:
            self.llm_fallbacks.inc(items)

    def set_queue(self, queue: str, *, depth: int, lag_s: float) -> None:
        """What waits in `queue` ("outbox" or "jobs") right now, and for how long."""
        self.queue_depth.labels(queue=queue).set(depth)
        self.queue_lag.labels(queue=queue).set(max(lag_s, 0.0))

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)
