"""Optional full text for teaser-only feeds: fetch the linked page, keep its main text.

trafilatura is an optional extra (`pip install 'newsbot[fulltext]'`): imported only when
used. The page goes through the same `Fetcher`, so the same deadline, byte cap and SSRF
guard apply to it as to any feed.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import Any

from bot.errors import FeedError
from bot.feeds.fetch import Fetcher
from bot.feeds.text import plain_text

MISSING = (
    "full-text extraction needs the optional trafilatura package; "
    "install it with: pip install 'newsbot[fulltext]'."
)


def _trafilatura() -> Any:
    try:
        return importlib.import_module("trafilatura")
    except ImportError:
        raise FeedError(MISSING) from None


def extract_full_text(html: bytes, url: str) -> str:
    """The main text of an article page as plain text ("" when none could be found)."""
    trafilatura = _trafilatura()
    text = trafilatura.extract(
        html,
        url=url,
        include_comments=False,
        include_tables=False,
        include_images=False,
        include_links=False,
        favor_precision=True,
    )
    return plain_text(text) if isinstance(text, str) else ""


async def fetch_full_text(fetcher: Fetcher, url: str) -> str:
    """Fetch the article page at `url` (guarded, capped) and return its main text."""
    _trafilatura()  # fail before fetching when the extra is not installed
    result = await fetcher.fetch(url)
    if result.not_modified or not result.body:
        return ""
    content_type = result.content_type.lower()
    if content_type and "html" not in content_type and "xml" not in content_type:
        raise FeedError(f"the linked page is not HTML ({content_type.split(';')[0]}).")
    return await asyncio.to_thread(extract_full_text, result.body, result.final_url)
