"""The dashboard's digest preview shows readers what the chat digests show them: the note meant
for readers ("Outlets differ: ..."), never why the LLM's summary was refused."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Digest, DigestItem, Reply, Sentence, Source
from tests.adapters.web.conftest import OURS, Site

WIRE = Source("Coastline Wire", "https://coastlinewire.example/a", "a1")
REFUSED = "LLM summary rejected: loaded language 'shameful'"
READERS = "Outlets differ: Coastline Wire says 120, Marlow Evening Post says 400"


def preview_of(site: Site, note: str) -> str:
    """The preview page's HTML for a one-story digest whose item carries `note`."""
    item = DigestItem(
        story_id="s1",
        headline="Bridge closed",
        sentences=(Sentence("The bridge closed, the agency said.", (WIRE,)),),
        sources=(WIRE,),
        summariser="extractive",
        note=note,
    )
    start = datetime(2026, 6, 10, 6, tzinfo=UTC)
    digest = Digest("Morning digest", start, start.replace(day=11), (item,))
    template = site.board.templates.get_template("preview.html")
    return template.render(where=OURS, digest_reply=Reply(text="", digest=digest))


async def test_the_preview_never_shows_why_the_llm_summary_was_refused(local_site: Site) -> None:
    page = preview_of(local_site, f"{REFUSED}; {READERS}")
    assert "shameful" not in page and "rejected" not in page
    assert "Note: Outlets differ: Coastline Wire says 120" in page


async def test_an_operator_only_note_leaves_no_note_line(local_site: Site) -> None:
    page = preview_of(local_site, REFUSED)
    assert "shameful" not in page and "Note:" not in page
    assert "The bridge closed, the agency said." in page
