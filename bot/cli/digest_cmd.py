"""`newsbot digest` (feeds in, digest out, no database) and `newsbot summarise` (batch JSONL).

`newsbot digest` with no arguments reads the bundled sample feeds from disk, so it works
offline and without credentials. `newsbot summarise --jsonl IN --out OUT` is the batch
contract of ARCHITECTURE.md: one article or one multi-outlet story per input line, one
summary per output line, bad lines reported by number while the others are still done.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

import bot
from bot.cli.args import parse_duration
from bot.config import Settings
from bot.digest.compose import compose_digest, summarise_stories
from bot.digest.render import digest_to_dict, render_markdown, render_text
from bot.errors import BadInput
from bot.feeds.sources import read_sources
from bot.logs import redact
from bot.models import Article, DigestItem, Story
from bot.summarise.base import Summariser
from bot.summarise.cluster import DEFAULT_WINDOW_DAYS, story_id

# Lines summarised per call: lets an LLM summariser work on several stories at once.
_BATCH = 16
# Show a progress bar from this many input lines on (short runs finish before it helps).
_PROGRESS_FROM = 50


def register(subparsers: Any) -> None:
    """Add `digest` and `summarise` to the `newsbot` command line."""
    digest = subparsers.add_parser(
        "digest",
        help="print a digest of feeds (default: the bundled sample feeds, offline)",
        description="Build a digest from feeds and print it. Without --feeds it reads the "
        "bundled sample feeds from disk: no network, no database, no credentials.",
    )
    digest.add_argument(
        "--feeds",
        nargs="+",
        metavar="PATH_OR_URL",
        help="feed files, folders of feeds, OPML files or http(s) feed URLs",
    )
    digest.add_argument(
        "--since",
        type=parse_duration,
        metavar="DURATION",
        help="only articles from this long before the newest one read from files, or before "
        "now for fetched feeds, e.g. 24h, 90m, 3d (default: everything in the feeds)",
    )
    digest.add_argument("--max-items", type=int, metavar="N", help="stories in the digest")
    digest.add_argument(
        "--story-window",
        type=parse_duration,
        metavar="DURATION",
        help="articles published further apart than this are never one story, e.g. 36h, "
        "2d (default: 3d)",
    )
    digest.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    digest.add_argument("--title", default="News digest", help="digest title")
    _add_summariser_flag(digest)
    digest.set_defaults(handler=run_digest)

    summarise = subparsers.add_parser(
        "summarise",
        help="summarise a JSONL file of articles or stories (batch interface)",
        description="Each input line is {id, text, title?, source?, url?} (one article) or "
        "{id, articles: [{outlet, title, url, text}, ...]} (one story, many outlets). Each "
        "output line is {id, summary, sentences, sources, summariser, withheld}.",
    )
    summarise.add_argument("--jsonl", required=True, metavar="IN", help="input JSONL ('-' = stdin)")
    summarise.add_argument(
        "--out", required=True, metavar="OUT", help="output JSONL ('-' = stdout)"
    )
    summarise.add_argument(
        "--max-sentences", type=int, default=3, metavar="N", help="sentences per summary (1-10)"
    )
    _add_summariser_flag(summarise)
    summarise.add_argument(
        "--explain",
        action="store_true",
        help="add each LLM sentence's verdict to the output: checks = [{text, shown, reason, "
        "passage}]",
    )
    summarise.set_defaults(handler=run_summarise)


def _add_summariser_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--summariser",
        choices=("auto", "llm", "extractive"),
        help="who writes the summaries: the LLM (checked, extractive where it fails), the "
        "extractive summariser, or auto = the LLM when configured and reachable "
        "(default: digest.summariser)",
    )


def _summariser(settings: Settings, args: argparse.Namespace) -> Summariser:
    from bot.summarise.factory import make_summariser

    return make_summariser(settings, getattr(args, "summariser", None))


# ----------------------------------------------------------------------------- digest


async def run_digest(args: argparse.Namespace, settings: Settings) -> int:
    """Read the feeds, cluster, summarise and print the digest."""
    max_items = args.max_items if args.max_items is not None else settings.digest.max_items
    if max_items < 1:
        raise BadInput("--max-items must be at least 1.")
    sources = list(args.feeds) if args.feeds else [str(seeds_dir(settings))]
    read = await read_sources(sources, settings.fetch, fetched_at=datetime.now(UTC))
    for warning in read.warnings:  # what could not be read is skipped, and said
        print(f"newsbot: warning: {redact(warning)}", file=sys.stderr)
    if not read.readable:
        raise BadInput(read.refusal)
    articles, fetched_any = list(read.articles), read.fetched_any
    if not articles:
        raise BadInput("The feeds given contain no articles.")
    end = datetime.now(UTC) if fetched_any else max(a.published for a in articles)
    start = min(a.published for a in articles)
    if args.since is not None:
        start = end - args.since
        articles = [a for a in articles if start <= a.published <= end]
    digest, _ = await compose_digest(
        articles,
        title=args.title,
        start=start,
        end=end,
        max_items=max_items,
        summariser=_summariser(settings, args),
        story_window_days=_days(args.story_window) if args.story_window else DEFAULT_WINDOW_DAYS,
    )
    if args.format == "json":
        output = json.dumps(digest_to_dict(digest), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "markdown":
        output = render_markdown(digest)
    else:
        output = render_text(digest)
    sys.stdout.write(output)
    return 0


def _days(span: timedelta) -> float:
    return span.total_seconds() / 86400


def seeds_dir(settings: Settings) -> Path:
    """The folder `newsbot digest` reads by default: the setting, else the bundled seeds."""
    if settings.digest.seeds_dir:
        return Path(settings.digest.seeds_dir).expanduser()
    return Path(bot.__file__).resolve().parent.parent / "seeds"


# -------------------------------------------------------------------------- summarise


@dataclass(frozen=True)
class _Job:
    line: int
    id: str
    story: Story


async def run_summarise(args: argparse.Namespace, settings: Settings) -> int:
    """Summarise every good line of IN into OUT; report bad lines; exit 1 if any failed."""
    if not 1 <= args.max_sentences <= 10:
        raise BadInput("--max-sentences must be between 1 and 10.")
    lines = _read_lines(args.jsonl)
    summariser = _summariser(settings, args)
    errors: list[str] = []
    jobs: list[_Job] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            jobs.append(job_from_line(number, raw))
        except BadInput as error:
            errors.append(f"line {number}: {error}")
    # soft_wrap: a message naming a long path stays one line, whatever the terminal width.
    console = Console(stderr=True, soft_wrap=True)
    with _output(args.out) as out, _progress(console, len(jobs)) as progress:
        task = progress.add_task("summarising", total=len(jobs))
        for start in range(0, len(jobs), _BATCH):
            batch = jobs[start : start + _BATCH]
            items = await summarise_stories(
                [job.story for job in batch],
                summariser,
                max_sentences=args.max_sentences,
                scope="cli",
            )
            for job, item in zip(batch, items, strict=True):
                record = output_record(job.id, item, explain=args.explain)
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            progress.advance(task, len(batch))
    for message in errors:
        console.print(f"newsbot: {message}", markup=False, highlight=False)
    if not jobs and not errors:
        where = "the output" if args.out == "-" else args.out
        source = "standard input" if args.jsonl == "-" else args.jsonl
        console.print(
            f"newsbot: {source} has no lines to summarise; {where} is empty.",
            markup=False,
            highlight=False,
        )
    if errors:
        console.print(
            f"newsbot: {len(errors)} of {len(jobs) + len(errors)} lines failed; "
            f"the other {len(jobs)} were summarised.",
            markup=False,
            highlight=False,
        )
        return 1
    return 0


def _read_lines(path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().splitlines()
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist.") from None
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text.") from None
    except OSError as error:
        raise BadInput(f"{path} could not be read ({error.strerror}).") from None


class _output:
    """OUT as a text file, or stdout for '-'."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self.path == "-":
            return sys.stdout
        try:
            self.handle = Path(self.path).open("w", encoding="utf-8")
        except OSError as error:
            raise BadInput(f"{self.path} cannot be written ({error.strerror}).") from None
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self.handle is not None:
            self.handle.close()


