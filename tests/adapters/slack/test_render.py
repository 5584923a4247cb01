"""Block Kit rendering: within Slack's limits (checked by the fake's own validator), split
cleanly, and feed text unable to mention anyone or hide a link."""

from __future__ import annotations

import json
import re
from typing import Any

from adapters.slack_bot.render import cut_text, escape, link, render_digest, render_reply
from bot.channels.ask import reply_from_answer
from bot.models import Digest, DigestItem, Reply, Sentence, Source
from bot.summarise.base import Answer
from tests.adapters.slack.digests import END, START, digest, item
from tests.fakes.fake_slack import block_problems, check_message


def all_text(blocks: object) -> str:
    return json.dumps(blocks)


def message_args(message: object) -> dict[str, object]:
    return {"text": message.text, "blocks": list(message.blocks)}  # type: ignore[attr-defined]


def test_sixty_item_digest_splits_into_messages_slack_accepts() -> None:
    messages = render_digest(digest(60))
    assert len(messages) > 1
    for message in messages:
        assert check_message(message_args(message)) is None
        assert len(message.blocks) <= 50
        assert message.text  # notification fallback
    # every story appears once, in order, across the messages
    headlines = re.findall(r"\*(\d+)\. Town \d+ approves", all_text([m.blocks for m in messages]))
    assert headlines == [str(n) for n in range(1, 61)]
    # parts are numbered in the header
    assert messages[0].blocks[0]["text"]["text"].endswith(f"(1/{len(messages)})")


def test_a_story_is_never_split_across_messages_when_it_fits() -> None:
    messages = render_digest(digest(60))
    for message in messages:
        text = all_text(message.blocks)
        starts = re.findall(r"\*(\d+)\. Town", text)
        for number in starts:
            assert f"story-{number}?a=1" in text  # its sources are in the same message


def test_small_digest_is_one_message_with_header_period_and_source_links() -> None:
    (message,) = render_digest(digest(3))
    assert message.blocks[0]["type"] == "header"
    assert message.blocks[0]["text"]["text"] == "Morning digest"
    text = all_text(message.blocks)
    assert "3 stories" in text
    assert "<https://news0.example/story-1?a=1&amp;b=2|Harbour Gazette>" in text
    assert "<https://news1.example/story-1?a=1&amp;b=2|Tide Times>" in text


def test_mention_and_link_injection_in_feed_text_is_escaped() -> None:
    hostile = "<!channel> <!here> <@U123> <https://evil.example|bank.com> & more"
    d = digest(1, headline=hostile, text=f"Breaking: {hostile}.")
    (message,) = render_digest(d)
    text = "".join(b["text"]["text"] for b in message.blocks if b["type"] == "section")
    assert "<!channel>" not in text and "<!here>" not in text and "<@U123>" not in text
    assert "<https://evil.example" not in text
    assert "&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt;" in text
    assert "&lt;https://evil.example|bank.com&gt; &amp; more" in text
    # feed text is plain_text (never formatted or linked) or verbatim mrkdwn (no auto-links)
    for block in (b for b in message.blocks if b["type"] == "section"):
        assert block["text"]["type"] == "plain_text" or block["text"]["verbatim"] is True


def test_hostile_source_names_and_urls_cannot_break_out_of_their_link() -> None:
    made = link("https://ok.example/a|b>c", "<!everyone> Bank")
    assert made == "<https://ok.example/a%7Cb&gt;c|&lt;!everyone&gt; Bank>"
    assert link("javascript:alert(1)", "Click") == "Click"
    assert link("https://ok.example/x y", "Spaced") == "Spaced"


def test_a_huge_story_is_cut_between_sentences_and_words_only() -> None:
    sentence = "The harbour authority published its annual report on shipping volumes today. "
    d = digest(1, text=sentence * 120, sources=1)  # about 9,500 characters
    messages = render_digest(d)
    for message in messages:
        assert check_message(message_args(message)) is None
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    assert len(sections) >= 5
    assert sections[0] == "*1. Town 1 approves harbour repair budget*"
    pieces = sections[1:]
    # nothing lost or altered: the pieces joined by spaces are the whole summary
    assert " ".join(pieces) == d.items[0].summary
    for piece in pieces[:-1]:
        assert piece.endswith("today.")  # every cut falls between sentences
    for piece in pieces:
        assert piece.startswith("The harbour authority")


def test_cut_text_prefers_words_and_keeps_entities_whole() -> None:
    words = "alpha beta gamma delta " * 30
    for piece in cut_text(words, 50):
        assert len(piece) <= 50
        assert all(w in ("alpha", "beta", "gamma", "delta") for w in piece.split())
    escaped = escape("&" * 40)
    for piece in cut_text(escaped, 27):
        assert re.fullmatch(r"(&amp;)+", piece)


