"""Recognising opinion and commentary, so that it is labelled and never leads a story.

An article is opinion when its outlet or address says so (an "/opinion/" path, an outlet
feed named "... (Opinion)", a title starting "Opinion:" or "Op-Ed |") or when its text reads
as commentary: many of its opening sentences carry strong markers (name-calling, sneers,
rhetorical questions, orders to the reader).
Feed categories are not used: the feed parser does not keep them (see docs/NEUTRALITY.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.models import Article
from bot.summarise import neutral
from bot.summarise.sentences import iter_sentences

# Address paths that outlets use for commentary.
_OPINION_PATH = re.compile(
    r"/(?:opinions?|commentary|editorials?|op-?eds?|columns?|columnists?|letters|"
    r"viewpoints?|perspectives?|blogs?/opinion)(?:/|-|\.|$)",
    re.IGNORECASE,
)
# "Opinion: ...", "OPINION | ...", "Op-Ed: ...", "Editorial - ...", "Column: ..."
_OPINION_TITLE = re.compile(
    r"^\s*(?:opinion|op-?ed|editorial|commentary|column|letters?|viewpoint)\s*[:|–—-]\s",
    re.IGNORECASE,
)
_OPINION_OUTLET = re.compile(r"\bopinion\b|\bop-?ed\b|\beditorials?\b", re.IGNORECASE)
# Text alone: this share of the opening sentences with a strong marker reads as commentary.
# Measured on the tuning folds: 0 of 43 CNN/DM reports, 16 of 187 partisan-outlet news
# reports and 10 of 55 propaganda articles; 0.3 took in 52 of the 187 news reports.
COMMENTARY_SHARE = 0.4
_OPENING = 10
# The label added to an opinion piece's outlet name where it is shown.
LABEL = "opinion"


def opinion_reason(article: Article, commentary: float | None = None) -> str:
    """Why `article` reads as opinion ("address", "outlet", "title", "text"), or "".

    `commentary`: the article's `neutral.commentary_share`, when the caller has it already.
    """
    after_host = article.url.split("://", 1)[-1].partition("/")[2]
    if _OPINION_PATH.search("/" + after_host.split("?", 1)[0]):
        return "address"
    if _OPINION_OUTLET.search(article.outlet):
        return "outlet"
    if _OPINION_TITLE.match(article.title):
        return "title"
    if commentary is not None:
        return "text" if commentary >= COMMENTARY_SHARE else ""
    return "text" if reads_as_commentary(article.text) else ""


def is_opinion(article: Article, commentary: float | None = None) -> bool:
    """True for opinion and commentary: label it, never let it lead or headline a story."""
    return bool(opinion_reason(article, commentary))


def reads_as_commentary(text: str) -> bool:
    """The text itself reads as commentary: strong markers in many opening sentences."""
    opening = _opening_sentences(text)
    return len(opening) >= 3 and neutral.commentary_share(opening) >= COMMENTARY_SHARE


def labelled_outlet(article: Article) -> str:
    """The outlet name as a digest shows it: "National Review (opinion)" for opinion.

    Brackets rather than a comma: the name also appears in lists ("Reported by A, B and
    National Review (opinion)"), where a comma would read as one more outlet.
    """
    if not is_opinion(article) or _OPINION_OUTLET.search(article.outlet):
        return article.outlet  # "Wall Street Journal (Opinion)" already says so
    return f"{article.outlet} ({LABEL})"


def _opening_sentences(text: str) -> list[str]:
    return _first(iter_sentences(text), _OPENING)


def _first(sentences: Iterable[str], count: int) -> list[str]:
    out = []
    for sentence in sentences:
        if len(sentence.split()) >= 5:
            out.append(sentence)
            if len(out) >= count:
                break
    return out
