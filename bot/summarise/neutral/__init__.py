"""Loaded-language detection and repair: the project's own lexicon plus pattern rules.

How it is used (see docs/NEUTRALITY.md): every candidate sentence gets a `Loadedness`
score (`detection`); the extractive summariser prefers low scores, tries `repair_sentence`
(`repair`) on the ones it wants (dropping intensifiers, loaded attributive adjectives,
sarcastic qualifiers, scare quotes and loaded asides between dashes or brackets), and never
shows a sentence whose repaired form still carries a strong marker (name-calling,
exclamation, rhetorical question). Repairs only ever delete words or quote marks: nothing
is added, so no fact is invented. The word lists are in `lexicon`.
"""

from bot.summarise.neutral.detection import (
    Loadedness,
    Term,
    assess,
    commentary_share,
    evaluative_words,
    find_terms,
    is_attributed,
    quoted_spans,
    without_quotes,
)
from bot.summarise.neutral.lexicon import (
    ATTRIBUTION_WORDS,
    IDIOMS,
    INTENSIFIERS,
    LOADED_ADJECTIVES,
    LOADED_PHRASES,
    LOADED_VERBS_NOUNS,
    NAME_CALLING,
)
from bot.summarise.neutral.repair import (
    deload_headline,
    deload_title,
    indefinite_article,
    repair_sentence,
)

__all__ = [
    "ATTRIBUTION_WORDS",
    "IDIOMS",
    "INTENSIFIERS",
    "LOADED_ADJECTIVES",
    "LOADED_PHRASES",
    "LOADED_VERBS_NOUNS",
    "NAME_CALLING",
    "Loadedness",
    "Term",
    "assess",
    "commentary_share",
    "deload_headline",
    "deload_title",
    "evaluative_words",
    "find_terms",
    "indefinite_article",
    "is_attributed",
    "quoted_spans",
    "repair_sentence",
    "without_quotes",
]