def test_long_title_header_stays_within_150_characters() -> None:
    d = Digest("Weekly " + "very long title " * 20, START, END, (item(1),))
    (message,) = render_digest(d)
    assert len(message.blocks[0]["text"]["text"]) <= 150
    assert not block_problems(list(message.blocks))


def test_empty_digest_still_renders_a_valid_message() -> None:
    (message,) = render_digest(Digest("Morning digest", START, END, ()))
    assert check_message(message_args(message)) is None
    assert "No new stories" in all_text(message.blocks)


def test_reply_with_citations_and_lines() -> None:
    reply = Reply(
        text="The pier repairs start in spring <!here>.",
        citations=(Source("Harbour Gazette", "https://news0.example/story-1"),),
        lines=("1. https://feeds.example/rss — ok", "2. topic: harbour <b>"),
    )
    (message,) = render_reply(reply)
    assert check_message(message_args(message)) is None
    text = all_text(message.blocks)
    assert "&lt;!here&gt;" in text and "<!here>" not in text
    assert "<https://news0.example/story-1|Harbour Gazette>" in text
    assert "topic: harbour &lt;b&gt;" in text
    assert "<!here>" not in message.text


def test_reply_carrying_a_digest_renders_the_digest() -> None:
    messages = render_reply(Reply(text="", digest=digest(2)))
    assert len(messages) == 1
    assert messages[0].blocks[0]["type"] == "header"


def refusal_of(message: dict[str, Any]) -> dict[str, Any]:
    refusal = check_message(message)
    assert refusal is not None, "the fake Slack accepted a message Slack refuses"
    return refusal


def test_fake_slack_validator_refuses_what_slack_refuses() -> None:
    too_many = [{"type": "divider"}] * 51
    assert refusal_of({"text": "x", "blocks": too_many})["error"] == "invalid_blocks"
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "a" * 3001}}]
    refusal = refusal_of({"text": "x", "blocks": long_section})
    assert refusal["error"] == "invalid_blocks"
    assert "3001" in refusal["response_metadata"]["messages"][0]
    long_header = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    assert refusal_of({"text": "x", "blocks": long_header})["error"] == "invalid_blocks"
    many_sections = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "b" * 2900}} for _ in range(5)
    ]
    assert refusal_of({"text": "x", "blocks": many_sections})["error"] == "msg_blocks_too_long"
    assert refusal_of({"text": "t" * 40_001})["error"] == "msg_too_long"


def test_markdown_links_in_model_text_stay_plain_text() -> None:
    hostile = "[Official statement](https://evil.example) **BREAKING** @here @channel"
    (message,) = render_digest(digest(1, text=hostile + "."))
    section_text = message.blocks[3]["text"]  # after the header, period and headline
    assert "[Official statement](https://evil.example)" in section_text["text"]
    # plain_text: Slack neither links the bare URL nor parses @here / @channel or **bold**
    assert section_text["type"] == "plain_text"
    assert "<https://evil.example" not in all_text(message.blocks)
    assert "<!here>" not in all_text(message.blocks)


def test_non_latin_text_is_measured_in_characters() -> None:
    sentence = "港の東桟橋の修理が水曜日に承認されました。"  # 21 characters
    d = digest(12, text=sentence * 20)  # about 420 characters per story
    messages = render_digest(d)
    for message in messages:
        assert check_message(message_args(message)) is None
    assert len(messages) == 1  # 12 stories of ~420 characters fit one message


def test_long_cjk_story_is_cut_after_full_stops() -> None:
    sentence = "港の東桟橋の修理が水曜日に承認されました。"
    d = digest(1, text=sentence * 200, sources=1)  # 4,200 characters, no spaces
    (message,) = render_digest(d)
    assert check_message(message_args(message)) is None
    sections = [b["text"]["text"] for b in message.blocks if b["type"] == "section"]
    assert len(sections) == 3  # the headline, then the story in two pieces
    assert sections[1].endswith("。")
    assert sections[2].startswith("港の東桟橋")


def test_long_list_replies_are_cut_between_rows() -> None:
    rows = tuple(f"{n}. https://feeds{n}.example/rss — ok, polled 5 min ago" for n in range(200))
    messages = render_reply(Reply(text="Subscriptions:", lines=rows))
    for message in messages:
        assert check_message(message_args(message)) is None
    sections = [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]
    shown_rows = [row for text in sections[1:] for row in text.split("\n")]
    assert shown_rows == [f"• {row}" for row in rows]  # every row whole, in order


def core_answer(sources: tuple[Source, ...]) -> Reply:
    """An answer worded by the core, one sentence per source."""
    sentences = tuple(Sentence(f"Fact number {n} holds.", (s,)) for n, s in enumerate(sources))
    return reply_from_answer(Answer(sentences, "extractive", found=True))


