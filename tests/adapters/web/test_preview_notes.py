"""The dashboard's digest preview shows readers what the chat digests show them: the note meant
for readers ("Outlets differ: ..."), never why the LLM's summary was refused."""

from __future__ import annotations

from bot.models import Reply
from tests.adapters.web.conftest import OURS, Site
from tests.digest.test_render_notes import REFUSED, _digest

REASON = "LLM summary rejected: loaded language 'shameful'"


def preview_of(site: Site, note: str) -> str:
    """The preview page's HTML for a one-story digest whose item carries `note`."""
    template = site.board.templates.get_template("preview.html")
    return template.render(where=OURS, digest_reply=Reply(text="", digest=_digest(note)))


async def test_the_preview_never_shows_why_the_llm_summary_was_refused(local_site: Site) -> None:
    page = preview_of(local_site, REFUSED)
    assert "shameful" not in page and "rejected" not in page
    assert "Note: Outlets differ: Coastline Wire says 120" in page


async def test_an_operator_only_note_leaves_no_note_line(local_site: Site) -> None:
    page = preview_of(local_site, REASON)
    assert "shameful" not in page and "Note:" not in page
    assert "The bridge closed, the agency said." in page
