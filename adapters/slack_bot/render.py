"""Digest and Reply -> Slack Block Kit messages that Slack accepts.

Slack refuses a message with more than 50 blocks, a section text over 3000 characters, a
header over 150, or about 13k characters of blocks in all (`msg_blocks_too_long`). A long
digest is therefore split across several messages: whole stories go together, a story that
cannot fit alone is split between blocks, and text is only ever cut between sentences or
words, never inside a word or a link.

Every piece of feed or model text is escaped (`&`, `<`, `>`), so a title such as
`<!channel>` or `<https://evil.example|bank.com>` is shown literally instead of pinging the
channel or hiding a link. Summaries, answers and notices go in `plain_text` objects, which
Slack never formats, so `*`, `_` and `~` in an article stay characters; mrkdwn has no escape
for them. The pieces of feed text shown in mrkdwn, a story's bold headline and its outlets'
names, have them replaced by look-alikes. Mrkdwn objects are `verbatim`, so Slack does not
turn bare URLs or channel names into links either. The only links are the ones built here,
to the sources' own http(s) URLs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.digest.render import reader_note
from bot.models import Digest, DigestItem, Reply, Source

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_CONTEXT_ELEMENTS = 10
# Slack's total is undocumented (about 13k); stay well below it, counted as the blocks' JSON.
MAX_BLOCKS_JSON_CHARS = 12_000
# Room kept in each message for its header and context lines.
_HEADER_RESERVE_BLOCKS = 2
_HEADER_RESERVE_CHARS = 700
_FALLBACK_TEXT_CHARS = 300
# A link's parts, so one link always fits a context element with room for its prefix.
MAX_LINK_URL_CHARS = 2000
MAX_LINK_LABEL_CHARS = 200
# Where a sentence ends: after . ! ? … and a space, or right after a CJK full stop.
_SENTENCE_END = r"(?<=[.!?…])\s+|(?<=[。！？])"


@dataclass(frozen=True)
class SlackMessage:
    """One message to post: the `text` notification fallback and its blocks."""

    text: str
    blocks: tuple[Block, ...]

    @property
    def blocks_json_chars(self) -> int:
        return len(json.dumps(list(self.blocks), ensure_ascii=False))


# --- escaping and links --------------------------------------------------------------------


def escape(text: str) -> str:
    """Escape Slack's three control characters so text can never mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# mrkdwn's formatting characters, and look-alikes that Slack leaves alone.
_MRKDWN_LOOKALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def literal_mrkdwn(text: str) -> str:
    """Escaped text that shows as written inside mrkdwn: no bold, italics, strikes or code."""
    return escape(text).translate(_MRKDWN_LOOKALIKES)


def link(url: str, label: str) -> str:
    """`<url|label>` for an http(s) URL; only the escaped label for anything else, or for
    a URL too long to fit a context element (a feed chooses its links and its name)."""
    shown = shorten(literal_mrkdwn(label.strip() or url), MAX_LINK_LABEL_CHARS)
    if not re.match(r"^https?://[^\s]+$", url, flags=re.IGNORECASE):
        return shown
    if len(escape(url)) > MAX_LINK_URL_CHARS:
        return shown
    # `|` ends the URL part of a Slack link; `<`, `>` and `&` must be escaped there too.
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{shown}>"


def source_links(sources: Sequence[Source]) -> list[str]:
    """One link per distinct source URL, in order."""
    seen: set[str] = set()
    links: list[str] = []
    for source in sources:
        key = source.url or source.name
        if key in seen:
            continue
        seen.add(key)
        links.append(link(source.url, source.name))
    return links


# --- cutting text cleanly ------------------------------------------------------------------


