"""How often an outlet's own title is replaced, through the real `newsbot digest` CLI.

    .venv/bin/python benchmarks/eval_headlines.py [--eval-dir ../shared/eval] [--show]

Headlines are judged broadly (issue 13): a loaded title is cheap to replace, but people
expect the outlet's title when it is neutral. `eval_extractive.py` measures the first half
of that trade (annotated loaded spans in propaganda headlines, fold by fold); this measures
the second: every roundup article (`roundups.jsonl`: news from left, centre and right
outlets) fed alone, as a single-outlet item, and every Daily Mail row of `cnndm.jsonl` with
a title rebuilt from its address (the Mail's addresses spell out its headline, lower-cased
and without punctuation: a rough proxy; CNN addresses do not). Each entry sits in its own
outlet's RSS file, four days from the next, so no two are one story. Reported per fold group
(folds by a hash of the row id, 0-2 tuned, 3-4 held out, as in `eval_extractive.py`): the
share of items whose headline is not the title with words removed at most, and by stance.

Evaluation texts are read from the shared folder at run time only; nothing is copied.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from eval_extractive import (  # noqa: E402
    HELD_OUT,
    TUNED,
    _rss,
    fold_of,
    read_rows,
    run_cli,
)
from eval_realworld import words_removed_at_most  # noqa: E402

# Entries per `newsbot digest` run (a digest holds at most 50 items). Entries lie 4 days
# apart (beyond the 3-day story window) from a start far enough back that none is in the
# future: the feed reader dates a future entry "now", and those would be one story.
_PER_DIGEST = 45
_START = datetime(2015, 1, 5, 12, tzinfo=UTC)
_DAYS_APART = 4
_MAIL_SLUG = re.compile(r"dailymail\.co\.uk/.*/article-\d+/([^/]+)\.html")


def entries(eval_dir: Path) -> list[dict[str, Any]]:
    """One feed entry per title to judge: roundup articles and Mail rows with a slug title."""
    found = []
    for row in read_rows(eval_dir / "roundups.jsonl"):
        for index, a in enumerate(row["articles"]):
            found.append(
                {
                    "kind": f"roundup {a['stance']}",
                    "fold": fold_of(row["id"]),
                    "outlet": a["outlet"],
                    "title": a["title"].strip(),
                    "text": a["text"],
                    "url": f"https://example.org/roundups/{row['id']}/{index}",
                }
            )
    for row in read_rows(eval_dir / "cnndm.jsonl"):
        slug = _MAIL_SLUG.search(row["url"])
        if slug is None:
            continue
        title = slug.group(1).replace("-s-", "'s ").replace("-", " ")
        found.append(
            {
                "kind": "mail slug",
                "fold": fold_of(row["id"]),
                "outlet": row["source"],
                "title": title,
                "text": row["text"],
                "url": f"https://example.org/cnndm/{row['id']}",
            }
        )
    for number, entry in enumerate(found):
        entry["published"] = _START + timedelta(days=_DAYS_APART * number)
    return found


def headlines(batch: list[dict[str, Any]], folder: Path) -> dict[str, str]:
    """One `newsbot digest --format json` over `batch`: {entry link: headline}."""
    folder.mkdir(parents=True)
    for number, entry in enumerate(batch):
        (folder / f"entry{number:03d}.xml").write_text(_rss(entry["outlet"], [entry]))
    done = run_cli(
        [
            *("digest", "--feeds", str(folder), "--format", "json"),
            *("--max-items", "50", "--summariser", "extractive"),
        ]
    )
    if done.returncode != 0:
        raise SystemExit(f"newsbot digest failed ({done.returncode}):\n{done.stderr}")
    found = {}
    for item in json.loads(done.stdout)["items"]:
        for source in item["sources"]:
            found[source["url"]] = item["headline"]
    return found


def report(found: list[dict[str, Any]], shown: dict[str, str], show: bool) -> dict[str, Any]:
    groups: dict[str, dict[str, list[int]]] = {}
    for entry in found:
        headline = shown.get(entry["url"])
        if headline is None:
            continue
        replaced = not words_removed_at_most(headline, entry["title"])
        if show and replaced:
            print(f"{entry['kind']}: {entry['title']!r} -> {headline!r}", file=sys.stderr)
        group = "tuned" if entry["fold"] in TUNED else "held_out"
        assert entry["fold"] in TUNED + HELD_OUT
        for name in (group, "all"):
            counts = groups.setdefault(name, {}).setdefault(entry["kind"], [0, 0])
            counts[0] += replaced
            counts[1] += 1
    return {
        name: {
            kind: {"replaced": r, "titles": n, "share": round(r / n, 3)}
            for kind, (r, n) in sorted(kinds.items())
        }
        | {
            "all roundups": _share(kinds, "roundup"),
        }
        for name, kinds in groups.items()
    }


def _share(kinds: dict[str, list[int]], prefix: str) -> dict[str, Any]:
    replaced = sum(r for kind, (r, _) in kinds.items() if kind.startswith(prefix))
    titles = sum(n for kind, (_, n) in kinds.items() if kind.startswith(prefix))
    return {"replaced": replaced, "titles": titles, "share": round(replaced / max(1, titles), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--show", action="store_true", help="list replaced titles (stderr)")
    args = parser.parse_args()
    if not (args.eval_dir / "roundups.jsonl").exists():
        print(f"No evaluation sets in {args.eval_dir}: nothing to score.")
        return
    found = entries(args.eval_dir)
    shown: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="newsbot-headlines-") as folder:
        for first in range(0, len(found), _PER_DIGEST):
            batch = found[first : first + _PER_DIGEST]
            shown.update(headlines(batch, Path(folder) / f"batch{first:04d}"))
    figures = report(found, shown, args.show)
    figures["items_found"] = {"entries": len(found), "headlines": len(shown)}
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
