"""Digest fixtures written for these tests (no evaluation texts)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Digest, DigestItem, Sentence, Source

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def make_item(
    number: int,
    *,
    outlets: int = 2,
    sentence_words: int = 30,
    headline: str = "",
    summariser: str = "extractive",
) -> DigestItem:
    """A plausible story with `outlets` sources and three sentences of about `sentence_words`."""
    sources = tuple(
        Source(
            name=f"Outlet {chr(65 + k)} Daily" if k < 26 else f"Outlet {k} Daily",
            url=f"https://outlet{k}.example/news/2026/11/story-{number}-part_{k}?id={number}",
            article_id=f"a{number}-{k}",
        )
        for k in range(outlets)
    )
    words = " ".join(f"council{number}" if i % 7 == 0 else "harbour" for i in range(sentence_words))
    sentences = tuple(
        Sentence(text=f"Sentence {s} of story {number}: {words}.", sources=(sources[s % outlets],))
        for s in range(3)
    )
    return DigestItem(
        story_id=f"story-{number}",
        headline=headline or f"Story {number}: harbour council approves the new ferry timetable",
        sentences=sentences,
        sources=sources,
        summariser="llm" if summariser == "llm" else "extractive",
    )


def make_digest(items: int, **item_options: object) -> Digest:
    return Digest(
        title="Daily digest for #news, 25 November 2026",
        period_start=START,
        period_end=START + timedelta(days=1),
        items=tuple(make_item(n, **item_options) for n in range(1, items + 1)),  # type: ignore[arg-type]
    )
