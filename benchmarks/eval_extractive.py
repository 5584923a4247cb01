"""Score the extractive summariser on the shared evaluation sets, through the real batch CLI.

    .venv/bin/python benchmarks/eval_extractive.py [--eval-dir ../shared/eval]
                                                   [--seeds-dir ../shared/seeds]

1. Converts each evaluation file into `newsbot summarise` input (CNN/DM rows and propaganda
   rows as single articles, roundup rows as one story told by several outlets), runs
   `python -m bot summarise --summariser extractive` and then the set's own `score.py`.
2. Summarises each text in the seeds folder as one item from an outlet and lists any of its
   loaded phrases that reach the summary.
3. Mixes every roundup article into one pile and reports how well `cluster_articles` puts
   each story's outlets together (with the stories' dates, and with all dates equal).
4. With `--ceiling`: the best ROUGE-1 any choice of 3 of the sentences the summariser may
   show (usable, not loaded) reaches when the choice is made *knowing the reference*
   (greedy), rendered exactly as a channel shows it. It tells how far a target is from what
   the summary format allows at all; it is a measurement, never used by the summariser.

Evaluation texts are read from the shared folder only; nothing is copied into the project.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.digest_cmd import job_from_line  # noqa: E402
from bot.digest.render import item_summary_text  # noqa: E402
from bot.models import Article, DigestItem, Sentence, Source  # noqa: E402
from bot.summarise import extractive  # noqa: E402
from bot.summarise.cluster import cluster_articles  # noqa: E402

# Loaded wording of the seed article (partisan commentary on a news event) that a neutral
# summary must not repeat.
SEED_LOADED = [
    "cowards",
    "honchos",
    "bailing",
    "supposed tough guy",
    "beating a hasty retreat",
    "bugging out",
    "terrorist mob",
    "discretion is the better part of valor",
    "just as fast as their suvs",
    "as it turns out",
    "every breath you take",
    "youtube",
]


def read_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def batch_input(eval_dir: Path, out: Path) -> int:
    """Write one JSONL file with every evaluation row in the batch contract's shapes."""
    lines = []
    for row in read_rows(eval_dir / "cnndm.jsonl"):
        lines.append(
            {"id": row["id"], "text": row["text"], "source": row["source"], "url": row["url"]}
        )
    for row in read_rows(eval_dir / "roundups.jsonl"):
        articles = [
            {key: a[key] for key in ("outlet", "title", "url", "text")} for a in row["articles"]
        ]
        lines.append({"id": row["id"], "articles": articles})
    for row in read_rows(eval_dir / "propaganda.jsonl"):
        lines.append({"id": row["id"], "text": row["text"], "source": "Sample Outlet"})
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return len(lines)