def cut_text(text: str, limit: int, *, lines_first: bool = False) -> list[str]:
    """Split `text` into pieces of at most `limit` characters: between lines (when
    `lines_first`), else between sentences if it can, else between words; a single word
    longer than `limit` is the only thing ever cut.

    Works on escaped text: an entity such as `&amp;` is never cut in half.
    """
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = (lines_first and _last_break(window, r"\n+")) or None
        cut = cut or _last_break(window, _SENTENCE_END) or _last_break(window, r"\s+")
        if cut is None:
            cut = _safe_hard_cut(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _last_break(window: str, pattern: str) -> int | None:
    ends = [m.start() for m in re.finditer(pattern, window) if m.start() > 0]
    return ends[-1] if ends else None


def _safe_hard_cut(text: str, limit: int) -> int:
    amp = text.rfind("&", max(0, limit - 5), limit)
    if amp != -1 and ";" not in text[amp:limit]:
        return amp  # do not split an `&amp;`-style entity
    return limit


def shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to at most `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = cut_text(text, limit - 1)[0]
    return head + "…"


# --- blocks --------------------------------------------------------------------------------


def mrkdwn(text: str) -> dict[str, Any]:
    # verbatim: Slack leaves URLs and #channel names inside the text alone (no auto links).
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(text)}


def plain_section(text: str) -> Block:
    """A section Slack shows exactly as written (text escaped already)."""
    return {"type": "section", "text": {"type": "plain_text", "text": text, "emoji": False}}


def context(texts: Iterable[str]) -> Block:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts]}


def header(text: str, suffix: str = "") -> Block:
    """A header of (unescaped) `text` plus `suffix`, escaped, within the header limit."""
    shown = shorten(escape(text), MAX_HEADER_CHARS - len(suffix)) + suffix
    return {"type": "header", "text": {"type": "plain_text", "text": shown, "emoji": False}}


def _joined(parts: Sequence[str], sep: str, limit: int) -> list[str]:
    """Join whole parts (links) with `sep` into strings of at most `limit` characters."""
    out: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{sep}{part}" if current else part
        if current and len(candidate) > limit:
            out.append(current)
            candidate = part
        current = candidate
    if current:
        out.append(current)
    return out


def context_lines(prefix: str, links: Sequence[str], extra: Sequence[str] = ()) -> list[Block]:
    """Context blocks with whole links, each within the element and element-count limits."""
    parts = [*_joined(links, " · ", MAX_SECTION_CHARS - len(prefix))]
    texts = [prefix + parts[0], *parts[1:]] if parts else []
    texts += [t for t in extra if t]
    return [context(elements) for elements in _context_groups(texts)]


def _context_groups(texts: Sequence[str]) -> list[list[str]]:
    """Texts grouped into context blocks of at most ten elements and one section's worth
    of characters: ten full elements would each pass their limit, the message would not."""
    groups: list[list[str]] = []
    for text in texts:
        last = groups[-1] if groups else []
        room = MAX_SECTION_CHARS - sum(map(len, last))
        if last and len(last) < MAX_CONTEXT_ELEMENTS and len(text) <= room:
            last.append(text)
        else:
            groups.append([text])
    return groups


def text_sections(text: str, *, lines_first: bool = False) -> list[Block]:
    """Plain-text sections holding `text` (escaped already), cut cleanly at the limit."""
    pieces = cut_text(text, MAX_SECTION_CHARS, lines_first=lines_first)
    return [plain_section(piece) for piece in pieces]


# --- digests -------------------------------------------------------------------------------


def item_body(item: DigestItem) -> str:
    """The item's summary exactly as the core words it (outlets named), unescaped."""
    return item.summary


def item_blocks(number: int, item: DigestItem) -> list[Block]:
    """One story: headline and summary, then its sources as links (and any fallback note)."""
    title = f"*{number}. {literal_mrkdwn(shorten(item.headline, 400))}*"
    blocks = [section(title), *text_sections(escape(item_body(item)))]
    noun = "Source" if len(item.sources) == 1 else "Sources"
    # Only the note's part for readers: why an LLM summary was refused is for the operator.
    blocks += context_lines(f"{noun}: ", source_links(item.sources), [escape(reader_note(item))])
    return blocks


def _period(digest: Digest) -> str:
    # In the zone the digest's times carry: the channel's own (UTC when they are in UTC).
    start, end = digest.period_start, digest.period_end
    zone = end.strftime("%Z") or "UTC"
    return f"{start:%d %b %Y %H:%M} – {end:%d %b %Y %H:%M} {zone}"


def render_digest(digest: Digest) -> list[SlackMessage]:
    """The digest as one or more messages, each within Slack's block limits."""
    units = [item_blocks(n, item) for n, item in enumerate(digest.items, start=1)]
    if not units:
        units = [[section("_No new stories in this period._")]]
    pages = pack_blocks(units)
    count = len(digest.items)
    stories = f"{count} {'story' if count == 1 else 'stories'}"
    messages: list[SlackMessage] = []
    for number, page in enumerate(pages, start=1):
        part = f" ({number}/{len(pages)})" if len(pages) > 1 else ""
        top: list[Block] = [header(digest.title, part)]
        if number == 1:
            top.append(context([escape(f"{_period(digest)} · {stories}")]))
        fallback = shorten(f"{digest.title}{part}: {stories}", _FALLBACK_TEXT_CHARS)
        messages.append(SlackMessage(text=escape(fallback), blocks=(*top, *page)))
    return messages


def pack_blocks(units: Sequence[Sequence[Block]]) -> list[list[Block]]:
    """Pack groups of blocks into pages under the block and size budgets.

    A group (one story) stays on one page when it can; a group too big for an empty page is
    spread over pages block by block.
    """
    max_blocks = MAX_BLOCKS - _HEADER_RESERVE_BLOCKS
    max_chars = MAX_BLOCKS_JSON_CHARS - _HEADER_RESERVE_CHARS
    pages: list[list[Block]] = []
    page: list[Block] = []
    size = 0
    divider: Block = {"type": "divider"}

    def fits(blocks: Sequence[Block]) -> bool:
        return len(page) + len(blocks) <= max_blocks and size + _chars(blocks) <= max_chars

    for unit in units:
        group = [divider, *unit] if page else list(unit)
        if not fits(group) and page:
            pages.append(page)
            page, size, group = [], 0, list(unit)
        if fits(group):
            page += group
            size += _chars(group)
            continue
        for block in unit:  # one story larger than a page: block by block
            if not fits([block]) and page:
                pages.append(page)
                page, size = [], 0
            page.append(block)
            size += _chars([block])
    if page:
        pages.append(page)
    return pages


def _chars(blocks: Sequence[Block]) -> int:
    return len(json.dumps(list(blocks), ensure_ascii=False)) + 2


# --- replies -------------------------------------------------------------------------------


def render_reply(reply: Reply) -> list[SlackMessage]:
    """A command reply (or an answer with citations) as messages; its digest, if any, first."""
    messages: list[SlackMessage] = []
    if reply.digest is not None:
        messages += render_digest(reply.digest)
        if not reply.text.strip():
            return messages
    # An answer's sources are the links below (the core's text never lists them).
    body = reply.text
    units: list[list[Block]] = []
    if body.strip():
        units.append(text_sections(escape(body)))
    if reply.lines:
        rows = "\n".join(f"• {escape(line)}" for line in reply.lines)
        units.append(text_sections(rows, lines_first=True))
    if reply.citations:
        units.append(context_lines("Sources: ", source_links(reply.citations)))
    if not units:
        units.append([section("Done.")])
    fallback = escape(shorten(body or "newsbot", _FALLBACK_TEXT_CHARS))
    for page in pack_blocks(units):
        messages.append(SlackMessage(text=fallback, blocks=tuple(page)))
    return messages