def test_answer_shows_every_source_once_as_a_link() -> None:
    sources = (
        Source("Harbour Gazette", "https://news0.example/story-1?a=1&b=2"),
        Source("Tide Times", "https://news1.example/story-1"),
        Source("Tide Times", "https://news1.example/story-1/more"),  # prefixed by another
    )
    (message,) = render_reply(core_answer(sources))
    assert check_message(message_args(message)) is None
    shown = all_text(message.blocks) + message.text
    assert "Fact number 2 holds. (Tide Times)" in shown
    for source in sources:
        assert shown.count(f"<{escape(source.url)}|{source.name}>") == 1
    assert shown.count("://") == len(sources)  # no address shown but the links
    assert shown.count("Sources:") == 1


def test_a_hundred_sources_each_linked_once_within_slacks_limits() -> None:
    sources = tuple(Source(f"Outlet {n}", f"https://o{n}.example/{'x' * 80}") for n in range(100))
    messages = render_reply(core_answer(sources))
    for message in messages:
        assert check_message(message_args(message)) is None
    shown = all_text([m.blocks for m in messages]) + "".join(m.text for m in messages)
    assert all(shown.count(source.url) == 1 for source in sources)


def test_a_sources_line_naming_other_addresses_is_kept() -> None:
    cited = Source("Harbour Gazette", "https://news0.example/story-1")
    text = "The pier reopens. (Harbour Gazette)\nSources: see https://other.example/x"
    (message,) = render_reply(Reply(text=text, citations=(cited,)))
    shown = all_text(message.blocks)
    assert "https://other.example/x" in shown
    assert shown.count("https://news0.example/story-1") == 1


def test_slack_formatting_characters_in_feed_text_are_shown_as_written() -> None:
    styled = "Port *strike* ends, _union_ says ~50 jobs kept, `code`"
    (message,) = render_digest(digest(1, headline=styled, text=f"{styled}."))
    headline, summary = (b["text"] for b in message.blocks if b["type"] == "section")
    # The summary is plain_text: Slack shows it exactly, with no bold, italics or strikes.
    assert summary["type"] == "plain_text" and f" {styled}. (" in summary["text"]
    # The bold headline is mrkdwn, which cannot escape these: look-alikes stand in for them.
    assert headline["text"].startswith("*1. Port ∗strike∗ ends") and headline["text"].endswith("*")
    assert not any(mark in headline["text"][1:-1] for mark in "*_~`")
    assert "ˍunionˍ" in headline["text"] and "∼50" in headline["text"]


def test_a_feed_giving_huge_article_links_and_outlet_names_cannot_get_the_digest_refused() -> None:
    # A hostile (or broken) feed controls its articles' links and its own name; one story
    # with a 5000-character link must not make Slack refuse the whole day's digest.
    huge = Source("Gazette " + "g" * 400, "https://gazette.example/a?" + "q" * 5000)
    many = tuple(Source(f"Outlet {n}", f"https://o{n}.example/" + "x" * 1900) for n in range(8))
    stories = (
        item(1),
        DigestItem(
            story_id="s2",
            headline="Pier reopens",
            sentences=(Sentence("The pier reopened on Monday.", (huge,)),),
            sources=(huge,),
            summariser="extractive",
        ),
        DigestItem(
            story_id="s3",
            headline="Ferry fares rise",
            sentences=(Sentence("Ferry fares rise by a tenth in May.", many),),
            sources=many,
            summariser="extractive",
        ),
    )
    messages = render_digest(Digest("Morning digest", START, END, stories, id="d-1"))
    for message in messages:
        assert check_message(message_args(message)) is None
    shown = all_text([m.blocks for m in messages])
    assert "Gazette ggg" in shown and "Pier reopens" in shown  # the outlet is still named
    assert all(f"https://o{n}.example/" in shown for n in range(8))  # fine links kept


def test_formatting_characters_in_outlet_names_are_shown_as_written() -> None:
    # Outlet names come from the feeds and are shown in mrkdwn (the Sources line): one feed
    # named "~Tide" and another "Times~" must not strike out what lies between them.
    names = ("~Tide", "*Bold* Gazette", "Times~", "`Ledger", "_Courier_")
    sources = tuple(Source(name, f"https://n{k}.example/a") for k, name in enumerate(names))
    stories = (
        DigestItem(
            story_id="s1",
            headline="Pier reopens",
            sentences=(Sentence("The pier reopened on Monday.", sources),),
            sources=sources,
            summariser="extractive",
        ),
    )
    (message,) = render_digest(Digest("Morning digest", START, END, stories, id="d-1"))
    line = next(
        e["text"]
        for b in message.blocks
        if b["type"] == "context"
        for e in b["elements"]
        if "Sources:" in e["text"]
    )
    labels = re.findall(r"\|([^>]*)>", line)
    assert len(labels) == len(names)
    assert not any(mark in label for label in labels for mark in "*_~`")
    assert "∼Tide" in line and "ˋLedger" in line
