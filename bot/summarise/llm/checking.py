"""Per-sentence decisions on a reply: which sentences are shown, which withheld, and whether
what remains may still be shown as the LLM's.

A sentence is withheld when its sources do not support it (see `bot.summarise.grounding`), when
it repeats an earlier one, or when it stays loaded after the repair the extractive summariser
applies to its own sentences (`bot.summarise.neutral`). A hostile sentence (a mention, a
foreign link, Markdown, text obeying an instruction hidden in an article) refuses the whole
reply, and so does a figure in digits that none of the articles the reply cites has, or a
placeholder left for a word (`UNK`): a model that makes up one number or lost a word is not
trusted for its other sentences (a figure cited to the wrong outlet of the story only
withholds its sentence). A sentence said again word for word (a model caught in a loop) refuses
the reply too; one that restates an earlier sentence in other words is only withheld. The
rest of the reply is kept when it still tells the lead fact: its first sentence is shown, and
so is at least half of what it said once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.models import Article, SentenceCheck
from bot.summarise import neutral
from bot.summarise.extractive import LOADED_LIMIT
from bot.summarise.grounding import invented_figure
from bot.summarise.llm.drafts import Draft, GroundingRules
from bot.summarise.support import SpanThresholds
from bot.summarise.support.text import placeholders, tokenize

# Why a sentence the model itself called unsupported (`llm.verify`) is withheld.
VERIFY_REASON = "on a second look the model found its source does not state it"
# Why a reply is refused as a whole when one of its sentences gives a figure that none of the
# articles it cites has.
INVENTED = "it gives a figure none of its sources has"
# ...or leaves a placeholder where a word should be (`UNK`: the model met a word it lacked).
PLACEHOLDER = "it left a placeholder for a word"
# ...or says one of its sentences twice, word for word.
LOOP = "it says one sentence twice, word for word"
# Share of a sentence's claim words an earlier sentence already holds for it to be a repeat.
REPEAT_SHARE = 0.8
# LaTeX-style quotes (`word') some models write: an opening backtick closed by an apostrophe
# is a quotation mark, not Markdown code.
_TEX_QUOTE = re.compile(r"`(?=[^`']*')")


@dataclass(frozen=True)
class Checked:
    """A reply after the check: drafts to show, a verdict per draft, why it is refused if so."""

    shown: tuple[Draft, ...]
    checks: tuple[SentenceCheck, ...]
    refusal: str | None  # the whole reply is not used: hostile, or its lead fact withheld

    @property
    def withheld(self) -> int:
        return sum(1 for c in self.checks if not c.shown)

    def withheld_note(self) -> str:
        """What readers are told when sentences were left out of an item still shown."""
        if not self.withheld:
            return ""
        first = for_readers(next(c.reason for c in self.checks if not c.shown))
        count = "1 sentence" if self.withheld == 1 else f"{self.withheld} sentences"
        return f"{count} of the LLM summary withheld ({first})"


def for_readers(reason: str) -> str:
    """A reason as readers may see it in a note: the loaded word itself stays in the
    operator's log and `--explain` (THREATS.md: reader-facing notes)."""
    return "loaded language" if reason.startswith("loaded language") else reason


def plain_quotes(text: str) -> str:
    """`text` with LaTeX-style opening quotes (`like this') as apostrophes."""
    return _TEX_QUOTE.sub("'", text) if "`" in text else text


