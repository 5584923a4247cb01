"""What Slack and Discord show of an answer's text.

The core words an answer for every channel, plain-text ones included (console, logs), so
its text ends with a line listing the sources ("Sources: Outlet: https://...; ...").
Rich platforms show those same sources as links built from `Reply.citations`; they drop
that line so each source is shown once.
"""

from __future__ import annotations

import re

from bot.models import Reply

_SOURCES_LINE = re.compile(r"\s*sources?\s*:", re.IGNORECASE)


def answer_body(reply: Reply) -> str:
    """The reply's text without the trailing plain-text lines that list its citations."""
    if not reply.citations:
        return reply.text
    lines = reply.text.rstrip().split("\n")
    urls = sorted({s.url for s in reply.citations if s.url}, key=len, reverse=True)
    while lines and _lists_only(lines[-1], urls):
        lines.pop()
    return "\n".join(lines)


def _lists_only(line: str, urls: list[str]) -> bool:
    """A "Sources:" line naming citation URLs and no other address: the links replace it.

    A line that also holds an address the citations lack is kept, so nothing is lost.
    """
    if not _SOURCES_LINE.match(line):
        return False
    rest = line
    for url in urls:  # longest first, so a URL that prefixes another leaves no tail
        rest = rest.replace(url, "")
    return rest != line and "://" not in rest
