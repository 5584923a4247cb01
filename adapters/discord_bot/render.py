"""Digest and Reply -> Discord messages (content + embeds), inside every Discord limit.

Discord rejects a whole message with a 400 when any limit is exceeded, so every piece of text
is fitted before it is placed (`adapters.discord_bot.text`), and messages are packed item by
item: a long digest is split between whole items, text is shortened only at word boundaries
and a source link is either shown whole or not at all (`adapters.discord_bot.links`). All feed
and model text is escaped (mentions and markdown), so a feed can neither ping anyone nor
smuggle formatting or masked links; the only markdown in the output is what this package
writes itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import discord

from adapters.discord_bot.links import as_uri, join_links, source_link
from adapters.discord_bot.text import (
    cut,
    discord_length,
    escape,
    fit,
    plain_fit,
    split_text,
)
from bot.digest.render import item_summary_text, reader_note
from bot.models import Digest, DigestItem, Reply, Source

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits),
# all counted in code points (see `adapters.discord_bot.text`).
CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
MESSAGE_EMBED_TOTAL = 6000
THREAD_NAME_LIMIT = 100
NONCE_LIMIT = 25

# Our own budgets, well inside the limits so that any one item always fits in a message.
SUMMARY_BUDGET = 1500  # about 250 words: a 1-3 sentence summary fits whole
SOURCES_BUDGET = 700
FOOTER_BUDGET = 300
MARKER_RESERVE = 80  # room kept in each message for the "ref" marker of the last footer

DIGEST_COLOUR = 0x2B6CB0
REPLY_COLOUR = 0x4A5568
REF_PREFIX = "ref "


@dataclass(frozen=True)
class DiscordMessage:
    """One message to send: plain content and up to ten embeds."""

    content: str
    embeds: tuple[discord.Embed, ...] = ()

    @property
    def embed_total(self) -> int:
        """Characters Discord counts against the 6000 limit for this message."""
        return sum(len(embed) for embed in self.embeds)


def idempotency_ref(key: str) -> str:
    """A short, stable reference to an outbox key, shown in the last footer of each post."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def part_nonce(key: str, part: int) -> str:
    """The nonce of message `part` of the post with this key (Discord allows 25 characters)."""
    nonce = f"{hashlib.sha256(key.encode('utf-8')).hexdigest()[:20]}-{part}"
    return nonce[:NONCE_LIMIT]


def ref_marker(key: str, part: int, parts: int) -> str:
    """The footer marker of message `part` (1-based) of `parts` for this key."""
    return f"{REF_PREFIX}{idempotency_ref(key)} {part}/{parts}"


def parse_ref_marker(footer: str) -> tuple[str, int, int] | None:
    """(ref, part, parts) from a footer carrying a marker, else None."""
    position = footer.rfind(REF_PREFIX)
    if position < 0:
        return None
    pieces = footer[position + len(REF_PREFIX) :].split()
    if len(pieces) < 2 or "/" not in pieces[1]:
        return None
    part, _, parts = pieces[1].partition("/")
    if not (part.isdigit() and parts.isdigit()):
        return None
    return pieces[0], int(part), int(parts)


def thread_name(digest: Digest) -> str:
    """A thread name of at most 100 characters (thread names show no markdown or pings)."""
    return plain_fit(f"Questions: {digest.title}", THREAD_NAME_LIMIT)


def summariser_label(item: DigestItem) -> str:
    """Who wrote the summary, shown with every item."""
    who = "LLM summary" if item.summariser == "llm" else "Extractive summary (sentences quoted)"
    note = reader_note(item)  # why an LLM summary was refused is for the operator's log
    return f"{who} · {note}" if note else who


def _summary_text(item: DigestItem) -> str:
    """The core's summary text for the item (outlets named), escaped and fitted."""
    return fit(" ".join(item_summary_text(item).split()), SUMMARY_BUDGET)


def item_embed(item: DigestItem) -> discord.Embed:
    """One digest item as an embed: neutral headline, summary, sources, who summarised it."""
    links = [
        f"{i + 1}. {source_link(s)}" if len(item.sources) > 1 else source_link(s)
        for i, s in enumerate(item.sources)
    ]
    sources = join_links(links, SOURCES_BUDGET)
    description = _summary_text(item)
    if sources:
        description = f"{description}\n{sources}" if description else sources
    embed = discord.Embed(
        title=fit(item.headline or "Untitled story", EMBED_TITLE_LIMIT),
        description=description or "No summary available.",
        url=as_uri(item.sources[0].url) if item.sources else None,
        colour=DIGEST_COLOUR,
    )
    embed.set_footer(text=plain_fit(summariser_label(item), FOOTER_BUDGET))
    return embed


