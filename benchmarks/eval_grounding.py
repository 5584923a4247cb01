"""How well the LLM check lets correct summaries through and stops wrong ones, and how fast.

    .venv/bin/python benchmarks/eval_grounding.py [--eval-dir ../shared/eval] [--folds 5]
        [--pipeline 40] [--repeat 3]

Reads `frank_grounding.jsonl` (real summarisers' summaries of CNN/DM articles with people's
verdicts; see ../shared/eval/README.md) and skips cleanly when it is absent. Each summary is
handed to the check as if an LLM had written it about its article, every sentence citing that
article; it counts as shown when the item would stay labelled `llm`. Reported, as in issue 15:
fully correct summaries shown (factuality 1), every-sentence-wrong summaries stopped
(factuality 0), and their mean (balanced).

The span thresholds are tuned by grouped k-fold: the summaries of one article stay in one
fold; for each fold the thresholds with the best balanced accuracy on the other folds (of
equally good ones, the strictest) are applied to it, and the held-out figures are reported per
fold and pooled. The baseline is the
article-level check alone (before issue 15: every sentence must pass, strict loaded-language
finder), measured in the same run. Speed: summaries checked per second on one core (the
article's passages are built afresh for each summary, as for each story of a digest).

`--pipeline N` also sends N summaries through `newsbot summarise --summariser llm` against
the scripted fake OpenAI server (tests/fakes/fake_openai.py) answering with exactly those
sentences, and counts how often its label agrees with the direct check.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.models import Article  # noqa: E402
from bot.summarise.grounding import check_sentence, clear_caches  # noqa: E402
from bot.summarise.llm.checking import check_drafts  # noqa: E402
from bot.summarise.llm.drafts import Draft, GroundingRules, default_loaded_finder  # noqa: E402
from bot.summarise.support import SpanThresholds  # noqa: E402

# Tuned per fold: how closely a reply's shown sentences rest on their passages, on average
# (the per-sentence thresholds stay at their defaults, which honest paraphrases pass).
MEAN_COVERAGES = (0.85, 0.9, 0.95, 1.0)
MEAN_ORDERS = (0.5, 0.6, 0.7, 0.8, 0.9)
OFF = SpanThresholds(enabled=False)


@dataclass(frozen=True)
class Row:
    """One summary with its article and people's verdict."""

    id: str
    group: str  # the article: its summaries stay in one fold
    article: Article
    sentences: tuple[str, ...]
    factuality: float


@dataclass(frozen=True)
class Score:
    shown: float
    stopped: float
    correct: int
    wrong: int

    @property
    def balanced(self) -> float:
        return (self.shown + self.stopped) / 2


def read_rows(path: Path) -> list[Row]:
    """The rows whose summaries people found all correct (1) or all wrong (0)."""
    rows: list[Row] = []
    moment = datetime(1970, 1, 1, tzinfo=UTC)
    for line in path.read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        if data["factuality"] not in (0, 1):
            continue
        article = Article(
            id=f"{data['id']}#0",
            url=data.get("url", ""),
            title="",
            text=data["text"],
            outlet=data.get("source", "") or "Unnamed source",
            published=moment,
        )
        rows.append(
            Row(
                id=f"{data['id']}-{data.get('model', len(rows))}",
                group=str(data.get("article", data["id"])),
                article=article,
                sentences=tuple(data["summary_sentences"]),
                factuality=float(data["factuality"]),
            )
        )
    return rows


def shown_by_span_check(row: Row, limits: SpanThresholds) -> bool:
    """Issue 15's check: the item stays the LLM's after per-sentence withholding."""
    drafts = [Draft(text=" ".join(s.split()), cited=(row.article,)) for s in row.sentences]
    rules = GroundingRules(span=limits)
    return check_drafts(drafts, rules, [row.article.url]).refusal is None


LOADED = default_loaded_finder()


def shown_by_article_check(row: Row) -> bool:
    """The baseline: every sentence passes the article-level check, or the item falls back."""
    return all(
        check_sentence(
            " ".join(s.split()),
            (row.article,),
            allowed_urls=[row.article.url],
            loaded=LOADED,
            span=OFF,
        )
        is None
        for s in row.sentences
    )


def score(rows: Sequence[Row], shown: dict[str, bool]) -> Score:
    correct = [r for r in rows if r.factuality == 1]
    wrong = [r for r in rows if r.factuality == 0]
    return Score(
        shown=sum(shown[r.id] for r in correct) / max(1, len(correct)),
        stopped=sum(not shown[r.id] for r in wrong) / max(1, len(wrong)),
        correct=len(correct),
        wrong=len(wrong),
    )