def _progress(console: Console, total: int) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=total < _PROGRESS_FROM or not console.is_terminal,
    )


def job_from_line(number: int, raw: str) -> _Job:
    """One input line as a story to summarise; raises `BadInput` saying what is wrong."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadInput(f"not valid JSON ({error.msg} at column {error.colno}).") from None
    except RecursionError:  # e.g. [[[[...]]]] thousands deep: this line only, not the run
        raise BadInput("JSON nested too deeply; a line is one flat object.") from None
    if not isinstance(data, dict):
        raise BadInput('expected a JSON object with an "id".')
    if "id" not in data or not isinstance(data["id"], (str, int)) or isinstance(data["id"], bool):
        raise BadInput('missing "id" (a string or number).')
    line_id = str(data["id"])
    moment = datetime(1970, 1, 1, tzinfo=UTC)
    if "articles" in data:
        articles = _story_articles(line_id, data["articles"], moment)
    elif "text" in data:
        articles = [
            _article(
                f"{line_id}#0",
                text=data["text"],
                title=data.get("title", ""),
                outlet=data.get("source", "") or "Unnamed source",
                url=data.get("url", ""),
                moment=moment,
            )
        ]
    else:
        raise BadInput('needs "text" (one article) or "articles" (one story).')
    if not any(a.title or a.text.strip() for a in articles):
        # Nothing to summarise and no headline either: say so rather than "headline only".
        raise BadInput('is empty: no "title" and no "text" to summarise.')
    return _Job(
        line=number, id=line_id, story=Story(id=story_id(articles), articles=tuple(articles))
    )


def _story_articles(line_id: str, value: Any, moment: datetime) -> list[Article]:
    if not isinstance(value, list) or not value:
        raise BadInput('"articles" must be a non-empty list.')
    articles = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise BadInput(f"articles[{index}] must be an object.")
        if not isinstance(entry.get("outlet"), str) or not entry["outlet"].strip():
            raise BadInput(f'articles[{index}] needs an "outlet" name.')
        articles.append(
            _article(
                f"{line_id}#{index}",
                text=entry.get("text", ""),
                title=entry.get("title", ""),
                outlet=entry["outlet"],
                url=entry.get("url", ""),
                moment=moment,
            )
        )
    return articles


def _article(
    article_id: str, *, text: Any, title: Any, outlet: Any, url: Any, moment: datetime
) -> Article:
    for field, value in (("text", text), ("title", title), ("source", outlet), ("url", url)):
        if not isinstance(value, str):
            raise BadInput(f'"{field}" must be a string.')
    return Article(
        id=article_id,
        url=url,
        title=title.strip(),
        text=text,
        outlet=outlet.strip(),
        published=moment,
    )


def output_record(line_id: str, item: DigestItem, *, explain: bool = False) -> dict[str, Any]:
    """One output line of the batch contract; `summary` is the text a channel shows,
    `withheld` how many LLM sentences the check left out; `explain` adds each LLM sentence's
    verdict (`checks`)."""
    record = {
        "id": line_id,
        "summary": item.summary,
        "sentences": [
            {"text": s.text, "sources": [{"name": x.name, "url": x.url} for x in s.sources]}
            for s in item.sentences
        ],
        "sources": [{"name": s.name, "url": s.url} for s in item.sources],
        "summariser": item.summariser,
        "withheld": item.withheld,
    }
    if explain:
        record["checks"] = [
            {"text": c.text, "shown": c.shown, "reason": c.reason, "passage": c.passage}
            for c in item.checks
        ]
    return record
