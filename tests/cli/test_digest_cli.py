"""`newsbot digest` and `newsbot summarise` through the real entry point, as a user runs them."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.feeds.urls import canonical_url
from bot.summarise.neutral import assess
from tests.cli.conftest import Run
from tests.fakes.feed_server import FeedServer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# Wording of the seeds' partisan outlet that a neutral digest must never repeat.
BULLDOG_PHRASES = [
    "rubber-stamp",
    "rammed",
    "so-called",
    "licking their lips",
    "pen-pushers",
    "titanic",
    "slap on the wrist",
    "soft-touch",
    "crooked",
    "jaunts",
    "hold your breath",
    "jaw-dropping",
    "balloons",
    "cronies",
    "hackers certainly",
    "thought not",
    "agitators",
    "bored pensioners",
    "red-flag-waving",
    "fare-hike",
    "daylight robbery",
    "open your wallets",
    "stung",
    "every day",
    "cash machine",
    "any sense",
    "zero shame",
    "hangers-on",
    "champagne",
    "do as i say",
    "dinosaur",
    "yes, really",
    "land grab",
    "!",
    "?",
]


def _truth() -> dict[str, Any]:
    truth: dict[str, Any] = json.loads((SEEDS / "stories.json").read_text())
    return truth


def _seed_story_of_url() -> dict[str, str]:
    return {
        canonical_url(item["link"]): story["story"]
        for story in _truth()["stories"]
        for item in story["items"]
    }


def _seed_outlets() -> dict[str, str]:
    opml = (SEEDS / "seeds.opml").read_text()
    return {html.unescape(t): u for t, u in re.findall(r'title="([^"]+)"\s+xmlUrl="([^"]+)"', opml)}


def test_digest_without_arguments_prints_the_bundled_seeds_offline(newsbot: Run) -> None:
    result = newsbot("digest")  # no LLM configured: auto means extractive
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "News digest"
    # The seeds' own time span, not "the last 24 hours from now".
    assert lines[1].startswith("2026-11-24") and "2026-11-25" in lines[1]
    assert len(re.findall(r"^\d+\. ", result.out, flags=re.M)) == 8  # digest.max_items
    assert "Sources: " in result.out and "Summary: extractive" in result.out


def test_seed_digest_shows_each_story_once_names_every_outlet_and_stays_neutral(
    newsbot: Run,
) -> None:
    result = newsbot(
        "digest", "--format", "json", "--max-items", "50", "--summariser", "extractive"
    )
    assert result.code == 0, result.err
    digest = json.loads(result.out)
    story_of = _seed_story_of_url()
    truth = {s["story"]: s for s in _truth()["stories"]}
    seen: list[str] = []
    for item in digest["items"]:
        stories = {story_of[canonical_url(s["url"])] for s in item["sources"]}
        assert len(stories) == 1, f"one item mixes stories: {stories}"
        seen.append(stories.pop())
        outlets = {s["name"] for s in item["sources"]}
        for name in outlets:
            assert name in item["summary"]
        if len(outlets) > 1:
            assert item["summary"].startswith("Reported by ")
        for sentence in item["sentences"]:
            assert sentence["sources"], "every shown sentence names its outlet"
    assert sorted(seen) == sorted(truth), "each story exactly once"
    for story in truth.values():
        item = digest["items"][seen.index(story["story"])]
        assert len(item["sources"]) == len(story["items"])


def test_seed_digest_never_repeats_the_partisan_outlets_wording(newsbot: Run) -> None:
    result = newsbot(
        "digest", "--format", "json", "--max-items", "50", "--summariser", "extractive"
    )
    digest = json.loads(result.out)
    bulldog = "The Bulldog Bulletin"
    for item in digest["items"]:
        for sentence in item["sentences"]:
            if any(s["name"] == bulldog for s in sentence["sources"]):
                lowered = sentence["text"].lower()
                for phrase in BULLDOG_PHRASES:
                    assert phrase not in lowered, (phrase, sentence["text"])
                assert not assess(sentence["text"]).strong
        if any(s["name"] == bulldog for s in item["sources"]):
            headline = item["headline"].lower()
            assert not any(p in headline for p in BULLDOG_PHRASES), item["headline"]


def test_disputed_figures_in_the_seeds_appear_with_their_outlets(newsbot: Run) -> None:
    result = newsbot(
        "digest", "--format", "json", "--max-items", "50", "--summariser", "extractive"
    )
    digest = json.loads(result.out)
    dock = next(i for i in digest["items"] if "dock" in i["headline"].lower())
    figures = {
        s["name"]: sentence["text"]
        for sentence in dock["sentences"]
        for s in sentence["sources"]
        if re.search(r"\b[25],000\b", sentence["text"])
    }
    assert any("5,000" in text for text in figures.values())
    assert any("2,000" in text for text in figures.values())


def test_markdown_format_and_item_limit(newsbot: Run) -> None:
    result = newsbot(
        "digest", "--format", "markdown", "--max-items", "3", "--summariser", "extractive"
    )
    assert result.code == 0
    assert result.out.startswith("# News digest")
    assert len(re.findall(r"^## \d+\. ", result.out, flags=re.M)) == 3
    assert "](https://" in result.out


def test_feeds_option_reads_a_file_an_opml_and_a_url(
    newsbot: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = newsbot("digest", "--feeds", str(SEEDS / "meridian-wire.atom.xml"), "--max-items", "50")
    assert one.code == 0, one.err
    assert "Meridian Wire Service" in one.out and "Harbour Gazette" not in one.out

    opml = newsbot("digest", "--feeds", str(SEEDS / "seeds.opml"), "--max-items", "50")
    assert opml.code == 0, opml.err
    for outlet in _seed_outlets():
        assert outlet in opml.out

    with FeedServer() as server:
        body = (SEEDS / "npb-news.atom.xml").read_bytes()
        server.serve("/npb.xml", body, content_type="application/atom+xml")
        monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES", "true")
        fetched = newsbot("digest", "--feeds", server.url("/npb.xml"), "--max-items", "50")
        assert len(server.requests_for("/npb.xml")) == 1
    assert fetched.code == 0, fetched.err
    assert "NPB News" in fetched.out and "Meridian" not in fetched.out


def test_since_keeps_only_the_newest_articles_of_local_feeds(newsbot: Run) -> None:
    everything = newsbot(
        "digest", "--format", "json", "--max-items", "50", "--summariser", "extractive"
    )
    recent = newsbot(
        "digest",
        "--format",
        "json",
        "--max-items",
        "50",
        "--since",
        "6h",
        "--summariser",
        "extractive",
    )
    assert recent.code == 0
    assert 0 < len(json.loads(recent.out)["items"]) < len(json.loads(everything.out)["items"])


def test_seeds_dir_setting_replaces_the_bundled_seeds(
    newsbot: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "my-seeds"
    folder.mkdir()
    (folder / "ledger.xml").write_bytes((SEEDS / "ledger-and-line.rss.xml").read_bytes())
    monkeypatch.setenv("NEWSBOT_DIGEST__SEEDS_DIR", str(folder))
    result = newsbot("digest", "--max-items", "50")
    assert result.code == 0, result.err
    assert "Ledger & Line" in result.out
    assert "Meridian Wire Service" not in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("digest", "--feeds", "/no/such/feed.xml"), "/no/such/feed.xml: no such file"),
        (("digest", "--max-items", "0"), "--max-items must be at least 1"),
    ],
)
def test_bad_digest_input_is_one_clear_sentence(
    newsbot: Run, argv: tuple[str, ...], message: str
) -> None:
    result = newsbot(*argv)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_bad_feed_among_several_is_skipped_and_named_as_the_user_gave_it(
    newsbot: Run, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.xml"
    notes.write_text("<notes><line>not a feed</line></notes>")
    opml = tmp_path / "list.opml"
    opml.write_text(
        '<opml><body><outline text="F" xmlUrl="ftp://files.example/f.xml"/></body></opml>'
    )
    good = str(SEEDS / "npb-news.atom.xml")
    cases = {
        (good, str(notes)): f"{notes}: skipped, it is not an RSS, Atom or JSON feed.",
        (good, "ftp://files.example/f.xml"): "ftp://files.example/f.xml: skipped, not an "
        "http(s) URL.",
        (good, str(opml)): f"{opml} lists ftp://files.example/f.xml: skipped, not an http(s) "
        "URL or a file.",
    }
    for feeds, message in cases.items():
        result = newsbot("digest", "--feeds", *feeds)
        assert result.code == 0, feeds  # the good feed still gives its digest
        assert result.err == f"newsbot: warning: {message}\n", result.err
        assert "NPB News" in result.out


def test_summarise_writes_the_batch_contract_for_both_line_shapes(
    newsbot: Run, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    out = tmp_path / "out.jsonl"
    rows = [
        {
            "id": "a1",
            "title": "Bridge closed",
            "source": "Coastline Wire",
            "url": "https://coastlinewire.example/bridge",
            "text": "The Tanner Street bridge was closed on Monday after inspectors found "
            "cracked bearings, the roads agency said. Repairs will take six weeks, officials said.",
        },
        {
            "id": 7,
            "articles": [
                {
                    "outlet": "Coastline Wire",
                    "title": "Fire forces evacuation",
                    "url": "https://coastlinewire.example/fire",
                    "text": "A warehouse fire in Brenton forced 120 residents from their homes on "
                    "Tuesday, the fire service said.",
                },
                {
                    "outlet": "Marlow Evening Post",
                    "title": "Hundreds leave homes",
                    "url": "https://marlowpost.example/fire",
                    "text": "The warehouse fire in Brenton forced 400 residents from their homes "
                    "on Tuesday, according to the mayor.",
                },
            ],
        },
    ]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = newsbot(
        "summarise", "--jsonl", str(source), "--out", str(out), "--summariser", "extractive"
    )
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a1", "7"]
    for line in lines:
        assert set(line) == {"id", "summary", "sentences", "sources", "summariser", "withheld"}
        assert line["summariser"] == "extractive"
        for sentence in line["sentences"]:
            assert set(sentence) == {"text", "sources"}
            assert sentence["text"] in line["summary"]
            assert all(set(s) == {"name", "url"} for s in sentence["sources"])
    first, story = lines
    assert first["summary"].endswith("(Coastline Wire)")
    assert first["sources"] == [
        {"name": "Coastline Wire", "url": "https://coastlinewire.example/bridge"}
    ]
    assert story["summary"].startswith("Reported by Coastline Wire and Marlow Evening Post.")
    assert "120 residents" in story["summary"] and "400 residents" in story["summary"]


def test_summarise_reports_bad_lines_by_number_and_still_does_the_rest(
    newsbot: Run, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    out = tmp_path / "out.jsonl"
    good = {
        "id": "ok",
        "text": "The council approved the budget on Monday, the mayor said.",
        "source": "Post",
    }
    source.write_text(
        "\n".join(
            [
                json.dumps(good),
                "{not json",
                json.dumps({"text": "no id here"}),
                json.dumps({"id": "x", "articles": []}),
                json.dumps({"id": "y", "articles": [{"title": "no outlet", "text": "t"}]}),
                json.dumps({"id": "z"}),
                "",
                json.dumps({**good, "id": "ok2", "text": ""}),
            ]
        )
        + "\n"
    )
    result = newsbot(
        "summarise", "--jsonl", str(source), "--out", str(out), "--summariser", "extractive"
    )
    assert result.code == 1
    assert "line 2: not valid JSON" in result.err
    assert 'line 3: missing "id"' in result.err
    assert 'line 4: "articles" must be a non-empty list.' in result.err
    assert 'line 5: articles[0] needs an "outlet" name.' in result.err
    assert 'line 6: needs "text"' in result.err
    assert 'line 8: is empty: no "title" and no "text" to summarise.' in result.err
    assert "6 of 7 lines failed" in result.err
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["id"] for w in written] == ["ok"]


def test_summarise_reports_a_hostile_deeply_nested_line_and_does_the_others(
    newsbot: Run, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    good = {"id": "ok", "text": "The council approved the budget on Monday, the mayor said."}
    nested = '{"id": "deep", "text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    source.write_text(json.dumps(good) + "\n" + nested + "\n")
    result = newsbot(
        "summarise", "--jsonl", str(source), "--out", "-", "--summariser", "extractive"
    )
    assert result.code == 1
    assert "line 2: JSON nested too deeply" in result.err and "Traceback" not in result.err
    assert [json.loads(line)["id"] for line in result.out.splitlines()] == ["ok"]


def test_summarise_says_so_when_the_input_has_no_lines(newsbot: Run, tmp_path: Path) -> None:
    # An empty output file with no word on why looks like a silent failure.
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n  \n")
    result = newsbot("summarise", "--jsonl", str(source), "--out", str(out))
    assert result.code == 0 and out.read_text() == ""
    assert result.err.strip() == f"newsbot: {source} has no lines to summarise; {out} is empty."


def test_summarise_refuses_a_missing_input_file(newsbot: Run, tmp_path: Path) -> None:
    result = newsbot(
        "summarise", "--jsonl", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o.jsonl")
    )
    assert result.code == 2
    assert "does not exist" in result.err


def test_summarise_streams_stdin_to_stdout_on_a_long_run(
    newsbot: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    lines = [
        json.dumps(
            {
                "id": f"n{i}",
                "source": "Coastline Wire",
                "text": f"The harbour board approved plan number {i} on Monday, officials said. "
                "Work starts in spring.",
            }
        )
        for i in range(120)
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    result = newsbot("summarise", "--jsonl", "-", "--out", "-", "--summariser", "extractive")
    assert result.code == 0, result.err
    written = [json.loads(line) for line in result.out.splitlines()]
    assert [w["id"] for w in written] == [f"n{i}" for i in range(120)]
    assert "Traceback" not in result.err


def test_summarise_refuses_an_impossible_sentence_count(newsbot: Run, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "a", "text": "One sentence here, they said."}) + "\n")
    result = newsbot("summarise", "--jsonl", str(source), "--out", "-", "--max-sentences", "0")
    assert result.code == 2
    assert "--max-sentences must be between 1 and 10." in result.err
