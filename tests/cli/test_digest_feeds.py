"""`newsbot digest --feeds` over real-world messy feeds (issue 14), as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import Result, Run
from tests.fakes.feed_server import FeedServer

MESSY = Path(__file__).resolve().parents[2] / "benchmarks" / "feeds" / "messy"


def _digest(newsbot: Run, *sources: str) -> Result:
    return newsbot(
        "digest", "--format", "json", "--summariser", "extractive", "--max-items", "50",
        "--feeds", *sources,
    )  # fmt: skip


def test_a_folder_with_a_page_an_opml_and_a_broken_feed_still_gives_a_digest(
    newsbot: Run,
) -> None:
    result = _digest(newsbot, str(MESSY))
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.strip()]
    assert warnings == [
        f"newsbot: warning: {MESSY / 'reading-list.opml'} lists gone.xml: skipped, no such file.",
        f"newsbot: warning: {MESSY / 'broken.xml'}: skipped, it is a broken feed with no "
        "readable entry.",
        f"newsbot: warning: {MESSY / 'frontpage.xml'}: skipped, it is a web page (HTML), "
        "not a feed.",
    ]
    items = result.digest()["items"]
    urls = [s["url"] for item in items for s in item["sources"]]
    assert len(urls) == len(set(urls))  # the mirror feed's copies appear once
    for item in items:
        assert item["headline"].strip()
        assert all(s["text"].strip() for s in item["sentences"])


def test_the_digest_of_messy_feeds_reads_as_an_editor_would_publish_it(newsbot: Run) -> None:
    items = _digest(newsbot, str(MESSY)).digest()["items"]
    by_headline = {item["headline"]: item for item in items}
    # Outlets' own titles, their case and numbering kept.
    for title in (
        "iPad mini 7 rumours point to a spring launch",
        "eBay Inc. reports a 6% rise in third-quarter revenue",
        "309: Do Not Expect Five Nines From My Home Server",
        "Should you buy a refurbished laptop?",
        "I Moved My Photo Library Off the Cloud. Here Is What Broke",
    ):
        assert title in by_headline
    # The recall and the strike are each reported by three outlets; nothing old leads.
    summarised = [i for i in items if i["sentences"]]
    assert items[: len(summarised)] == summarised  # "No summary" never opens the digest
    assert summarised[-1]["headline"] == "Orbital Labs launches Skylark weather satellite"
    widely = {
        i["headline"]: {s["name"] for s in i["sources"]} for i in items if len(i["sources"]) > 1
    }
    assert widely == {
        "Lumina Mobile recalls Lumen X2 handsets after battery reports": {
            "Circuit Daily",
            "Northwire",
            "Byte Ledger",
        },
        "Dock workers at Port Selwyn begin 48-hour strike over pay": {
            "Northwire",
            "Harbour Herald",
            "Valley Courier",
        },
        "Orbital Labs launches Skylark weather satellite": {"Circuit Daily", "Northwire"},
    }
    # A two-sentence item has its summary; an episode of sponsor reads has none, and says so.
    assert by_headline["Library extends weekend hours"]["sentences"]
    listener = by_headline["311: Listener Mail"]
    assert listener["sentences"] == []
    assert "headline only" not in listener["summary"]
    everything = json.dumps(items)
    for furniture in ("promo code", "privacy information", "Use code", "deploy["):
        assert furniture not in everything


def test_only_when_nothing_is_readable_does_the_digest_fail(newsbot: Run, tmp_path: Path) -> None:
    shutil.copy(MESSY / "frontpage.xml", tmp_path / "frontpage.xml")
    shutil.copy(MESSY / "broken.xml", tmp_path / "broken.xml")
    result = _digest(newsbot, str(tmp_path))
    assert result.code == 2
    assert result.err.strip().splitlines()[-1] == (
        "newsbot: None of the sources could be read as a feed (2 skipped)."
    )
    assert "RSS or Atom link" not in result.err  # advice for web addresses, not files
    assert "Traceback" not in result.err


def test_an_opml_with_one_failing_url_skips_it_and_goes_on(
    newsbot: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES", "true")
    with FeedServer() as server:
        server.serve("/valley.xml", (MESSY / "valley-courier.xml").read_bytes())
        server.serve("/gone.xml", b"", status=404)
        opml = tmp_path / "list.opml"
        opml.write_text(
            '<?xml version="1.0"?><opml version="2.0"><body>'
            f'<outline type="rss" xmlUrl="{server.url("/valley.xml")}"/>'
            f'<outline type="rss" xmlUrl="{server.url("/gone.xml")}"/>'
            "</body></opml>"
        )
        result = _digest(newsbot, str(opml))
    assert result.code == 0, result.err
    warnings = result.err.strip().splitlines()
    assert len(warnings) == 1
    assert warnings[0].startswith(f"newsbot: warning: {server.url('/gone.xml')}: skipped, ")
    assert {s["name"] for i in result.digest()["items"] for s in i["sources"]} == {"Valley Courier"}


def test_the_same_feed_as_a_file_and_a_url_gives_each_article_once(
    newsbot: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES", "true")
    body = (MESSY / "northwire.xml").read_bytes()
    with FeedServer() as server:
        server.serve("/northwire.xml", body)
        result = _digest(newsbot, str(MESSY / "northwire.xml"), server.url("/northwire.xml"))
    assert result.code == 0, result.err
    sources = [s for i in result.digest()["items"] for s in i["sources"]]
    assert len(sources) == 5
    assert {s["name"] for s in sources} == {"Northwire"}


def test_the_story_window_is_the_users_to_choose(newsbot: Run) -> None:
    """The strike's two days are one story within 3 days, two within 12 hours."""
    feeds = [str(MESSY / name) for name in ("northwire.xml", "valley-courier.xml")]

    def strike_items(*window: str) -> list[set[str]]:
        result = newsbot(
            "digest", "--format", "json", "--summariser", "extractive", "--max-items", "50",
            *window, "--feeds", *feeds,
        )  # fmt: skip
        assert result.code == 0, result.err
        return [
            {s["name"] for s in item["sources"]}
            for item in result.digest()["items"]
            if "Port Selwyn" in item["headline"]
        ]

    assert strike_items() == [{"Northwire", "Valley Courier"}]
    assert sorted(map(sorted, strike_items("--story-window", "12h"))) == [
        ["Northwire"],
        ["Valley Courier"],
    ]
