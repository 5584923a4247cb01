"""How often the grounding check accepts a real model's summaries, and why it rejects them.

Runs the LLM summariser (the same code path as `newsbot summarise --summariser llm`) over a
sample of ../shared/eval with the local Gemma 3 270M served by llama.cpp (or any
OpenAI-compatible server given with --base-url), and the extractive summariser over the same
items, then scores both outputs with the evaluation's score.py.

    python benchmarks/eval_llm.py --per-file 10
    python benchmarks/eval_llm.py --base-url http://127.0.0.1:8080/v1 --model my-model

Prints a JSON report: items accepted / rejected, rejections counted by reason, seconds per
item, and the score.py figures for the final LLM-path output and the extractive output.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.cli.digest_cmd import job_from_line, output_record  # noqa: E402
from bot.config import DigestSettings, LlmSettings, Settings  # noqa: E402
from bot.models import DigestItem, Story  # noqa: E402
from bot.summarise.extractive import ExtractiveSummariser  # noqa: E402
from bot.summarise.factory import make_summariser  # noqa: E402
from bot.summarise.grounding import normalise  # noqa: E402

FILES = ("cnndm.jsonl", "roundups.jsonl", "propaganda.jsonl")
# Note text -> reason category, first match wins.
REASONS = (
    ("which does not say it", "cites an article that does not say it"),
    ("instruction hidden", "obeys an instruction hidden in an article"),
    ("placeholder", "placeholder token"),
    ("repeats an earlier", "repeated sentence"),
    ("someone other than", "says of one person what the source says of another"),
    ("figure", "figure attached to another thing"),
    ("negat", "negation added or dropped"),
    ("states as fact", "'may' stated as fact"),
    ("in the passage of", "name or number not in the supporting passage"),
    ("in one passage of", "content words not in one passage"),
    ("not in these relations", "words recombined"),
    ("on average", "sentences only loosely supported"),
    ("second look", "refused by the model's second opinion"),
    ("not valid JSON", "invalid JSON"),
    ("not a JSON object", "invalid JSON"),
    ("did not answer within", "timeout"),
    ("time budget", "digest time budget spent"),
    ("server", "server error"),
    ("no sentence list", "reply not in the asked shape"),
    ("expected shape", "reply not in the asked shape"),
    ("no headline", "reply not in the asked shape"),
    ("no sentences", "reply not in the asked shape"),
    ("cites no source", "sentence cites no source"),
    ("unknown source", "cites an unknown source id"),
    ("mention", "mention"),
    ("Markdown", "Markdown"),
    ("code span", "Markdown"),
    ("block quote", "Markdown"),
    ("link", "link to another site"),
    ("quotation", "quotation not verbatim"),
    ("number", "number not in sources"),
    ("loaded language", "loaded language"),
    ("name '", "name not in sources"),
    ("of its words are in sources", "content words not covered"),
    ("not in sources", "date/scale/negation word not in sources"),
    ("none given", "no headline"),
    ("empty sentence", "empty sentence"),
    ("longer than", "too long"),
    ("incomplete sentence", "incomplete sentence"),
)


def reason_of(note: str) -> str:
    """The category of a fallback note; "headline: " is kept as a prefix."""
    detail = note.removeprefix("LLM summary rejected: ").removeprefix("LLM unavailable: ")
    prefix = "headline: " if detail.startswith("headline: ") else ""
    for needle, category in REASONS:
        if needle in detail:
            return prefix + category
    return prefix + "other: " + re.sub(r"'[^']*'", "'…'", detail)[:60]


def batch_line(name: str, row: dict[str, Any]) -> str:
    """An eval row as a line of the batch contract (`newsbot summarise`)."""
    if name == "roundups.jsonl":
        articles = [
            {"outlet": a["outlet"], "title": a.get("title", ""), "url": a.get("url", ""),
             "text": a["text"]}
            for a in row["articles"]
        ]  # fmt: skip
        return json.dumps({"id": row["id"], "articles": articles})
    return json.dumps(
        {"id": row["id"], "text": row["text"], "source": row.get("source") or "Unnamed source",
         "url": row.get("url", "")}
    )  # fmt: skip


def sample(eval_dir: Path, per_file: int) -> dict[str, list[dict[str, Any]]]:
    """The first `per_file` rows of each file (a fixed, repeatable sample)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for name in FILES:
        path = eval_dir / name
        if path.exists():
            lines = path.read_text(encoding="utf-8").splitlines()
            rows[name] = [json.loads(line) for line in lines[:per_file] if line.strip()]
    return rows


