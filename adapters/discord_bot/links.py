"""Article links as Discord takes them: masked links that stay one link, and a Sources line
of whole links."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlsplit

from adapters.discord_bot.text import fit
from bot.models import Source

LONGEST_LINK_URL = 600  # longer URLs are named, not linked, so one link never eats the budget


def safe_link_url(url: str) -> str | None:
    """The URL made safe inside `[name](url)`, or None when it must not be linked."""
    if not url.startswith(("https://", "http://")) or len(url) > LONGEST_LINK_URL:
        return None
    # Characters that would end the markdown link or the URL early are percent-encoded.
    return quote(url, safe=":/?#@!$&'*+,;=%~._-[]")


def source_link(source: Source) -> str:
    """One source as a masked link to its article; the outlet name is escaped."""
    # Brackets would end the link text early; parentheses read the same and are harmless.
    plain = (source.name or "source").replace("[", "(").replace("]", ")")
    if "://" in plain:  # link text that looks like another address misleads: name the host
        try:
            plain = urlsplit(source.url).hostname or "source"
        except ValueError:  # an unparseable host: the generic name will do
            plain = "source"
    name = fit(plain, 80)
    url = safe_link_url(source.url)
    return f"[{name}]({url})" if url else name


def join_links(links: Sequence[str], budget: int, *, label: str = "Sources: ") -> str:
    """Whole links joined within `budget`; the ones that do not fit are counted, not cut."""
    shown: list[str] = []
    used = len(label)
    for index, link in enumerate(links):
        rest = len(links) - index - 1
        tail = len(f" and {rest} more") if rest else 0
        if used + len(link) + 3 + tail > budget:
            break
        shown.append(link)
        used += len(link) + 3
    if not shown:
        return ""
    hidden = len(links) - len(shown)
    text = label + " · ".join(shown)
    return text + (f" and {hidden} more" if hidden else "")
