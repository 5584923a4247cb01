"""Feed and model text made inert, and fitted to Discord's limits the way Discord counts.

Discord's API counts a string's length in Unicode code points (its API is Python; a Discord
engineer says so in discord/discord-api-docs#1315, and the limits table says "characters"),
not in UTF-16 units: 200 emoji use 200 of a title's 256, which is what `len` counts here.
Where text must be shortened it is cut between grapheme clusters, so an emoji keeps its skin
tone, a flag both its letters and a family all its members, and no accent is left on its own.
"""

from __future__ import annotations

import unicodedata

import discord

ELLIPSIS = "…"
ZWJ = "\u200d"  # joins emoji into one picture (a family, a profession)
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use stand-ins for brackets while escaping


def discord_length(text: str) -> int:
    """`text`'s length as Discord measures it against a limit: in code points."""
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


def _joins_previous(char: str) -> bool:
    """A code point shown as part of the character before it."""
    code = ord(char)
    return (
        unicodedata.category(char) in {"Mn", "Mc", "Me"}  # accents, variation selectors
        or char == ZWJ
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin tones
        or 0xE0020 <= code <= 0xE007F  # emoji tag letters (subdivision flags)
        or 0x1160 <= code <= 0x11FF  # Hangul vowel and final jamo
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF  # two of these make one flag


def is_boundary(text: str, index: int) -> bool:
    """Whether `text` may be cut before `text[index]` without splitting what reads as one
    character (a close reading of Unicode's grapheme cluster rules for emoji and accents)."""
    if index <= 0 or index >= len(text):
        return True
    if _joins_previous(text[index]) or text[index - 1] == ZWJ:
        return False
    if _regional(text[index]) and _regional(text[index - 1]):
        run = 0
        while index - run - 1 >= 0 and _regional(text[index - run - 1]):
            run += 1
        return run % 2 == 0  # flags pair up from the start of the run
    return True


def cut(text: str, limit: int) -> str:
    """The longest start of `text` of at most `limit` code points that ends between
    characters; a single "character" longer than the limit is cut where it must be."""
    if discord_length(text) <= limit:
        return text
    end = max(limit, 0)
    while end > 0 and not is_boundary(text, end):
        end -= 1
    return text[: end or max(limit, 0)]


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
    head = cut(text, limit - len(ELLIPSIS))
    if not text[len(head)].isspace():
        # Drop the word cut in two, unless it is most of the text (a title without spaces).
        whole_words = head.rsplit(" ", 1)[0]
        head = whole_words if len(whole_words) >= len(head) // 2 else head
    return head.rstrip() + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """Already-escaped text split into chunks of at most `limit`, at line then word ends."""
    pieces = [piece for line in text.split("\n") for piece in _split_line(line, limit)]
    return _pack(pieces, limit, "\n") or [""]


def _split_line(line: str, limit: int) -> list[str]:
    if discord_length(line) <= limit:
        return [line]
    pieces: list[str] = []
    words: list[str] = []
    for word in line.split(" "):
        while discord_length(word) > limit:  # a single enormous "word": no boundary to cut at
            head = cut_escaped(word, limit)
            pieces += [*_pack(words, limit, " "), head]
            words = []
            word = word[len(head) :]
        words.append(word)
    return pieces + _pack(words, limit, " ")


def _pack(pieces: list[str], limit: int, joiner: str) -> list[str]:
    """Pieces (each within `limit`) joined in order into as few chunks as fit."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}{joiner}{piece}" if current else piece
        if discord_length(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks
