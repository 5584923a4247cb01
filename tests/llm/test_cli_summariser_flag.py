"""`--summariser` on `newsbot summarise` and `newsbot digest`, through the real CLI entry."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply
from tests.llm.conftest import FERRY_GAZETTE, FERRY_POST, GOOD_FERRY, TEST_KEY, with_sentence


def ferry_jsonl(path: Path) -> Path:
    story = {
        "id": "ferry",
        "articles": [
            {"outlet": a.outlet, "title": a.title, "url": a.url, "text": a.text}
            for a in (FERRY_GAZETTE, FERRY_POST)
        ],
    }
    path.write_text(json.dumps(story) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def llm_env(fake_openai: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> FakeOpenAI:
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    monkeypatch.setenv("NEWSBOT_LLM__BASE_URL", fake_openai.base_url)
    monkeypatch.setenv("NEWSBOT_LLM__API_KEY", TEST_KEY)
    monkeypatch.setenv("NEWSBOT_LLM__TIMEOUT_S", "1")
    monkeypatch.setenv("NEWSBOT_LLM__DIGEST_BUDGET_S", "3")
    # The configured default is extractive: the llm runs below prove the flag wins.
    monkeypatch.setenv("NEWSBOT_DIGEST__SUMMARISER", "extractive")
    return fake_openai


async def run_cli(*argv: str) -> int:
    # main() runs its own event loop; the fake server keeps serving in this one.
    return await asyncio.to_thread(main, list(argv))


async def summarise_records(tmp_path: Path, mode: str, *flags: str) -> list[dict[str, Any]]:
    out = tmp_path / "out.jsonl"
    code = await run_cli(
        "summarise", "--jsonl", str(ferry_jsonl(tmp_path / "in.jsonl")), "--out", str(out),
        "--summariser", mode, *flags,
    )  # fmt: skip
    assert code == 0
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


async def test_summarise_with_llm_flag_uses_the_llm(llm_env: FakeOpenAI, tmp_path: Path) -> None:
    llm_env.script(json_reply(GOOD_FERRY))
    [record] = await summarise_records(tmp_path, "llm")
    assert record["summariser"] == "llm"
    assert GOOD_FERRY["sentences"][0]["text"] in str(record["summary"])
    assert len(llm_env.chat_requests) == 1


async def test_summarise_with_extractive_flag_never_calls_the_llm(
    llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    [record] = await summarise_records(tmp_path, "extractive")
    assert record["summariser"] == "extractive"
    assert llm_env.requests == []


async def test_summarise_with_a_failing_llm_still_writes_every_line(
    llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    llm_env.script(Reply(status=500))
    [record] = await summarise_records(tmp_path, "llm")
    assert record["summariser"] == "extractive"
    assert record["sentences"]


async def test_digest_flag_labels_each_item(
    llm_env: FakeOpenAI, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Whatever the seeds hold, this reply invents a number, so every item is extractive.
    llm_env.script(
        json_reply(
            {
                "headline": "Update",
                "sentences": [{"text": "It cost 987,654 euros.", "sources": ["A1"]}],
            }
        )
    )
    code = await run_cli("digest", "--format", "json", "--max-items", "3", "--summariser", "llm")
    assert code == 0
    digest = json.loads(capsys.readouterr().out)
    assert digest["items"]
    assert {item["summariser"] for item in digest["items"]} == {"extractive"}
    assert len(llm_env.chat_requests) == len(digest["items"])


def test_unknown_summariser_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["digest", "--summariser", "gpt"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


INVENTED = "Mayor Johan Ekdahl welcomed the ferry route."


async def test_the_output_says_how_many_sentences_were_withheld(
    llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    llm_env.script(json_reply(with_sentence(GOOD_FERRY, INVENTED, ["A1"])))
    [record] = await summarise_records(tmp_path, "llm")
    assert record["summariser"] == "llm" and record["withheld"] == 1
    assert INVENTED not in record["summary"]
    assert "checks" not in record  # only with --explain


async def test_explain_gives_each_sentences_verdict_and_reason(
    llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    llm_env.script(json_reply(with_sentence(GOOD_FERRY, INVENTED, ["A1"])))
    [record] = await summarise_records(tmp_path, "llm", "--explain")
    first, second = (s["text"] for s in GOOD_FERRY["sentences"])
    verdicts = [(c["text"], c["shown"], c["reason"]) for c in record["checks"]]
    assert verdicts == [
        (first, True, ""),
        (second, True, ""),
        (INVENTED, False, "name 'Mayor' not in sources"),
    ]
    # Where each shown sentence rests: the first on the Gazette's first sentence.
    assert record["checks"][0]["passage"] == "sentence 1 of Harbour Gazette"


async def test_explain_on_an_item_that_fell_back_shows_why(
    llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    llm_env.script(json_reply({**GOOD_FERRY, "sentences": [{"text": INVENTED, "sources": ["A1"]}]}))
    [record] = await summarise_records(tmp_path, "llm", "--explain")
    assert record["summariser"] == "extractive" and record["withheld"] == 1
    [check] = record["checks"]
    assert check["shown"] is False and check["reason"] == "name 'Mayor' not in sources"


async def test_explain_on_an_extractive_run_has_no_llm_verdicts(
    llm_env: FakeOpenAI, tmp_path: Path
) -> None:
    [record] = await summarise_records(tmp_path, "extractive", "--explain")
    assert record["withheld"] == 0 and record["checks"] == []