def run_cli(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def score(eval_dir: Path, work: Path) -> dict[str, Any]:
    source, output = work / "eval.in.jsonl", work / "eval.out.jsonl"
    count = batch_input(eval_dir, source)
    start = time.perf_counter()
    done = run_cli(
        ["summarise", "--jsonl", str(source), "--out", str(output), "--summariser", "extractive"]
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"newsbot summarise failed ({done.returncode}):\n{done.stderr}")
    scored = subprocess.run(
        [sys.executable, str(eval_dir / "score.py"), str(eval_dir), f"jsonl:{output}"],
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(scored.stdout.strip().splitlines()[-1])
    report["lines"] = count
    report["cli_seconds"] = round(seconds, 2)
    return report


def seed_check(seeds_dir: Path, work: Path) -> list[dict[str, Any]]:
    results = []
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text()
        source, output = work / "seed.in.jsonl", work / "seed.out.jsonl"
        source.write_text(
            json.dumps({"id": path.stem, "text": text, "source": "Sample Outlet"}) + "\n"
        )
        done = run_cli(
            [
                "summarise",
                "--jsonl",
                str(source),
                "--out",
                str(output),
                "--summariser",
                "extractive",
            ]
        )
        if done.returncode != 0:
            raise SystemExit(f"newsbot summarise failed on {path.name}:\n{done.stderr}")
        summary = json.loads(output.read_text())["summary"]
        leaked = [phrase for phrase in SEED_LOADED if phrase in summary.lower()]
        results.append({"file": path.name, "summary": summary, "loaded_phrases_leaked": leaked})
    return results


def clustering(eval_dir: Path) -> list[dict[str, Any]]:
    rows = read_rows(eval_dir / "roundups.jsonl")
    same_day = datetime(2026, 1, 1, tzinfo=UTC)
    results = []
    for dated in (True, False):
        articles, truth = [], {}
        for row in rows:
            when = datetime.fromisoformat(row["date"]).astimezone(UTC) if dated else same_day
            for index, a in enumerate(row["articles"]):
                article_id = f"{row['id']}#{index}"
                articles.append(
                    Article(article_id, a["url"], a["title"], a["text"], a["outlet"], when)
                )
                truth[article_id] = row["id"]
        start = time.perf_counter()
        stories = cluster_articles(articles)
        seconds = time.perf_counter() - start
        cluster_of = {a.id: s.id for s in stories for a in s.articles}
        together = sum(
            1
            for row in rows
            if len({cluster_of[f"{row['id']}#{i}"] for i in range(len(row["articles"]))}) == 1
        )
        mixing = sum(1 for s in stories if len({truth[a.id] for a in s.articles}) > 1)
        results.append(
            {
                "dates": "story dates" if dated else "all the same day",
                "articles": len(articles),
                "stories": len(rows),
                "clusters": len(stories),
                "stories_with_all_outlets_together": round(together / len(rows), 3),
                "clusters_mixing_stories": round(mixing / len(stories), 3),
                "seconds": round(seconds, 3),
            }
        )
    return results


def _shown_sentences(line: dict[str, Any]) -> tuple[list[Sentence], tuple[Source, ...]]:
    """Every sentence the summariser may show for one batch line, tagged with its outlet."""
    articles = job_from_line(1, json.dumps(line)).story.articles
    candidates = extractive._candidates(articles, english=True)
    multi = len({a.outlet for a in articles}) > 1
    scored = extractive._content_scores(candidates, articles, multi=multi)
    usable = extractive._neutral_scores(scored, wanted=len(scored))
    sources = extractive._sources(articles)
    shown = [
        Sentence(s.candidate.text, (extractive._source_of(s.candidate.article, sources),))
        for s in usable
    ]
    return shown, sources


def _greedy_best(
    line: dict[str, Any], reference: str, scorer: Any, max_sentences: int
) -> tuple[float, int]:
    shown, sources = _shown_sentences(line)
    chosen: list[Sentence] = []
    best_f = 0.0
    while len(chosen) < max_sentences:
        step: tuple[float, Sentence | None] = (best_f, None)
        for sentence in shown:
            if sentence in chosen:
                continue
            item = DigestItem("x", "", (*chosen, sentence), sources, "extractive")
            f = scorer.score(reference, item_summary_text(item))["rouge1"].fmeasure
            if f > step[0]:
                step = (f, sentence)
        if step[1] is None:
            break
        best_f = step[0]
        chosen.append(step[1])
    words = len(
        item_summary_text(DigestItem("x", "", tuple(chosen), sources, "extractive")).split()
    )
    return best_f, words


def ceiling(eval_dir: Path, max_sentences: int = 3) -> dict[str, Any]:
    """Reference-aware greedy ROUGE-1 over the showable sentences, in the shown format."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    sets: dict[str, list[tuple[dict[str, Any], str]]] = {
        "cnndm": [
            ({"id": r["id"], "text": r["text"], "source": r["source"]}, r["reference"])
            for r in read_rows(eval_dir / "cnndm.jsonl")
        ],
        "roundups": [
            (
                {
                    "id": r["id"],
                    "articles": [
                        {key: a[key] for key in ("outlet", "title", "url", "text")}
                        for a in r["articles"]
                    ],
                },
                r["reference"],
            )
            for r in read_rows(eval_dir / "roundups.jsonl")
        ],
    }
    report = {}
    for name, rows in sets.items():
        results = [_greedy_best(line, ref, scorer, max_sentences) for line, ref in rows]
        report[name] = {
            "rouge1_ceiling": round(100 * sum(f for f, _ in results) / len(results), 2),
            "words": round(sum(w for _, w in results) / len(results), 1),
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--seeds-dir", type=Path, default=ROOT.parent / "shared" / "seeds")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also report the reference-aware best choice of sentences (slow: ~1 min)",
    )
    args = parser.parse_args()
    if not (args.eval_dir / "score.py").exists():
        print(f"No evaluation sets in {args.eval_dir}: nothing to score.")
        return
    with tempfile.TemporaryDirectory(prefix="newsbot-eval-") as folder:
        work = Path(folder)
        report = {
            "scores": score(args.eval_dir, work),
            "clustering_roundups": clustering(args.eval_dir),
        }
        if args.seeds_dir.exists():
            report["seed_articles"] = seed_check(args.seeds_dir, work)
        if args.ceiling:
            report["ceiling_with_reference"] = ceiling(args.eval_dir)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
