"""Digests written for the Slack tests (fictional outlets and stories)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.models import Digest, DigestItem, Sentence, Source

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
END = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
OUTLETS = ("Harbour Gazette", "Tide Times", "Northfield Courier", "Valley Ledger")


def item(n: int, *, headline: str = "", text: str = "", sources: int = 2) -> DigestItem:
    """Story number `n`, with `sources` outlets and a two-sentence summary."""
    cited = tuple(
        Source(OUTLETS[k % len(OUTLETS)], f"https://news{k}.example/story-{n}?a=1&b=2")
        for k in range(sources)
    )
    body = text or (
        f"The council of town {n} approved a new budget for harbour repairs on Tuesday. "
        f"Work on the eastern pier of town {n} is expected to start in the spring."
    )
    return DigestItem(
        story_id=f"s{n}",
        headline=headline or f"Town {n} approves harbour repair budget",
        sentences=(Sentence(body, cited),),
        sources=cited,
        summariser="extractive",
    )


def digest(count: int, **kwargs: Any) -> Digest:
    """A digest of `count` stories."""
    return Digest(
        title="Morning digest",
        period_start=START,
        period_end=END,
        items=tuple(item(n, **kwargs) for n in range(1, count + 1)),
        id="d-test",
    )