def check_drafts(
    drafts: Sequence[Draft],
    rules: GroundingRules,
    allowed_urls: Sequence[str],
    *,
    refused: frozenset[int] = frozenset(),
) -> Checked:
    """Judge each draft, then decide whether what is left may be shown.

    `refused` are the positions of drafts the model's second opinion called unsupported.
    """
    checks: list[SentenceCheck] = []
    shown: list[Draft] = []
    closeness: list[tuple[float, float]] = []  # coverage and order of each shown sentence
    repeats = 0
    story = tuple(dict.fromkeys(a for d in drafts for a in d.cited))  # all the reply cites
    for index, draft in enumerate(drafts):
        text = plain_quotes(draft.text)
        earlier = [plain_quotes(d.text) for d in drafts[:index]]
        if _repeats(text, earlier):
            checks.append(SentenceCheck(text, False, "it repeats an earlier sentence"))
            if _verbatim(text, earlier):
                # Word for word: the loop of a model that lost its place, not a restatement.
                return Checked((), tuple(checks), LOOP)
            repeats += 1
            continue
        judged = rules.judge(text, draft.cited, allowed_urls)
        if judged.hostile:
            hostile = judged.reason or "hostile"
            checks.append(SentenceCheck(text, False, hostile))
            return Checked((), tuple(checks), hostile)
        broken = _broken(text, story)
        if broken is not None:
            # A model that makes up one figure, or leaves a placeholder for a word it lacked,
            # is not trusted for its other sentences.
            checks.append(SentenceCheck(text, False, judged.reason or broken))
            return Checked((), tuple(checks), broken)
        if index in refused:
            checks.append(SentenceCheck(text, False, VERIFY_REASON))
            continue
        text, loaded = _neutral(text)
        if judged.reason is None and loaded is None and text != plain_quotes(draft.text):
            judged = rules.judge(text, draft.cited, allowed_urls)  # the repaired wording
        reason = judged.reason or loaded
        checks.append(SentenceCheck(text, reason is None, reason or "", judged.passage))
        if reason is None:
            shown.append(replace(draft, text=text))
            closeness.append((judged.coverage, judged.order))
    refusal = _refusal(checks, len(drafts) - repeats) or _loose(closeness, rules.span)
    return Checked(tuple(shown), tuple(checks), refusal)


def _broken(text: str, story: Sequence[Article]) -> str | None:
    """Why a sentence shows its model is not to be trusted for the others, if it does."""
    figure = invented_figure(text, story)
    if figure is not None:
        return f"{INVENTED} ({figure})"
    found = placeholders(text)
    return f"{PLACEHOLDER} ({found[0]!r})" if found else None


def _refusal(checks: list[SentenceCheck], said: int) -> str | None:
    if not checks:
        return "the LLM reply has no sentences"
    lead = checks[0]
    if not lead.shown:
        return f"{for_readers(lead.reason)} (its first sentence)"
    if 2 * sum(1 for c in checks if c.shown) < said:
        first = for_readers(next(c.reason for c in checks if not c.shown))
        return f"most of its sentences were withheld, the first because {first}"
    return None


def _loose(closeness: list[tuple[float, float]], limits: SpanThresholds) -> str | None:
    """Why the shown sentences, taken together, rest too loosely on their passages."""
    if not closeness:
        return None
    coverage = sum(c for c, _ in closeness) / len(closeness)
    order = sum(o for _, o in closeness) / len(closeness)
    if coverage < limits.mean_coverage:
        return f"its sentences hold on average only {coverage:.0%} of their words in a passage"
    if order < limits.mean_order:
        return "its sentences recombine the words of their passages on average"
    return None


def _verbatim(text: str, earlier: Sequence[str]) -> bool:
    """Whether `text` says an earlier sentence again word for word (case and punctuation
    aside)."""
    words = [t.key for t in tokenize(text)]
    return any([t.key for t in tokenize(other)] == words for other in earlier)


def _repeats(text: str, earlier: Sequence[str]) -> bool:
    keys = {t.key for t in tokenize(text) if t.claims}
    if not keys:
        return False
    for other in earlier:
        held = {t.key for t in tokenize(other) if t.claims}
        if len(keys & held) >= REPEAT_SHARE * len(keys):
            return True
    return False


def _neutral(text: str) -> tuple[str, str | None]:
    """The sentence repaired as the extractive summariser repairs its own; a reason if it
    stays too loaded to show (a strong marker, or loadedness at `LOADED_LIMIT`)."""
    loaded = neutral.assess(text)
    if loaded.clean:
        return text, None
    repaired = neutral.repair_sentence(text)
    loaded = neutral.assess(repaired)
    if loaded.strong or loaded.score >= LOADED_LIMIT:
        term = loaded.terms[0] if loaded.terms else "loaded wording"
        return text, f"loaded language {term!r}"
    return repaired, None
