"""Feed and model text made inert, and fitted to Discord's limits."""

from __future__ import annotations

import discord

ELLIPSIS = "…"
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use stand-ins for brackets while escaping


def discord_length(text: str) -> int:
    """`text`'s length as measured against a Discord limit."""
    return len(text)


def escape(text: str) -> str:
    """Feed or model text made inert: no mentions, no markdown, no masked links."""
    # escape_markdown treats "[...](...)" greedily as one span: it escapes only the first
    # "[" and leaves everything inside unescaped ("**bold**", a second masked link...). With
    # the brackets swapped out first, no such span exists and every marker gets escaped.
    text = discord.utils.escape_mentions(text).replace(_OPEN, "").replace(_CLOSE, "")
    text = text.replace("[", _OPEN).replace("]", _CLOSE)
    escaped = discord.utils.escape_markdown(text)
    return escaped.replace(_OPEN, "\\[").replace(_CLOSE, "\\]")


def cut(text: str, limit: int) -> str:
    """The start of `text`, at most `limit` code points long."""
    return text[: max(limit, 0)]


def cut_escaped(escaped: str, limit: int) -> str:
    """`cut`, never leaving a dangling escape backslash at the end."""
    head = cut(escaped, limit)
    trailing = len(head) - len(head.rstrip("\\"))
    return head[:-1] if trailing % 2 else head


def fit(text: str, limit: int) -> str:
    """`text` escaped and, when too long, shortened at a word boundary with an ellipsis."""
    escaped = escape(text)
    if discord_length(escaped) <= limit:
        return escaped
    words = text.split()
    # Shorten the plain text, then escape: cutting escaped text could split a "\*" pair.
    low, high = 0, len(words)
    while low < high:
        middle = (low + high + 1) // 2
        if discord_length(escape(" ".join(words[:middle]))) + len(ELLIPSIS) <= limit:
            low = middle
        else:
            high = middle - 1
    if low == 0:
        # A single word longer than the limit (no spaces to cut at): cut the word itself.
        return cut_escaped(escaped, limit - len(ELLIPSIS)) + ELLIPSIS
    return escape(" ".join(words[:low])) + ELLIPSIS


def plain_fit(text: str, limit: int) -> str:
    """Fit text that Discord shows without markdown (footers, thread names): mentions
    escaped, spaces tidied, shortened at a word boundary."""
    text = discord.utils.escape_mentions(" ".join(text.split()))
    if discord_length(text) <= limit:
        return text
    return cut(text, limit - len(ELLIPSIS)).rsplit(" ", 1)[0] + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Already-escaped text split into chunks of at most `limit`, at line then word ends."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _split_line(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if discord_length(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks or [""]


def _split_line(line: str, limit: int) -> list[str]:
    if discord_length(line) <= limit:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        while discord_length(word) > limit:  # a single enormous "word": no boundary to cut at
            head = cut_escaped(word, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
            word = word[len(head) :]
        candidate = f"{current} {word}" if current else word
        if discord_length(candidate) <= limit:
            current = candidate
        else:
            pieces.append(current)
            current = word
    if current:
        pieces.append(current)
    return pieces
