"""The small, frozen types that cross module boundaries.

Everything platform-neutral that moves through the pipeline is one of these: feeds produce
`Article`s, clustering groups them into `Story`s, a summariser turns a story into a
`DigestItem`, and a `Digest` (or a `Reply`) is what an adapter renders for a channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SummariserName = Literal["extractive", "llm"]


@dataclass(frozen=True)
class Article:
    """One normalised feed entry: plain text only, canonical URL, UTC times."""

    id: str  # stable: hash of the canonical URL (or of feed URL + entry id when no link)
    url: str  # canonical: tracking parameters and fragment removed
    title: str
    text: str
    outlet: str  # the publication's display name, e.g. "Harbour Gazette"
    published: datetime  # tz-aware UTC; fetch time when the feed gave none or a bad one
    feed_url: str = ""
    fetched: datetime | None = None


@dataclass(frozen=True)
class Source:
    """An outlet and the article of it that a digest item or answer draws on."""

    name: str
    url: str
    article_id: str = ""


@dataclass(frozen=True)
class Sentence:
    """One shown sentence and the sources that support it (never empty)."""

    text: str
    sources: tuple[Source, ...]


def outlet_list(names: list[str] | tuple[str, ...]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _distinct_names(sources: tuple[Source, ...]) -> list[str]:
    seen: dict[str, None] = {}
    for source in sources:
        seen.setdefault(source.name, None)
    return list(seen)


@dataclass(frozen=True)
class Story:
    """Articles from one or more outlets about the same event."""

    id: str  # stable: derived from the member article ids
    articles: tuple[Article, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        """Distinct outlet names, in first-seen order."""
        seen: dict[str, None] = {}
        for article in self.articles:
            seen.setdefault(article.outlet, None)
        return tuple(seen)

    @property
    def latest(self) -> datetime:
        return max(a.published for a in self.articles)


@dataclass(frozen=True)
class SentenceCheck:
    """The verdict on one sentence an LLM wrote: shown, or withheld and why (for `--explain`)."""

    text: str
    shown: bool
    reason: str = ""  # why it was withheld; empty when shown
    passage: str = ""  # where the cited article supports it, e.g. "sentences 2-3 of Outlet"


# An item's note when its articles had text but none of it could be shown (sponsor reads, a
# list of links, a quotation with no speaker): its summary must not claim "headline only".
NOTHING_TO_QUOTE = (
    "no sentence of the text can be shown on its own (sponsor reads, links, page furniture "
    "or a quotation without its speaker); see the link."
)


@dataclass(frozen=True)
class DigestItem:
    """One story in a digest: neutral headline, 1-3 sentence summary, its sources."""

    story_id: str
    headline: str
    sentences: tuple[Sentence, ...]
    sources: tuple[Source, ...]
    summariser: SummariserName
    note: str = ""  # e.g. why the LLM summary was replaced by the extractive one
    # LLM sentences the check withheld, and the verdict on each sentence the LLM wrote.
    withheld: int = 0
    checks: tuple[SentenceCheck, ...] = ()

    @property
    def summary(self) -> str:
        """Exactly the summary a channel shows for this item, with the outlets named.

        One outlet: "<sentences> (Outlet)". Several: "Reported by A, B and C." followed by
        each sentence tagged with the outlet(s) it came from, so disagreements stay
        attributed. Adapters, the CLI and the batch `summarise` contract all show this text.
        """
        outlets = _distinct_names(self.sources)
        if not self.sentences:
            if self.note.endswith(NOTHING_TO_QUOTE):  # text there, none of it content
                return f"No summary: {NOTHING_TO_QUOTE}"
            return f"No summary: {outlet_list(outlets) or 'the source'} gave a headline only."
        if len(outlets) <= 1 and all(_distinct_names(s.sources) == outlets for s in self.sentences):
            text = " ".join(s.text for s in self.sentences)
            return f"{text} ({outlets[0]})" if outlets else text
        tagged = " ".join(
            f"{s.text} ({outlet_list(_distinct_names(s.sources))})" for s in self.sentences
        )
        return f"Reported by {outlet_list(outlets)}. {tagged}"


@dataclass(frozen=True)
class Digest:
    """A platform-neutral digest, rendered by adapters or the CLI."""

    title: str
    period_start: datetime
    period_end: datetime
    items: tuple[DigestItem, ...]
    id: str = ""  # set once stored (outbox / digests table)


@dataclass(frozen=True)
class ChannelRef:
    """Where a command came from or a digest goes: platform, workspace/server, channel."""

    platform: str  # "discord" | "slack" | "console"
    workspace: str
    channel: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.workspace}:{self.channel}"


@dataclass(frozen=True)
class Caller:
    """Who ran a command. `can_manage` is decided by the adapter from platform permissions."""

    user_id: str
    can_manage: bool = False
    display_name: str = ""


@dataclass(frozen=True)
class Reply:
    """A platform-neutral answer to a command: text plus the sources it cites."""

    text: str
    ok: bool = True
    ephemeral: bool = False  # only the caller should see it (refusals, errors, settings)
    citations: tuple[Source, ...] = ()
    digest: Digest | None = None  # commands like `digest` and `summary` return one
    lines: tuple[str, ...] = field(default=())  # optional list rows (list/status)
