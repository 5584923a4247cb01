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
4. Folds: every row of each set falls in one of 5 folds by a hash of its id. Folds 0-2 are
   the ones rules were tuned on, 3-4 are held out; every figure is reported fold by fold, so
   a rule that helps one fold only shows as noise. Besides `score.py`'s figures, each fold
   reports fragments among shown sentences (unbalanced quotation marks, a lower-case or
   punctuation start, under four words) and annotated loaded spans in headlines.
5. The same rows through the whole pipeline: per-outlet RSS files written to a temporary
   folder at run time (one feed per outlet, roundup articles with their story's date), read
   by `newsbot digest --feeds DIR --format json`, each digest item mapped back to its row by
   its sources' links and scored the same way.
6. An estimate for articles the project has never seen (`unseen_proxy`): the lexicon was
   written partly from dev texts, so the held-out folds flatter it. For each side (tuned
   folds, held-out folds) the lexicon entries found in that side's annotated loaded spans and
   in none of the other side's are removed (in a copy of the package, at run time), and that
   side's propaganda rows go through `newsbot summarise` again. Those entries could only have
   come from reading that side; the figure is what the side would score had it been unseen.
7. With `--ceiling`: the best ROUGE-1 any choice of 3 of the sentences the summariser may
   show (usable, not loaded) reaches when the choice is made *knowing the reference*
   (greedy), rendered exactly as a channel shows it. It tells how far a target is from what
   the summary format allows at all; it is a measurement, never used by the summariser.

Evaluation texts are read from the shared folder only; nothing is copied into the project.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli.digest_cmd import job_from_line  # noqa: E402
from bot.digest.render import digest_from_dict, item_summary_text  # noqa: E402
from bot.models import Article, DigestItem, Sentence, Source  # noqa: E402
from bot.summarise import candidates as candidates_module  # noqa: E402
from bot.summarise import extractive, facts  # noqa: E402
from bot.summarise.cluster import cluster_articles  # noqa: E402
from bot.summarise.sentences import lower_case_start  # noqa: E402

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


def score(eval_dir: Path, work: Path, folders: dict[str, Path]) -> dict[str, Any]:
    """Every row through `newsbot summarise`, scored fold by fold."""
    source, output = work / "eval.in.jsonl", work / "eval.out.jsonl"
    count = batch_input(eval_dir, source)
    start = time.perf_counter()
    done = run_cli(
        ["summarise", "--jsonl", str(source), "--out", str(output), "--summariser", "extractive"]
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"newsbot summarise failed ({done.returncode}):\n{done.stderr}")
    report = score_folds(eval_dir, folders, output, read_outputs(output))
    report["lines"] = count
    report["cli_seconds"] = round(seconds, 2)
    return report


# ----------------------------------------------------------------------------- folds

FOLDS = 5
TUNED = (0, 1, 2)
HELD_OUT = (3, 4)
SETS = ("cnndm", "roundups", "propaganda")
# The annotated techniques `score.py` counts as loaded language.
LOADED_TECHNIQUES = frozenset(
    {
        "Loaded_Language",
        "Name_Calling,Labeling",
        "Exaggeration,Minimization",
        "Exaggeration,Minimisation",
        "Appeal_to_fear-prejudice",
    }
)
_OPENING_QUOTES = "\"“‘'"


def fold_of(row_id: Any) -> int:
    """A row's fold: stable across runs and machines (a hash of its id, not its order)."""
    return int(hashlib.sha256(str(row_id).encode()).hexdigest()[:8], 16) % FOLDS


def fold_groups() -> dict[str, tuple[int, ...]]:
    groups = {f"fold{k}": (k,) for k in range(FOLDS)}
    return {**groups, "tuned": TUNED, "held_out": HELD_OUT, "all": tuple(range(FOLDS))}


def write_fold_sets(eval_dir: Path, work: Path) -> dict[str, Path]:
    """One folder per fold group holding only its rows of each set (score.py reads folders)."""
    folders = {}
    for name, folds in fold_groups().items():
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        for set_name in SETS:
            rows = [
                r for r in read_rows(eval_dir / f"{set_name}.jsonl") if fold_of(r["id"]) in folds
            ]
            (folder / f"{set_name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        folders[name] = folder
    return folders


def is_fragment(sentence: str) -> bool:
    """What a reader sees as a broken sentence: the issue's fragment test."""
    text = sentence.strip()
    if len(text.split()) < 4:
        return True
    first = text[0]
    if not first.isalnum() and first not in _OPENING_QUOTES:
        return True
    if lower_case_start(text):
        return True  # "said on ...", “what do you think ...: a tail ("iPhone", "eBay" are not)
    unbalanced_curly = text.count("“") != text.count("”") or text.count("‘") > text.count("’")
    return unbalanced_curly or text.count('"') % 2 == 1


def loaded_spans(row: dict[str, Any], text: str) -> int:
    """Annotated loaded spans of a propaganda row that appear verbatim in `text`."""
    low = text.lower()
    return sum(
        1
        for span in row["spans"]
        if span["technique"] in LOADED_TECHNIQUES
        and len(span["text"]) > 3
        and span["text"].lower() in low
    )


def _word_total(texts: list[str]) -> int:
    return sum(len(re.findall(r"[A-Za-z']+", t)) for t in texts)


def extra_metrics(
    eval_dir: Path, outputs: dict[str, dict[str, Any]], folds: tuple[int, ...]
) -> dict[str, Any]:
    """Fragments among shown sentences and loaded spans in headlines, for rows in `folds`."""
    sentences: list[str] = []
    for set_name in SETS:
        for row in read_rows(eval_dir / f"{set_name}.jsonl"):
            out = outputs.get(str(row["id"]))
            if out is not None and fold_of(row["id"]) in folds:
                sentences.extend(s["text"] for s in out.get("sentences", []))
    report: dict[str, Any] = {
        "shown_sentences": len(sentences),
        "fragments_pct": round(100 * sum(map(is_fragment, sentences)) / max(1, len(sentences)), 2),
    }
    headlines, leaked = [], 0
    for row in read_rows(eval_dir / "propaganda.jsonl"):
        out = outputs.get(str(row["id"]))
        if out is not None and fold_of(row["id"]) in folds and out.get("headline"):
            headlines.append(out["headline"])
            leaked += loaded_spans(row, out["headline"])
    if headlines:
        words = _word_total(headlines)
        report["headline_loaded_spans_per_100w"] = round(100 * leaked / max(1, words), 2)
    return report


def score_folds(
    eval_dir: Path, folders: dict[str, Path], output: Path, outputs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """`score.py` on each fold group's rows, plus fragments and headline spans."""
    report = {}
    for name, folder in folders.items():
        scored = subprocess.run(
            [sys.executable, str(eval_dir / "score.py"), str(folder), f"jsonl:{output}"],
            capture_output=True,
            text=True,
            check=True,
        )
        figures: dict[str, Any] = json.loads(scored.stdout.strip().splitlines()[-1])
        figures.pop("system", None)
        figures.update(extra_metrics(eval_dir, outputs, fold_groups()[name]))
        report[name] = figures
    return report


def read_outputs(path: Path) -> dict[str, dict[str, Any]]:
    return {str(r["id"]): r for r in read_rows(path)}


# ----------------------------------------------------------------------------- digest path

_BASE_DAY = datetime(2025, 1, 6, 12, tzinfo=UTC)
# Stories per `newsbot digest` run: a digest holds at most 50 items, and an outlet's story
# can be split by clustering.
_ROWS_PER_DIGEST = 15


def _rss(outlet: str, items: list[dict[str, Any]]) -> str:
    entries = "".join(
        "<item><title>{}</title><link>{}</link><guid>{}</guid><pubDate>{}</pubDate>"
        "<description>{}</description></item>".format(
            html.escape(item["title"]),
            html.escape(item["url"]),
            html.escape(item["url"]),
            item["published"].strftime("%a, %d %b %Y %H:%M:%S +0000"),
            html.escape(item["text"]),
        )
        for item in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{html.escape(outlet)}</title><link>https://example.org/</link>"
        f"<description>{html.escape(outlet)}</description>{entries}</channel></rss>"
    )


def _feed_articles(set_name: str, row: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """A row's articles as feed entries: outlet, title, text, link and date."""
    url = f"https://example.org/{set_name}/{row['id']}"
    if set_name == "roundups":
        when = datetime.fromisoformat(row["date"]).astimezone(UTC)
        return [
            {
                "outlet": a["outlet"],
                "title": a["title"],
                "text": a["text"],
                "url": f"{url}/{i}",
                "published": when,
            }
            for i, a in enumerate(row["articles"])
        ]
    # Single articles a week apart, so that unrelated rows are not one story.
    when = _BASE_DAY + timedelta(days=7 * index)
    if set_name == "cnndm":
        title, text, outlet = "", row["text"], row["source"]
    else:  # propaganda: the first line is the article's title
        title, _, text = row["text"].partition("\n")
        outlet = "Sample Outlet"
    return [
        {
            "outlet": outlet,
            "title": title.strip(),
            "text": text.strip(),
            "url": url,
            "published": when,
        }
    ]


def _digest_batch(
    rows: list[tuple[str, int, dict[str, Any]]], folder: Path
) -> list[dict[str, Any]]:
    """Per-outlet RSS files for `rows`, one `newsbot digest --format json`, its items."""
    feeds: dict[str, list[dict[str, Any]]] = {}
    for set_name, index, row in rows:
        for entry in _feed_articles(set_name, row, index):
            feeds.setdefault(entry["outlet"], []).append(entry)
    folder.mkdir(parents=True)
    for number, (outlet, entries) in enumerate(sorted(feeds.items())):
        (folder / f"outlet{number:02d}.xml").write_text(_rss(outlet, entries))
    done = run_cli(
        [
            "digest",
            "--feeds",
            str(folder),
            "--format",
            "json",
            "--max-items",
            "50",
            "--summariser",
            "extractive",
        ]
    )
    if done.returncode != 0:
        raise SystemExit(f"newsbot digest failed ({done.returncode}):\n{done.stderr}")
    items: list[dict[str, Any]] = json.loads(done.stdout)["items"]
    return items


def digest_outputs(eval_dir: Path, work: Path) -> tuple[dict[str, dict[str, Any]], float]:
    """Every row through `newsbot digest`: {row id: {summary, sentences, sources, headline}}."""
    outputs: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    batch_number = 0
    for set_name in SETS:
        rows = read_rows(eval_dir / f"{set_name}.jsonl")
        for first in range(0, len(rows), _ROWS_PER_DIGEST):
            batch = [
                (set_name, first + i, r)
                for i, r in enumerate(rows[first : first + _ROWS_PER_DIGEST])
            ]
            batch_number += 1
            items = _digest_batch(batch, work / f"feeds{batch_number:03d}")
            outputs.update(_items_by_row(set_name, items))
    return outputs, time.perf_counter() - start


def _items_by_row(set_name: str, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each row's item: the one holding most of its articles (the first such in the digest)."""
    prefix = f"https://example.org/{set_name}/"
    best: dict[str, tuple[int, dict[str, Any]]] = {}
    digest = digest_from_dict(
        {
            "title": "x",
            "period_start": _BASE_DAY.isoformat(),
            "period_end": _BASE_DAY.isoformat(),
            "items": items,
        }
    )
    for raw, item in zip(items, digest.items, strict=True):
        counts: dict[str, int] = {}
        for source in raw["sources"]:
            url = source.get("url", "")
            if url.startswith(prefix):
                row_id = url[len(prefix) :].split("/")[0]
                counts[row_id] = counts.get(row_id, 0) + 1
        for row_id, count in counts.items():
            if row_id not in best or count > best[row_id][0]:
                best[row_id] = (
                    count,
                    {
                        "id": row_id,
                        "summary": item_summary_text(item),
                        "sentences": raw["sentences"],
                        "sources": raw["sources"],
                        "headline": raw["headline"],
                    },
                )
    return {row_id: record for row_id, (_, record) in best.items()}


def pipeline_scores(eval_dir: Path, work: Path, folders: dict[str, Path]) -> dict[str, Any]:
    outputs, seconds = digest_outputs(eval_dir, work)
    output = work / "digest.out.jsonl"
    output.write_text("".join(json.dumps(r) + "\n" for r in outputs.values()))
    report = score_folds(eval_dir, folders, output, outputs)
    report["cli_seconds"] = round(seconds, 2)
    return report


# ----------------------------------------------------------------------------- unseen proxy

# The lexicon's lists of terms (bot/summarise/neutral/lexicon.py), by name.
_LEXICON_LISTS = (
    "NAME_CALLING",
    "LOADED_ADJECTIVES",
    "LOADED_VERBS_NOUNS",
    "INTENSIFIERS",
    "LOADED_PHRASES",
    "IDIOMS",
    "EDITORIAL_OPENERS",
)


def _side_spans(eval_dir: Path, folds: tuple[int, ...]) -> list[str]:
    return [
        span["text"].lower()
        for row in read_rows(eval_dir / "propaganda.jsonl")
        if fold_of(row["id"]) in folds
        for span in row["spans"]
        if span["technique"] in LOADED_TECHNIQUES
    ]


def side_only_terms(eval_dir: Path, side: tuple[int, ...], other: tuple[int, ...]) -> list[str]:
    """Lexicon terms found in `side`'s annotated spans and in none of `other`'s."""
    from bot.summarise.neutral import lexicon

    mine, theirs = _side_spans(eval_dir, side), _side_spans(eval_dir, other)

    def found(term: str, spans: list[str]) -> bool:
        pattern = re.compile(r"\b" + re.escape(term.lower()) + r"\b")
        return any(pattern.search(span) for span in spans)

    terms = {t for name in _LEXICON_LISTS for t in getattr(lexicon, name) if isinstance(t, str)}
    return sorted(t for t in terms if found(t, mine) and not found(t, theirs))


def _package_without(terms: list[str], folder: Path) -> Path:
    """A copy of the `bot` package whose lexicon lacks `terms` (word lists and phrase lines)."""
    import shutil

    shutil.copytree(ROOT / "bot", folder / "bot", ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / "bot" / "summarise" / "neutral" / "lexicon.py"
    source = path.read_text()
    for term in terms:
        quoted = f'    "{term}",\n'
        if quoted in source:
            source = source.replace(quoted, "")
        else:  # a word of a list written as prose
            source = re.sub(r"(?<=\s)" + re.escape(term) + r"(?=\s)", "", source)
    path.write_text(source)
    return folder


def unseen_proxy(eval_dir: Path, work: Path) -> dict[str, Any]:
    """Propaganda spans per 100 summary words on each side, without the lexicon entries that
    only that side's spans contain (what the side would score had it never been read)."""
    report: dict[str, Any] = {}
    for name, side, other in (("tuned", TUNED, HELD_OUT), ("held_out", HELD_OUT, TUNED)):
        terms = side_only_terms(eval_dir, side, other)
        tree = _package_without(terms, work / f"unseen_{name}")
        rows = [r for r in read_rows(eval_dir / "propaganda.jsonl") if fold_of(r["id"]) in side]
        source, output = tree / "in.jsonl", tree / "out.jsonl"
        source.write_text(
            "".join(
                json.dumps({"id": r["id"], "text": r["text"], "source": "Sample Outlet"}) + "\n"
                for r in rows
            )
        )
        args = ["summarise", "--jsonl", str(source), "--out", str(output)]
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args, "--summariser", "extractive"],
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"newsbot summarise (unseen proxy) failed:\n{done.stderr}")
        outputs = read_outputs(output)
        leaked = sum(loaded_spans(r, outputs[str(r["id"])]["summary"]) for r in rows)
        words = _word_total([outputs[str(r["id"])]["summary"] for r in rows])
        report[name] = {
            "lexicon_terms_removed": len(terms),
            "loaded_spans_per_100w": round(100 * leaked / max(1, words), 2),
            "spans": leaked,
            "words": words,
        }
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
    candidates = candidates_module.collect_candidates(articles, english=True)
    multi = len({a.outlet for a in articles}) > 1
    scored = extractive._content_scores(candidates, articles, multi=multi)
    usable = extractive._neutral_scores(scored, wanted=len(scored))
    sources = extractive._sources(articles)
    shown = [
        Sentence(s.candidate.text, (facts.source_of(s.candidate.article, sources),)) for s in usable
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
    parser.add_argument(
        "--summarise-only",
        action="store_true",
        help="skip the digest path, clustering and seeds (quick check while tuning)",
    )
    args = parser.parse_args()
    if not (args.eval_dir / "score.py").exists():
        print(f"No evaluation sets in {args.eval_dir}: nothing to score.")
        return
    with tempfile.TemporaryDirectory(prefix="newsbot-eval-") as folder:
        work = Path(folder)
        folders = write_fold_sets(args.eval_dir, work / "folds")
        report: dict[str, Any] = {"summarise": score(args.eval_dir, work, folders)}
        report["unseen_proxy"] = unseen_proxy(args.eval_dir, work)
        if args.summarise_only:
            print(json.dumps(report, indent=2, ensure_ascii=False))
            return
        report["digest"] = pipeline_scores(args.eval_dir, work, folders)
        report["clustering_roundups"] = clustering(args.eval_dir)
        if args.seeds_dir.exists():
            report["seed_articles"] = seed_check(args.seeds_dir, work)
        if args.ceiling:
            report["ceiling_with_reference"] = ceiling(args.eval_dir)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