async def summarise_all(
    settings: Settings, stories: list[tuple[str, Story]]
) -> tuple[list[tuple[str, DigestItem]], list[tuple[str, DigestItem]], list[float]]:
    """LLM-path items (one digest per story, so each has the full budget) and extractive ones."""
    llm = make_summariser(settings, "llm")
    extractive = ExtractiveSummariser()
    llm_items: list[tuple[str, DigestItem]] = []
    ext_items: list[tuple[str, DigestItem]] = []
    seconds: list[float] = []
    for number, (line_id, story) in enumerate(stories, start=1):
        started = time.monotonic()
        [item] = await llm.summarise_stories([story], max_sentences=3, scope="eval")
        seconds.append(time.monotonic() - started)
        [ext] = await extractive.summarise_stories([story], max_sentences=3)
        llm_items.append((line_id, item))
        ext_items.append((line_id, ext))
        verdict = item.summariser if item.summariser == "llm" else reason_of(item.note)
        print(f"[{number}/{len(stories)}] {line_id}: {verdict} ({seconds[-1]:.1f} s) {item.note}",
              file=sys.stderr)  # fmt: skip
    return llm_items, ext_items, seconds


def copied(text: str, story: Story) -> bool:
    """Whether a shown sentence is a verbatim copy of its story's text (a small model's habit)."""
    haystack = normalise(" ".join(a.text for a in story.articles)).casefold()
    return normalise(text).casefold().rstrip(".") in haystack


def write_outputs(folder: Path, items: list[tuple[str, DigestItem]], name: str) -> Path:
    path = folder / name
    with path.open("w", encoding="utf-8") as handle:
        for line_id, item in items:
            handle.write(json.dumps(output_record(line_id, item), ensure_ascii=False) + "\n")
    return path


