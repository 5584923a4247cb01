"""What Discord's API schema and limits ask of newsbot's messages: embed links that are valid
URIs (RFC 3986), and lengths counted the way Discord counts them (code points, not UTF-16
units), with text cut only between the characters a reader sees."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.discord_bot.links import as_uri, safe_link_url
from adapters.discord_bot.render import DiscordMessage, render_digest, thread_name
from bot.models import Digest, DigestItem, Sentence, Source
from tests.fakes.fake_discord import is_uri, limit_errors, message_text
from tests.fakes.feed_server import FeedServer

from .conftest import OLD_ITEMS, Bot, Clock, rss
from .helpers import START
from .test_scenarios import publish_and_reach_digest_time, subscribe

BRACKET_LINK = "https://tags.example/list?filter[tag]=harbour&page=2"
BRACKET_URI = "https://tags.example/list?filter%5Btag%5D=harbour&page=2"
NEWSPAPER = "\U0001f4f0"  # one code point, two UTF-16 units
FLAGS = "\U0001f1e9\U0001f1ea\U0001f1eb\U0001f1f7\U0001f1ee\U0001f1f9\U0001f1ea\U0001f1f8"
# What reads as one character but is several code points: a flag, a family joined by ZWJs,
# a thumbs-up with its skin tone, an accent on its letter, a keycap.
CLUSTERS = [
    "\U0001f1e9\U0001f1ea",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f44d\U0001f3fd",
    "e\u0301",
    "1\ufe0f\u20e3",
]
REGIONAL_RUN = re.compile("[\U0001f1e6-\U0001f1ff]+")


def payload(message: DiscordMessage) -> dict[str, Any]:
    return {"content": message.content, "embeds": [embed.to_dict() for embed in message.embeds]}


def story(
    url: str, *, headline: str = "Harbour bridge repair approved", outlet: str = ""
) -> Digest:
    source = Source(name=outlet or "Tag Wire", url=url, article_id="a1")
    item = DigestItem(
        story_id="s1",
        headline=headline,
        sentences=(Sentence("The council approved the repair.", (source,)),),
        sources=(source,),
        summariser="extractive",
    )
    return Digest("Daily digest for #news", START, START, (item,))


def test_the_fake_refuses_an_embed_url_that_is_not_a_uri() -> None:
    refused = limit_errors({"embeds": [{"title": "t", "url": BRACKET_LINK}]})
    assert refused == ["embeds.0.url: Not a well formed URL."]
    assert limit_errors({"embeds": [{"title": "t", "url": BRACKET_URI}]}) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/2026/11/bridge?id=7&ref=rss#top",
        "https://[2001:db8::1]:8443/feed/item?a=b",
        "https://wiki.example/wiki/Harbour_(town)",
        "https://news.example/a%20b/caf%C3%A9?q=%E2%82%AC;x=1,2",
        "http://reader@news.example:8080/p/a:b@c!$&'*+,;=~-._",
    ],
)
def test_a_valid_link_is_kept_byte_for_byte(url: str) -> None:
    assert is_uri(url)
    assert as_uri(url) == url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (BRACKET_LINK, BRACKET_URI),
        ("https://news.example/a b", "https://news.example/a%20b"),
        ("https://news.example/café?q=€", "https://news.example/caf%C3%A9?q=%E2%82%AC"),
        ("https://news.example/50%off", "https://news.example/50%25off"),
        ("https://news.example/p#a#b", "https://news.example/p#a%23b"),
        (
            'https://news.example/x|y{z}^`"<>\\',
            "https://news.example/x%7Cy%7Bz%7D%5E%60%22%3C%3E%5C",
        ),
        ("https://news.example]/x", "https://news.example%5D/x"),
    ],
)
def test_what_a_uri_may_not_hold_raw_is_percent_encoded(url: str, expected: str) -> None:
    assert as_uri(url) == expected
    assert is_uri(expected)


def test_a_bracket_link_is_a_valid_uri_in_the_embed_and_in_its_masked_link() -> None:
    (message,) = render_digest(story(BRACKET_LINK), key="k")
    embed = message.embeds[0]
    assert embed.url == BRACKET_URI
    assert f"[Tag Wire]({BRACKET_URI})" in (embed.description or "")
    assert limit_errors(payload(message)) == []
    # In a masked link a parenthesis would end the link: it is encoded there only.
    assert safe_link_url("https://wiki.example/A_(b)") == "https://wiki.example/A_%28b%29"


async def test_a_digest_with_a_bracket_link_is_accepted_by_discord(bot: Bot) -> None:
    # Before, the raw "[" in the embed's url made Discord refuse the whole digest (400).
    result = await bot.adapter.poster.post_digest(
        bot.where(), story(BRACKET_LINK), idempotency_key="k-brackets"
    )
    (post,) = bot.fake.posted()
    assert post["id"] == result.message_id
    assert post["embeds"][0]["url"] == BRACKET_URI


def test_the_fake_counts_code_points_as_discord_does() -> None:
    # 256 emoji are 512 UTF-16 units; Discord counts 256 code points and takes the title.
    assert limit_errors({"embeds": [{"title": NEWSPAPER * 256}]}) == []
    assert limit_errors({"embeds": [{"title": NEWSPAPER * 257}]}) == [
        "embeds.0.title: Must be 256 or fewer in length."
    ]
    assert limit_errors({"content": NEWSPAPER * 2000}) == []


def whole(text: str, cluster: str) -> bool:
    return text == cluster * (len(text) // len(cluster))


@pytest.mark.parametrize("cluster", CLUSTERS)
def test_a_long_headline_is_cut_between_characters_never_inside_one(cluster: str) -> None:
    (message,) = render_digest(story("https://news.example/a", headline=cluster * 200))
    title = message.embeds[0].title or ""
    assert len(title) <= 256 and title.endswith("…")
    assert whole(title.removesuffix("…"), cluster)
    name = thread_name(Digest("x" + cluster * 80, START, START, ()))
    assert len(name) <= 100 and whole(name.removeprefix("Questions: x").removesuffix("…"), cluster)


async def test_an_emoji_heavy_feed_gets_its_digest_posted_whole(
    bot: Bot, feed_server: FeedServer, clock: Clock
) -> None:
    # 200 flags in the feed's title (400 code points, 800 UTF-16 units) and 200 emoji in a
    # headline (400 UTF-16 units against the title's 256, counted as 200 by Discord).
    outlet = FLAGS * 50
    headline = NEWSPAPER * 200
    text = "The harbour bridge repair was approved on Tuesday. Work starts in May."
    feed_server.serve("/flags.xml", rss(outlet, OLD_ITEMS, clock(), host="flags"))
    record = await subscribe(bot, feed_server.url("/flags.xml"))
    assert "Subscribed" in record.text
    await publish_and_reach_digest_time(
        bot, feed_server, clock, "/flags.xml", outlet, [("bridge", headline, text)], host="flags"
    )
    (post,) = bot.fake.posted()
    assert [c.status for c in bot.fake.calls if c.status == 400] == []
    (embed,) = post["embeds"]
    assert embed["title"] == headline  # not shortened: it fits as Discord counts
    shown = message_text(post)
    assert all(len(run) % 2 == 0 for run in REGIONAL_RUN.findall(shown))  # no half flags
    assert not any(0xD800 <= ord(char) <= 0xDFFF for char in shown)  # no lone surrogates
