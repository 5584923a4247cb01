"""A `Digest` as people read it (text, Markdown) and as it is stored (a JSON-ready dict).

How an item's summary reads, outlet names included, is decided in one place:
`DigestItem.summary` (`item_summary_text` here), shown alike by adapters, the CLI and the
batch `summarise` contract.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

from bot.errors import BadInput
from bot.models import NOTHING_TO_QUOTE, Digest, DigestItem, Sentence, Source, SummariserName

_SUMMARISERS: tuple[SummariserName, ...] = ("extractive", "llm")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~>])")


def item_summary_text(item: DigestItem) -> str:
    """Exactly the summary a channel shows for one item (`DigestItem.summary`)."""
    return item.summary


# How the notes written for readers begin (by the extractive summariser). Every other note
# says why the LLM's text was not used, and is for the operator.
READER_NOTES = ("Outlets differ:", "Not in English:", NOTHING_TO_QUOTE)


def reader_note(item: DigestItem) -> str:
    """The part of an item's note meant for readers ("Outlets differ: ...", "Not in English").

    Why the LLM's summary or headline was not used ("LLM summary rejected: loaded language
    '...'") is for the operator: it can repeat the very words that were refused, and it is
    in the log. Readers see only the neutral label (`Summary: extractive`). The LLM's
    reason comes first when both are there ("<reason>; <reader note>").
    """
    note = item.note.strip()
    starts = [note.find(opening) for opening in READER_NOTES if opening in note]
    return note[min(starts) :] if starts else ""


def _period(digest: Digest) -> str:
    """The period in the zone its times carry: a channel's digest is built in its own zone."""
    start = digest.period_start.strftime("%Y-%m-%d %H:%M")
    end = digest.period_end.strftime("%Y-%m-%d %H:%M %Z").strip()
    return f"{start} – {end}"


def render_text(digest: Digest) -> str:
    """Plain text for terminals and logs: numbered items, summary, sources with links."""
    lines = [digest.title, _period(digest), ""]
    if not digest.items:
        lines.append("No stories in this period.")
    for number, item in enumerate(digest.items, start=1):
        lines.append(f"{number}. {item.headline}")
        lines.append(f"   {item_summary_text(item)}")
        sources = ", ".join(f"{s.name} <{s.url}>" if s.url else s.name for s in item.sources)
        lines.append(f"   Sources: {sources}")
        if note := reader_note(item):
            lines.append(f"   Note: {note}")
        lines.append(f"   Summary: {item.summariser}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def escape_markdown(text: str) -> str:
    """Text shown literally in Markdown: no accidental links, emphasis or headings."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _markdown_link(source: Source) -> str:
    name = escape_markdown(source.name)
    if not source.url.startswith(("https://", "http://")):
        return name
    url = quote(source.url, safe=":/?&=%#@!$'*+,;~-._")
    return f"[{name}]({url})"


def render_markdown(digest: Digest) -> str:
    """Markdown for chat and files; text is escaped, links only to the sources' http(s) URLs."""
    lines = [f"# {escape_markdown(digest.title)}", f"_{_period(digest)}_", ""]
    if not digest.items:
        lines.append("No stories in this period.")
    for number, item in enumerate(digest.items, start=1):
        lines.append(f"## {number}. {escape_markdown(item.headline)}")
        lines.append(escape_markdown(item_summary_text(item)))
        lines.append("")
        lines.append("Sources: " + " · ".join(_markdown_link(s) for s in item.sources))
        if note := reader_note(item):
            lines.append(f"_{escape_markdown(note)}_")
        lines.append(f"_Summary: {item.summariser}_")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _source_dict(source: Source) -> dict[str, str]:
    return {"name": source.name, "url": source.url, "article_id": source.article_id}


def item_to_dict(item: DigestItem) -> dict[str, Any]:
    """One item as JSON-ready data, its shown summary included."""
    return {
        "story_id": item.story_id,
        "headline": item.headline,
        "summary": item_summary_text(item),
        "sentences": [
            {"text": s.text, "sources": [_source_dict(x) for x in s.sources]}
            for s in item.sentences
        ],
        "sources": [_source_dict(s) for s in item.sources],
        "summariser": item.summariser,
        "note": item.note,
    }


def digest_to_dict(digest: Digest) -> dict[str, Any]:
    """The digest as JSON-ready data; `digest_from_dict` reverses it exactly."""
    return {
        "id": digest.id,
        "title": digest.title,
        "period_start": digest.period_start.isoformat(),
        "period_end": digest.period_end.isoformat(),
        "items": [item_to_dict(item) for item in digest.items],
    }


def digest_from_dict(data: Any) -> Digest:
    """Rebuild a `Digest` from `digest_to_dict` output; raises `BadInput` if it is not one."""
    try:
        return Digest(
            id=_text(data.get("id", "")),
            title=_text(data["title"]),
            period_start=_when(data["period_start"]),
            period_end=_when(data["period_end"]),
            items=tuple(_item_from_dict(item) for item in _list(data["items"])),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise BadInput(f"This is not a stored digest ({error!s}).") from error


def _item_from_dict(data: Any) -> DigestItem:
    summariser = data["summariser"]
    if summariser not in _SUMMARISERS:
        raise ValueError(f"unknown summariser {summariser!r}")
    return DigestItem(
        story_id=_text(data["story_id"]),
        headline=_text(data["headline"]),
        sentences=tuple(
            Sentence(
                text=_text(s["text"]),
                sources=tuple(_source_from_dict(x) for x in _list(s["sources"])),
            )
            for s in _list(data["sentences"])
        ),
        sources=tuple(_source_from_dict(x) for x in _list(data["sources"])),
        summariser=cast(SummariserName, summariser),
        note=_text(data.get("note", "")),
    )


def _source_from_dict(data: Any) -> Source:
    return Source(
        name=_text(data["name"]),
        url=_text(data["url"]),
        article_id=_text(data.get("article_id", "")),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _when(value: Any) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError("times must carry a UTC offset")
    return moment