def pack_embeds(embeds: Iterable[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages: at most 10 each and 6000 characters with the marker."""
    groups: list[list[discord.Embed]] = [[]]
    total = 0
    for embed in embeds:
        size = len(embed)  # discord.py sums the counted fields' code points, as Discord does
        current = groups[-1]
        if current and (
            len(current) >= EMBEDS_PER_MESSAGE
            or total + size + MARKER_RESERVE > MESSAGE_EMBED_TOTAL
        ):
            groups.append([])
            total = 0
        groups[-1].append(embed)
        total += size
    return [group for group in groups if group]


def digest_header(digest: Digest, part: int, parts: int, *, lead: str = "") -> str:
    """The content line of each digest message (the title, and the part when split)."""
    title = fit(digest.title or "News digest", 200)
    count = len(digest.items)
    stories = f"{count} {'story' if count == 1 else 'stories'}"
    header = f"**{title}** · {stories}" if part == 1 else f"**{title}** (continued)"
    if parts > 1:
        header += f" · part {part} of {parts}"
    if lead and part == 1:
        header = f"{fit(lead, 1500)}\n{header}"
    return cut(header, CONTENT_LIMIT)


def render_digest(digest: Digest, *, key: str = "", lead: str = "") -> list[DiscordMessage]:
    """A digest as one or more messages; with `key`, each last footer carries its ref marker."""
    embeds = [item_embed(item) for item in digest.items]
    if not embeds:
        embeds = [discord.Embed(description="No new stories in this period.", colour=DIGEST_COLOUR)]
    groups = pack_embeds(embeds)
    messages = []
    for number, group in enumerate(groups, start=1):
        if key:
            _add_marker(group[-1], ref_marker(key, number, len(groups)))
        messages.append(
            DiscordMessage(digest_header(digest, number, len(groups), lead=lead), tuple(group))
        )
    return messages


def _add_marker(embed: discord.Embed, marker: str) -> None:
    footer = embed.footer.text or ""
    embed.set_footer(text=f"{footer} · {marker}" if footer else marker)


def citations_text(citations: Sequence[Source]) -> str:
    """Numbered source links for an answer."""
    links = [f"{i + 1}. {source_link(s)}" for i, s in enumerate(citations)]
    return join_links(links, EMBED_DESCRIPTION_LIMIT - 200, label="Sources: ")


def render_reply(reply: Reply) -> list[DiscordMessage]:
    """A command's Reply as messages: short text as content, the rest as embeds."""
    if reply.digest is not None:
        # The core's text usually just repeats the digest's title; the header shows that.
        lead = "" if reply.digest.title in reply.text else reply.text
        return render_digest(reply.digest, lead=lead)
    # An answer's sources are the numbered links (the core's text never lists them).
    body = escape(reply.text.strip())
    if reply.lines:
        rows = "\n".join(escape(line) for line in reply.lines)
        body = f"{body}\n{rows}" if body else rows
    cited = citations_text(reply.citations) if reply.citations else ""
    if not cited and discord_length(body) <= CONTENT_LIMIT:
        return [DiscordMessage(content=body or "Done.")]
    if cited and discord_length(body) + len(cited) + 2 <= EMBED_DESCRIPTION_LIMIT - 100:
        body, cited = f"{body}\n\n{cited}" if body else cited, ""  # an answer and its sources
    chunks = split_text(body, EMBED_DESCRIPTION_LIMIT - 100) if body else []
    embeds = [discord.Embed(description=chunk, colour=REPLY_COLOUR) for chunk in chunks if chunk]
    if cited:
        embeds.append(discord.Embed(description=cited, colour=REPLY_COLOUR))
    return [DiscordMessage(content="", embeds=tuple(group)) for group in pack_embeds(embeds)]


def plain_messages(text: str) -> list[DiscordMessage]:
    """Plain escaped text (notices) in as many content-only messages as it needs."""
    return [DiscordMessage(content=chunk) for chunk in split_text(escape(text), CONTENT_LIMIT)]
