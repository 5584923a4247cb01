"""Digests and replies rendered for Discord stay inside every limit and stay inert."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.discord_bot.render import (
    DiscordMessage,
    parse_ref_marker,
    part_nonce,
    ref_marker,
    render_digest,
    render_reply,
    thread_name,
)
from adapters.discord_bot.text import escape, fit, split_text
from bot.channels.ask import reply_from_answer
from bot.models import Digest, DigestItem, Reply, Sentence, Source
from bot.summarise.base import Answer
from tests.fakes.fake_discord import limit_errors, would_ping

from .helpers import START, make_digest, make_item

MASKED_LINK = re.compile(r"(?<!\\)\[([^\]]*)\]\(([^)\s]*)\)")


def payload(message: DiscordMessage) -> dict[str, Any]:
    return {
        "content": message.content,
        "embeds": [embed.to_dict() for embed in message.embeds],
        "allowed_mentions": {"parse": []},
    }


def all_text(messages: list[DiscordMessage]) -> str:
    parts = []
    for message in messages:
        parts.append(message.content)
        for embed in message.embeds:
            parts += [embed.title or "", embed.description or "", embed.footer.text or ""]
    return "\n".join(parts)


def test_forty_item_digest_is_split_into_messages_discord_accepts() -> None:
    digest = make_digest(40, outlets=4, sentence_words=60)
    messages = render_digest(digest, key="discord:1:2:daily:2026-11-25")

    assert len(messages) > 1
    for message in messages:
        assert limit_errors(payload(message)) == []
        assert len(message.embeds) <= 10
        assert message.embed_total <= 6000
    # Every story appears exactly once, whole: headline, three sentences and all its links.
    rendered = all_text(messages)
    for item in digest.items:
        assert rendered.count(item.headline.split(":")[0] + ":") == 1
        for source in item.sources:
            assert f"]({source.url})" in rendered
    headlines = [embed.title for m in messages for embed in m.embeds]
    assert len(headlines) == 40


def test_split_never_cuts_a_word_or_a_link() -> None:
    long_words = " ".join(f"word{i}" for i in range(3000))
    item = make_item(1, outlets=30)
    item = DigestItem(
        story_id="s",
        headline="A headline " * 60,
        sentences=(Sentence(text=long_words, sources=item.sources[:1]),),
        sources=item.sources,
        summariser="extractive",
    )
    digest = Digest("t", START, START, (item,))
    messages = render_digest(digest, key="k")
    assert all(limit_errors(payload(m)) == [] for m in messages)
    embed = messages[0].embeds[0]
    assert embed.title is not None and embed.title.endswith("…")
    assert len(embed.title) <= 256
    description = embed.description or ""
    # The long sentence is cut only after a whole word.
    first_line = description.split("\n")[0]
    assert re.fullmatch(r"Reported by [^.]*\. (word\d+ )*word\d+…", first_line)
    # Every link shown is complete; the ones left out are counted.
    links = MASKED_LINK.findall(description)
    assert links and all(url in {s.url for s in item.sources} for _, url in links)
    assert re.search(r"and \d+ more$", description)


def test_each_item_names_its_sources_and_its_summariser() -> None:
    llm_item = make_item(1, summariser="llm")
    messages = render_digest(Digest("t", START, START, (llm_item, make_item(2))))
    first, second = messages[0].embeds
    assert "LLM summary" in (first.footer.text or "")
    assert "Extractive" in (second.footer.text or "")
    assert "[Outlet A Daily](https://outlet0.example/" in (first.description or "")
    # Each sentence stays attributed to the outlet it came from.
    assert (first.description or "").startswith("Reported by Outlet A Daily and Outlet B Daily.")
    assert "(Outlet B Daily)" in (first.description or "")


def test_feed_text_cannot_ping_or_smuggle_markdown() -> None:
    evil = (
        "@everyone @here <@&123456789012345678> "
        "[Official statement](https://evil.example) **BREAKING**"
    )
    source = Source(name="[Bank](https://evil.example) @everyone", url="https://news.example/a")
    item = DigestItem(
        story_id="s",
        headline=evil,
        sentences=(Sentence(text=evil, sources=(source,)),),
        sources=(source,),
        summariser="llm",
        note="@everyone",
    )
    digest = Digest(f"Digest {evil}", START, START, (item,))
    messages = render_digest(digest, key="k") + render_reply(Reply(text=evil, citations=(source,)))
    for message in messages:
        body = payload(message)
        assert would_ping(body) == []
        text = all_text([message])
        assert "@everyone" not in text.replace("@\u200beveryone", "")
        assert "<@&1" not in text
        assert "**BREAKING" not in text
        # The only masked links are the ones we made, pointing at the real article.
        assert {url for _, url in MASKED_LINK.findall(text)} <= {"https://news.example/a"}
    # Without allowed_mentions the same content would have pinged: the check can fail.
    assert would_ping({"content": evil})


def test_links_with_parentheses_or_spaces_do_not_break_out() -> None:
    source = Source(name="Wiki", url="https://wiki.example/A_(b) c")
    item = DigestItem("s", "h", (Sentence("x", (source,)),), (source,), "extractive")
    description = render_digest(Digest("t", START, START, (item,)))[0].embeds[0].description
    assert "[Wiki](https://wiki.example/A_%28b%29%20c)" in (description or "")
    unsafe = Source(name="Local", url="javascript:alert(1)")
    item = DigestItem("s", "h", (Sentence("x", (unsafe,)),), (unsafe,), "extractive")
    embed = render_digest(Digest("t", START, START, (item,)))[0].embeds[0]
    assert "javascript" not in (embed.description or "") and embed.url is None


def test_marker_and_nonce_identify_each_part() -> None:
    messages = render_digest(make_digest(25, sentence_words=60), key="outbox-key-1")
    parts = len(messages)
    for number, message in enumerate(messages, start=1):
        marker = parse_ref_marker(message.embeds[-1].footer.text or "")
        assert marker is not None and marker[1:] == (number, parts)
        assert ref_marker("outbox-key-1", number, parts).endswith(f"{number}/{parts}")
    assert len(part_nonce("x" * 500, 12)) <= 25
    assert part_nonce("a", 1) != part_nonce("a", 2) != part_nonce("b", 1)


def test_thread_name_fits_discord() -> None:
    digest = Digest("Digest " + "very long title " * 20, START, START, ())
    name = thread_name(digest)
    assert len(name) <= 100 and name.endswith("…")


def test_empty_digest_still_renders_a_message() -> None:
    messages = render_digest(Digest("t", START, START, ()), key="k")
    assert len(messages) == 1 and limit_errors(payload(messages[0])) == []


@pytest.mark.parametrize("size", [10, 1999, 2001, 9000, 30000])
def test_long_replies_split_at_line_ends(size: int) -> None:
    lines = tuple(
        f"{n}. Feed number {n} at https://feeds.example/{n}.xml (ok)" for n in range(size // 50)
    )
    messages = render_reply(Reply(text="Subscriptions:", lines=lines))
    for message in messages:
        assert limit_errors(payload(message)) == []
    rendered = all_text(messages)
    for line in lines:
        assert line in rendered


def test_split_text_never_exceeds_limit() -> None:
    text = "short line\n" + "x" * 5000 + "\n" + " ".join(["word"] * 2000)
    chunks = split_text(text, 1000)
    assert all(len(c) <= 1000 for c in chunks)
    assert "".join(chunks).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_fit_never_leaves_a_dangling_escape() -> None:
    fitted = fit("*" * 300, 100)
    assert len(fitted) <= 100
    body = fitted.removesuffix("…")
    assert (len(body) - len(body.rstrip("\\"))) % 2 == 0


@pytest.mark.parametrize(
    "text",
    [
        "[a](https://x.example) **bold** [b](https://y.example) __u__",
        "```code``` ||spoiler|| ~~gone~~ `tick` > quote",
        "# Heading\n- item\n-# small [link](https://z.example)",
        "back\\slash \\*not bold\\* [x]( https://w.example )",
    ],
)
def test_every_markdown_marker_is_escaped(text: str) -> None:
    shown = escape(text)
    outside_urls = re.sub(r"https?://[^\s<]+", "", shown)
    for index, char in enumerate(outside_urls):
        if char in "*_~|`[]":
            before = outside_urls[:index]
            slashes = len(before) - len(before.rstrip("\\"))
            assert slashes % 2 == 1, (char, index, shown)


def test_answer_and_its_sources_share_one_embed_and_many_sources_still_fit() -> None:
    source = Source("Harbour Gazette", "https://harbourgazette.example/bridge")
    (message,) = render_reply(Reply(text="It costs 4.2 million euros.", citations=(source,)))
    (embed,) = message.embeds
    assert (embed.description or "").endswith(
        "Sources: 1. [Harbour Gazette](https://harbourgazette.example/bridge)"
    )
    many = tuple(Source(f"Outlet {n}", f"https://o{n}.example/{'x' * 80}") for n in range(200))
    messages = render_reply(Reply(text="word " * 900, citations=many))
    assert all(limit_errors(payload(m)) == [] for m in messages)
    assert "more" in all_text(messages)


def test_core_answer_shows_each_source_once_as_a_link() -> None:
    sources = (
        Source("Harbour Gazette", "https://harbourgazette.example/bridge"),
        Source("Tide Times", "https://tidetimes.example/bridge"),
    )
    sentences = tuple(Sentence(f"Fact {n} holds.", (s,)) for n, s in enumerate(sources))
    shown = all_text(render_reply(reply_from_answer(Answer(sentences, "extractive", True))))
    assert "Fact 1 holds. (Tide Times)" in shown
    for source in sources:
        assert shown.count(source.url) == 1
        assert f"[{source.name}]({source.url})" in shown
