"""Small feeds written for these tests (fictional outlets, no copied text)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def rss(
    items: int,
    *,
    title: str = "Harbour Gazette",
    link_base: str = "https://harbour-gazette.example/news",
    start: datetime = datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
) -> bytes:
    """An RSS 2.0 feed with `items` dated, linked entries."""
    entries = "".join(
        f"""
    <item>
      <title>Harbour story {i}: ferry timetable changes</title>
      <link>{link_base}/{i}?utm_source=rss</link>
      <guid>{link_base}/{i}</guid>
      <pubDate>{format_datetime(start.replace(minute=i % 60))}</pubDate>
      <description>&lt;p&gt;Story {i} about the &lt;b&gt;ferry&lt;/b&gt; timetable.&lt;/p&gt;
      </description>
    </item>"""
        for i in range(items)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>{title}</title>
    <link>https://harbour-gazette.example/</link>
    <description>News from the harbour town</description>{entries}
  </channel>
</rss>
""".encode()


def atom(items: int, *, title: str = "Valley Courier") -> bytes:
    """An Atom feed with `items` entries carrying HTML content and a shorter summary."""
    entries = "".join(
        f"""
  <entry>
    <title type="html">Valley report {i} &amp;amp; update</title>
    <link rel="alternate" href="https://valley-courier.example/r/{i}#top"/>
    <id>urn:valley:{i}</id>
    <updated>2026-11-25T0{i % 10}:30:00+01:00</updated>
    <summary>Short teaser {i}.</summary>
    <content type="html">&lt;p&gt;Full text of report {i}, with the whole story.&lt;/p&gt;</content>
  </entry>"""
        for i in range(items)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{title}</title>
  <id>urn:valley</id>
  <updated>2026-11-25T10:00:00Z</updated>{entries}
</feed>
""".encode()