def folds_of(rows: Sequence[Row], k: int) -> list[list[Row]]:
    """Grouped folds, each with its share of all-wrong summaries (the rare class)."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    # Groups holding a wrong summary first, dealt round-robin, so each fold gets some.
    ordered = sorted(groups.values(), key=lambda g: (-sum(r.factuality == 0 for r in g), g[0].id))
    folds: list[list[Row]] = [[] for _ in range(k)]
    for index, group in enumerate(ordered):
        folds[index % k].extend(group)
    return folds


def cross_validate(rows: list[Row], k: int) -> tuple[list[tuple[SpanThresholds, Score]], Score]:
    """Per held-out fold: thresholds chosen on the others, and the pooled held-out score."""
    grid = [
        SpanThresholds(mean_coverage=c, mean_order=o)
        for c, o in itertools.product(MEAN_COVERAGES, MEAN_ORDERS)
    ]
    labels = {limits: {r.id: shown_by_span_check(r, limits) for r in rows} for limits in grid}
    folds = folds_of(rows, k)
    results = []
    pooled: dict[str, bool] = {}
    for index, held_out in enumerate(folds):
        training = [r for j, fold in enumerate(folds) if j != index for r in fold]
        best = max(grid, key=lambda g: _objective(score(training, labels[g]), g))
        results.append((best, score(held_out, labels[best])))
        pooled.update({r.id: labels[best][r.id] for r in held_out})
    return results, score(rows, pooled)


def _objective(result: Score, limits: SpanThresholds) -> tuple[float, ...]:
    """Best balanced accuracy on the tuning folds, then most stopped; among thresholds the
    tuning folds cannot tell apart, the strictest: the target for stopping wrong summaries
    (90%) is the higher one, and the order of the grid must not decide."""
    return (round(result.balanced, 4), result.stopped, limits.mean_coverage, limits.mean_order)


def per_second(check: Callable[[Row], bool], rows: Sequence[Row], repeat: int) -> float:
    """Summaries checked per second of this process's CPU time (the machine is shared, so
    wall time would count other processes' turns), best of `repeat`, passages built afresh
    for each summary."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for row in rows:
            clear_caches()
            check(row)
        best = min(best, time.process_time() - started)
    return len(rows) / best


async def pipeline_agreement(rows: Sequence[Row], limits: SpanThresholds) -> tuple[int, int]:
    """Labels from `newsbot summarise --summariser llm` against a scripted fake server,
    compared with the direct check under the same thresholds (the defaults)."""
    from tests.fakes.fake_openai import FakeOpenAI, Reply, json_reply

    by_text = {r.article.text[:300]: r for r in rows}

    def answer(body: dict[str, Any]) -> Reply:
        user = body["messages"][-1]["content"]
        data = json.loads(user.split("<<<DATA", 1)[1].split("DATA>>>", 1)[0])
        row = by_text[data["articles"][0]["text"][:300]]
        sentences = [{"text": s, "sources": ["A1"]} for s in row.sentences]
        return json_reply({"headline": "", "sentences": sentences})

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "in.jsonl"
        output = Path(folder) / "out.jsonl"
        lines = [
            {"id": r.id, "text": r.article.text, "source": r.article.outlet, "url": r.article.url}
            for r in rows
        ]
        source.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        async with FakeOpenAI() as fake:
            fake.respond_with(answer)
            environment = {
                **os.environ,
                "NEWSBOT_LLM__BASE_URL": fake.base_url,
                "NEWSBOT_LLM__API_KEY": "sk-benchmark",
                "NEWSBOT_LLM__TIMEOUT_S": "30",
                "NEWSBOT_LLM__DIGEST_BUDGET_S": "600",
                "NEWSBOT_LLM__MAX_ARTICLE_CHARS": "100000",
                "NEWSBOT_LOG_LEVEL": "WARNING",
            }
            command = [sys.executable, "-m", "bot", "summarise", "--jsonl", str(source)]
            command += ["--out", str(output), "--summariser", "llm", "--max-sentences", "10"]
            process = await asyncio.create_subprocess_exec(*command, env=environment, cwd=str(ROOT))
            await process.wait()
        labels = {
            record["id"]: record["summariser"] == "llm"
            for record in map(json.loads, output.read_text(encoding="utf-8").splitlines())
        }
    agree = sum(labels.get(r.id) == shown_by_span_check(r, limits) for r in rows)
    return agree, len(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", default=str(ROOT.parent / "shared" / "eval"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--pipeline", type=int, default=40, help="summaries through the CLI")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = Path(args.eval_dir) / "frank_grounding.jsonl"
    if not path.is_file():
        print(f"skipped: {path} not found (the evaluation set is not part of the repository)")
        return 0
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    rows = read_rows(path)
    baseline = score(rows, {r.id: shown_by_article_check(r) for r in rows})
    defaults = score(rows, {r.id: shown_by_span_check(r, SpanThresholds()) for r in rows})
    folds, pooled = cross_validate(rows, args.folds)
    print(f"{len(rows)} summaries: {baseline.correct} fully correct, {baseline.wrong} all wrong")
    print(f"{'':60} {'shown':>7} {'stopped':>8} {'balanced':>9}")
    _line("article-level check (baseline, before #15)", baseline)
    _line("span check, default thresholds (all rows)", defaults)
    for index, (limits, result) in enumerate(folds, start=1):
        name = f"held-out fold {index} (mean cov {limits.mean_coverage}, order {limits.mean_order})"
        _line(f"{name} n={result.correct}/{result.wrong}", result)
    _line("held-out folds pooled", pooled)
    new_rate = per_second(lambda r: shown_by_span_check(r, SpanThresholds()), rows, args.repeat)
    old_rate = per_second(shown_by_article_check, rows, args.repeat)
    print(
        f"speed, one core: span check {new_rate:.0f} summaries/s, baseline {old_rate:.0f}/s "
        f"(ratio {new_rate / old_rate:.2f})"
    )
    if args.pipeline:
        # One summary per article: the fake server knows the summary by its article's text.
        firsts = {r.group: r for r in reversed(rows)}
        sample = list(firsts.values())[: args.pipeline]
        agree, total = asyncio.run(pipeline_agreement(sample, SpanThresholds()))
        print(f"newsbot summarise --summariser llm agrees with the direct check: {agree}/{total}")
    return 0


def _line(name: str, result: Score) -> None:
    print(f"{name:60} {result.shown:7.0%} {result.stopped:8.0%} {result.balanced:9.0%}")


if __name__ == "__main__":
    raise SystemExit(main())