def score(eval_dir: Path, sample_dir: Path, output: Path) -> dict[str, Any]:
    """score.py on the sampled rows only, so unsampled rows do not count as empty summaries."""
    result = subprocess.run(
        [sys.executable, str(eval_dir / "score.py"), str(sample_dir), f"jsonl:{output}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    eval_dir = Path(args.eval_dir).resolve()
    rows = sample(eval_dir, args.per_file)
    if not rows:
        raise SystemExit(f"no evaluation files in {eval_dir}")
    out = Path(args.out)
    sample_dir = out / "sample"
    sample_dir.mkdir(parents=True, exist_ok=True)
    for extra in ("bias-lexicon.txt",):
        if (eval_dir / extra).exists():
            (sample_dir / extra).write_bytes((eval_dir / extra).read_bytes())
    stories: list[tuple[str, Story]] = []
    kinds: dict[str, str] = {}
    for name, file_rows in rows.items():
        (sample_dir / name).write_text(
            "".join(json.dumps(r) + "\n" for r in file_rows), encoding="utf-8"
        )
        for number, row in enumerate(file_rows, start=1):
            job = job_from_line(number, batch_line(name, row))
            stories.append((job.id, job.story))
            kinds[job.id] = name.removesuffix(".jsonl")

    async def with_server(base_url: str, *, system_role: bool) -> dict[str, Any]:
        llm = LlmSettings(
            base_url=base_url,
            model=args.model,
            timeout_s=args.timeout,
            max_retries=0,
            digest_budget_s=args.timeout * 2,
            max_tokens=args.max_tokens,
            max_article_chars=args.max_article_chars,
            system_role=system_role,
            concurrency=1,
        )
        settings = Settings(llm=llm, digest=DigestSettings(summariser="llm"))
        llm_items, ext_items, seconds = await summarise_all(settings, stories)
        texts = {line_id: story for line_id, story in stories}
        return report(eval_dir, sample_dir, out, llm_items, ext_items, seconds, kinds, texts)

    if args.base_url:
        return await with_server(args.base_url, system_role=True)
    from tests.llm.local_model import local_llm_server, missing_packages

    if missing_packages():
        raise SystemExit(f"the local model needs: {', '.join(missing_packages())}")
    async with local_llm_server(n_ctx=args.n_ctx) as base_url:
        # Gemma has no system role: the rules go into the user turn.
        return await with_server(base_url, system_role=False)


def report(
    eval_dir: Path,
    sample_dir: Path,
    out: Path,
    llm_items: list[tuple[str, DigestItem]],
    ext_items: list[tuple[str, DigestItem]],
    seconds: list[float],
    kinds: dict[str, str],
    stories: dict[str, Story],
) -> dict[str, Any]:
    accepted = [i for _, i in llm_items if i.summariser == "llm"]
    headlines_replaced = Counter(
        reason_of(i.note.split("(LLM headline: ", 1)[1].rstrip(")"))
        for i in accepted
        if i.note.startswith("headline by the extractive")
    )
    shown = [
        (line_id, s.text) for line_id, i in llm_items if i.summariser == "llm" for s in i.sentences
    ]
    verbatim = sum(copied(text, stories[line_id]) for line_id, text in shown)
    reasons = Counter(reason_of(i.note) for _, i in llm_items if i.summariser != "llm")
    # Sentences withheld from items still shown as the LLM's, by the reason for each.
    withheld = Counter(reason_of(c.reason) for i in accepted for c in i.checks if not c.shown)
    per_file: dict[str, dict[str, int]] = {}
    for line_id, item in llm_items:
        counts = per_file.setdefault(kinds[line_id], {"items": 0, "accepted": 0})
        counts["items"] += 1
        counts["accepted"] += item.summariser == "llm"
    llm_out = write_outputs(out, llm_items, "llm_path.jsonl")
    with (out / "notes.jsonl").open("w", encoding="utf-8") as handle:
        for line_id, item in llm_items:
            record = {"id": line_id, "summariser": item.summariser, "note": item.note}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    ext_out = write_outputs(out, ext_items, "extractive.jsonl")
    accepted_ids = [line_id for line_id, i in llm_items if i.summariser == "llm"]
    return {
        "items": len(llm_items),
        "accepted": len(accepted),
        "rejected": len(llm_items) - len(accepted),
        "accepted_share": round(len(accepted) / max(1, len(llm_items)), 3),
        "per_file": per_file,
        "rejections_by_reason": dict(reasons.most_common()),
        "accepted_with_sentences_withheld": sum(1 for i in accepted if i.withheld),
        "withheld_sentences_by_reason": dict(withheld.most_common()),
        "accepted_with_extractive_headline": dict(headlines_replaced.most_common()),
        "accepted_sentences": len(shown),
        "accepted_sentences_copied_verbatim": verbatim,
        "seconds_per_item": {
            "mean": round(sum(seconds) / max(1, len(seconds)), 2),
            "max": round(max(seconds, default=0.0), 2),
        },
        "accepted_ids": accepted_ids,
        "score_llm_path": score(eval_dir, sample_dir, llm_out),
        "score_extractive": score(eval_dir, sample_dir, ext_out),
        "outputs": [str(llm_out), str(ext_out)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", default=str(REPO.parent / "shared" / "eval"))
    parser.add_argument("--per-file", type=int, default=10, help="rows taken from each file")
    parser.add_argument("--base-url", help="an OpenAI-compatible server (default: start local)")
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call")
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--max-article-chars", type=int, default=800)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--out", default="/tmp/newsbot-eval-llm")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
