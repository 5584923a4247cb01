"""Renderings of a Digest: the summary text channels show, text, Markdown, JSON round trip."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.digest.render import (
    digest_from_dict,
    digest_to_dict,
    item_summary_text,
    render_markdown,
    render_text,
)
from bot.errors import BadInput
from bot.models import Digest, DigestItem, Sentence, Source, outlet_list

WIRE = Source("Coastline Wire", "https://coastlinewire.example/a", "a1")
POST = Source("Marlow Evening Post", "https://marlowpost.example/b", "b1")
ODD = Source("Odd [Outlet]", "javascript:alert(1)", "c1")


def _item(sentences: tuple[Sentence, ...], sources: tuple[Source, ...], **kw: str) -> DigestItem:
    return DigestItem(
        story_id="s1",
        headline=kw.get("headline", "Bridge closed"),
        sentences=sentences,
        sources=sources,
        summariser="extractive",
        note=kw.get("note", ""),
    )


SINGLE = _item((Sentence("The bridge closed, the agency said.", (WIRE,)),), (WIRE,))
MULTI = _item(
    (
        Sentence("The bridge closed on Monday.", (WIRE, POST)),
        Sentence("120 people left, the fire service said.", (WIRE,)),
        Sentence("400 people left, the mayor said.", (POST,)),
    ),
    (WIRE, POST),
)
DIGEST = Digest(
    title="Morning digest",
    period_start=datetime(2026, 3, 10, 6, tzinfo=UTC),
    period_end=datetime(2026, 3, 11, 6, tzinfo=UTC),
    items=(MULTI, SINGLE),
    id="d1",
)


def test_outlet_lists_read_naturally() -> None:
    assert outlet_list(["A"]) == "A"
    assert outlet_list(["A", "B"]) == "A and B"
    assert outlet_list(["A", "B", "C"]) == "A, B and C"


def test_single_outlet_summary_names_the_outlet_once() -> None:
    assert item_summary_text(SINGLE) == "The bridge closed, the agency said. (Coastline Wire)"
    assert SINGLE.summary == item_summary_text(SINGLE)


def test_multi_outlet_summary_says_who_reported_and_tags_each_sentence() -> None:
    assert item_summary_text(MULTI) == (
        "Reported by Coastline Wire and Marlow Evening Post. "
        "The bridge closed on Monday. (Coastline Wire and Marlow Evening Post) "
        "120 people left, the fire service said. (Coastline Wire) "
        "400 people left, the mayor said. (Marlow Evening Post)"
    )


def test_text_rendering_lists_items_with_sources_and_links() -> None:
    text = render_text(DIGEST)
    assert text.startswith("Morning digest\n2026-03-10 06:00 – 2026-03-11 06:00 UTC\n")
    assert "1. Bridge closed" in text and "2. Bridge closed" in text
    assert "Sources: Coastline Wire <https://coastlinewire.example/a>" in text
    assert item_summary_text(MULTI) in text


def test_markdown_escapes_text_and_links_only_http_sources() -> None:
    item = _item(
        (Sentence("Prices rose *sharply* [see](https://evil.example) #1.", (ODD,)),),
        (ODD, WIRE),
        headline="A [link](https://evil.example) headline",
    )
    digest = Digest("T", DIGEST.period_start, DIGEST.period_end, (item,))
    markdown = render_markdown(digest)
    assert "](https://evil.example)" not in markdown
    assert "javascript:" not in markdown
    assert "\\*sharply\\*" in markdown
    assert "Odd \\[Outlet\\]" in markdown
    assert "[Coastline Wire](https://coastlinewire.example/a)" in markdown


def test_empty_digest_says_so() -> None:
    empty = Digest("T", DIGEST.period_start, DIGEST.period_end, ())
    assert "No stories in this period." in render_text(empty)
    assert "No stories in this period." in render_markdown(empty)


def test_notes_for_readers_are_shown() -> None:
    note = "Not in English: the outlet's opening sentences, without the neutrality checks."
    item = _item(SINGLE.sentences, SINGLE.sources, note=f"LLM timed out; {note}")
    digest = Digest("T", DIGEST.period_start, DIGEST.period_end, (item,))
    assert f"Note: {note}" in render_text(digest) and "LLM" not in render_text(digest)


def test_json_round_trip_is_exact_and_carries_the_shown_summary() -> None:
    data = json.loads(json.dumps(digest_to_dict(DIGEST)))
    assert digest_from_dict(data) == DIGEST
    assert data["items"][0]["summary"] == item_summary_text(MULTI)
    assert data["period_start"] == "2026-03-10T06:00:00+00:00"


@pytest.mark.parametrize(
    "broken",
    [
        {},
        {
            "title": "T",
            "period_start": "2026-03-10T06:00:00",
            "period_end": "2026-03-10T06:00:00+00:00",
            "items": [],
        },
        {"title": "T", "period_start": "x", "period_end": "y", "items": []},
        {
            **digest_to_dict(DIGEST),
            "items": [{**digest_to_dict(DIGEST)["items"][0], "summariser": "gpt"}],
        },
        {**digest_to_dict(DIGEST), "items": "nope"},
        [],
    ],
)
def test_anything_else_is_refused_in_one_sentence(broken: object) -> None:
    with pytest.raises(BadInput, match="not a stored digest"):
        digest_from_dict(broken)
