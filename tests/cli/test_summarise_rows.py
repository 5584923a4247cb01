"""`newsbot summarise`: text present means a summary (issue 14.4), through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Run


def test_text_means_a_summary_a_title_alone_is_headline_only_and_nothing_is_refused(
    newsbot: Run, tmp_path: Path
) -> None:
    rows = [
        {
            "id": "two",
            "title": "Library extends weekend hours",
            "text": "The library will open on Sundays from January. The council agreed on Tuesday.",
            "source": "Valley Courier",
        },
        {"id": "title-only", "title": "Library extends weekend hours", "text": "", "source": "VC"},
        {"id": "empty", "title": "", "text": "  ", "source": "Valley Courier"},
        {"id": "all-empty", "articles": [{"outlet": "A", "text": ""}, {"outlet": "B"}]},
    ]
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = newsbot(
        "summarise", "--jsonl", str(source), "--out", str(out), "--summariser", "extractive"
    )
    written = {w["id"]: w for w in map(json.loads, out.read_text().splitlines())}
    assert written["two"]["summary"] == (
        "The library will open on Sundays from January. The council agreed on Tuesday. "
        "(Valley Courier)"
    )
    assert written["title-only"]["summary"] == "No summary: VC gave a headline only."
    assert set(written) == {"two", "title-only"}
    assert result.code == 1
    for line in (3, 4):
        assert f'line {line}: is empty: no "title" and no "text" to summarise.' in result.err
