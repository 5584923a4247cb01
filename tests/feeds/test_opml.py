"""OPML import: nested lists are read, each feed once, hostile or wrong files refused."""

from __future__ import annotations

import pytest

from bot.errors import BadInput
from bot.feeds.opml import OpmlFeed, read_opml

NESTED = b"""\xef\xbb\xbf
<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My reading list</title></head>
  <body>
    <outline text="Local">
      <outline text="Harbour Gazette" title="Harbour Gazette &amp; Co" type="rss"
               xmlUrl="https://harbour-gazette.example/rss.xml"/>
      <outline text="Deeper">
        <outline text="Valley Courier" xmlUrl="https://valley-courier.example/atom"/>
      </outline>
    </outline>
    <outline text="Duplicate" xmlUrl="https://harbour-gazette.example/rss.xml"/>
    <outline text="A folder with no feed"/>
    <outline text="Lowercase attribute" xmlurl="https://ridge-times.example/feed.json"/>
  </body>
</opml>
"""


def test_nested_outlines_are_read_once_each() -> None:
    assert read_opml(NESTED) == [
        OpmlFeed("https://harbour-gazette.example/rss.xml", "Harbour Gazette & Co"),
        OpmlFeed("https://valley-courier.example/atom", "Valley Courier"),
        OpmlFeed("https://ridge-times.example/feed.json", "Lowercase attribute"),
    ]


def test_an_opml_without_feeds_is_an_empty_list() -> None:
    assert read_opml(b'<opml version="1.0"><head/><body/></opml>') == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty"),
        (b'<rss version="2.0"><channel/></rss>', "root element is <rss>"),
        (b"<html><body>hello</body></html>", "root element is <html>"),
        (b"<opml><body><outline", "not valid OPML"),
        (b"just text", "not valid OPML"),
    ],
)
def test_files_that_are_not_opml_are_refused_clearly(body: bytes, reason: str) -> None:
    with pytest.raises(BadInput, match=reason):
        read_opml(body)


def test_entity_declarations_are_refused() -> None:
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><body><outline text="&xxe;" xmlUrl="https://x.example/f"/></body></opml>"""
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/f"/></body></opml>"""
    for body in (xxe, laughs):
        with pytest.raises(BadInput, match="DOCTYPE or entities"):
            read_opml(body)
