"""What Discord's API schema and limits ask of newsbot's messages: embed links that are valid
URIs (RFC 3986), and lengths counted the way Discord counts them."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.discord_bot.links import as_uri, safe_link_url
from adapters.discord_bot.render import DiscordMessage, render_digest
from bot.models import Digest, DigestItem, Sentence, Source
from tests.fakes.fake_discord import is_uri, limit_errors

from .conftest import Bot
from .helpers import START

BRACKET_LINK = "https://tags.example/list?filter[tag]=harbour&page=2"
BRACKET_URI = "https://tags.example/list?filter%5Btag%5D=harbour&page=2"


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
