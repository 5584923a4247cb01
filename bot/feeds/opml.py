"""OPML import and export: the feed lists other readers exchange.

Entity declarations are refused before parsing (an OPML file never needs them), so neither
external entities nor nested "billion laughs" entities reach the XML parser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import BadInput
from bot.feeds.text import plain_text

DECLARATIONS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass(frozen=True)
class OpmlFeed:
    """One feed listed in an OPML file."""

    url: str
    title: str


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _attribute(element: ET.Element, name: str) -> str:
    for key, value in element.attrib.items():
        if _local_name(key) == name.lower():
            return value.strip()
    return ""


def read_opml(body: bytes) -> list[OpmlFeed]:
    """The feeds listed in an OPML file, nested outlines included, each URL once.

    Raises BadInput with the reason when `body` is not OPML.
    """
    body = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not body:
        raise BadInput("the OPML file is empty.")
    if DECLARATIONS.search(body):
        raise BadInput("the OPML file declares a DOCTYPE or entities, which are not accepted.")
    try:
        root = ET.fromstring(body)  # noqa: S314 - declarations refused above
    except ET.ParseError as error:
        raise BadInput(f"the file is not valid OPML ({error}).") from None
    if _local_name(root.tag) != "opml":
        raise BadInput(f"the file is not OPML (its root element is <{_local_name(root.tag)}>).")
    feeds: dict[str, OpmlFeed] = {}
    for outline in root.iter():
        if _local_name(outline.tag) != "outline":
            continue
        url = _attribute(outline, "xmlUrl")
        if url and url not in feeds:
            title = plain_text(_attribute(outline, "title") or _attribute(outline, "text"))
            feeds[url] = OpmlFeed(url=url, title=title)
    return list(feeds.values())


def write_opml(feeds: Sequence[OpmlFeed], title: str = "newsbot feeds") -> str:
    """An OPML 2.0 document listing `feeds` (text and title: the feed's name), which
    `read_opml` and other feed readers read back."""
    root = ET.Element("opml", version="2.0")
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        ET.SubElement(
            body, "outline", type="rss", text=feed.title, title=feed.title, xmlUrl=feed.url
        )
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
