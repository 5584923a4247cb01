"""What readers see of an item's note and of the digest's period: a neutral label, never the
reason an LLM summary was refused, and the period in the channel's own time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from adapters.discord_bot.render import summariser_label
from adapters.slack_bot.render import item_blocks
from bot.digest.render import reader_note, render_markdown, render_text
from bot.models import Digest, DigestItem, Sentence, Source

WIRE = Source("Coastline Wire", "https://coastlinewire.example/a", "a1")
REFUSED = (
    "LLM summary rejected: loaded language 'shameful'; "
    "Outlets differ: Coastline Wire says 120, Marlow Evening Post says 400"
)


def _item(note: str) -> DigestItem:
    return DigestItem(
        story_id="s1",
        headline="Bridge closed",
        sentences=(Sentence("The bridge closed, the agency said.", (WIRE,)),),
        sources=(WIRE,),
        summariser="extractive",
        note=note,
    )


def _digest(note: str, *, zone: str = "UTC") -> Digest:
    local = ZoneInfo(zone)
    return Digest(
        title="Morning digest",
        period_start=datetime(2026, 6, 10, 6, tzinfo=UTC).astimezone(local),
        period_end=datetime(2026, 6, 11, 6, tzinfo=UTC).astimezone(local),
        items=(_item(note),),
    )


def test_reasons_for_refusing_an_llm_summary_never_reach_readers() -> None:
    digest = _digest(REFUSED)
    for shown in (render_text(digest), render_markdown(digest)):
        assert "shameful" not in shown and "rejected" not in shown
        assert "Outlets differ" in shown  # a note meant for readers stays
        assert "Summary: extractive" in shown
    assert reader_note(_item("LLM unavailable: connection refused")) == ""
    assert reader_note(_item("1 sentence of the LLM summary withheld (loaded language)")) == ""
    label = summariser_label(_item(REFUSED))
    assert "shameful" not in label and "Outlets differ" in label
    slack = str(item_blocks(1, _item("LLM summary rejected: loaded language 'shameful'")))
    assert "shameful" not in slack and "rejected" not in slack


def test_the_period_reads_in_the_channels_time_zone() -> None:
    shown = render_text(_digest("", zone="Europe/Berlin"))
    assert "2026-06-10 08:00 – 2026-06-11 08:00 CEST" in shown
