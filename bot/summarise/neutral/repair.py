"""Repairs that only delete loaded wording, and the de-loading of titles.

A repair never adds a word (so no fact is invented) and never changes who said what:
attribution and real quotations survive it, or the sentence is left as written.
"""

from __future__ import annotations

import re

from bot.summarise.neutral.detection import (
    assess,
    could_be_scare_quote,
    evaluative_words,
    find_terms,
    inside,
    is_attributed,
    quoted_spans,
    scare_quotes,
)
from bot.summarise.neutral.lexicon import DROPPABLE_PHRASES, SARCASTIC_QUALIFIERS

# Words after which a loaded adjective sits in front of a noun and can simply be dropped.
_DETERMINERS = re.compile(
    r"(?:\b(?:the|a|an|this|that|these|those|its|his|her|their|our|some|many|of|and)\s+)$",
    re.IGNORECASE,
)


def repair_sentence(sentence: str) -> str:
    """Delete removable loaded wording outside quotes; the claim and its wording otherwise stay.

    Removes: asides between dashes/brackets that carry loaded words, intensifiers, loaded
    adjectives in front of a noun, sarcastic qualifiers ("so-called", "self-styled",
    "supposed"), and scare quotes around short unattributed terms.
    """
    text = _drop_loaded_asides(sentence)
    text = _unquote_scare_terms(text)
    text = _drop_removable_terms(text)
    text = re.sub(r"\s{2,}", " ", text)
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    text = _fix_articles(sentence, text)
    text = text.strip().lstrip(",;: ")
    text = text[:1].upper() + text[1:]
    return text if _keeps_speakers(sentence, text) else sentence


def _keeps_speakers(original: str, repaired: str) -> bool:
    """A repair may not change who said what: attribution and real quotations survive it."""
    if is_attributed(original) and not is_attributed(repaired):
        return False
    for start, end in quoted_spans(original):
        quotation = original[start:end]
        inner = quotation[1:-1].strip()
        if quotation in repaired:
            continue
        if could_be_scare_quote(original, start, inner) and inner in repaired:
            continue  # scare quotes taken off a short unattributed term
        return False
    return True


_ARTICLE_PAIR = re.compile(r"(?<![\w'’])([Aa]n?)(\s+)([\"“‘'(]*)([\w.-]+)")
_HAS_ARTICLE = re.compile(r"(?<![\w'’])[Aa]n?\s")
# Letters whose spoken name starts with a vowel sound: "an FBI agent", "an MP", "a US firm".
_VOWEL_SOUND_LETTERS = frozenset("AEFHILMNORSX")
# Vowel letters sounded as a consonant ("a union", "a one-off", "a European") and silent h.
_CONSONANT_SOUND_STARTS = (
    "uni",
    "use",
    "usu",
    "uti",
    "ura",
    "uro",
    "ubi",
    "ukr",
    "eu",
    "ewe",
    "one",
    "once",
)
_VOWEL_SOUND_H = ("hour", "honest", "honor", "honour", "heir")


def indefinite_article(word: str) -> str:
    """ "a" or "an" for `word` as it is spoken (acronyms by their letters, numbers by name)."""
    token = word.lstrip("\"“‘'(")
    if not token:
        return "a"
    head = re.match(r"[A-Za-z]+", token)
    if head is None:
        digits = re.match(r"\d[\d,]*", token)
        if digits is None:
            return "a"
        number = digits.group(0).replace(",", "")
        eleven = number[:2] in ("11", "18") and len(number) in (2, 5, 6)
        return "an" if number.startswith("8") or eleven else "a"
    letters = head.group(0)
    if letters.isupper() and (len(letters) >= 2 or len(token) == 1 or token[1] in "-."):
        spoken_as_word = len(letters) >= 4 and any(v in letters[1:] for v in "AEIOU")
        if not spoken_as_word:
            return "an" if letters[0] in _VOWEL_SOUND_LETTERS else "a"
    lower = letters.lower()
    if lower.startswith(_VOWEL_SOUND_H):
        return "an"
    if lower[0] in "aeiou" and not lower.startswith(_CONSONANT_SOUND_STARTS):
        return "an"
    return "a"


def _fix_articles(original: str, repaired: str) -> str:
    """Choose a/an by sound where a deletion put a new word after the article."""
    if repaired == original or not _HAS_ARTICLE.search(repaired):
        return repaired
    before = {(m.group(1).lower(), m.group(4)) for m in _ARTICLE_PAIR.finditer(original)}

    def choose(match: re.Match[str]) -> str:
        article, space, marks, word = match.groups()
        if (article.lower(), word) in before:
            return match.group(0)  # the outlet's own wording: never "corrected"
        wanted = indefinite_article(word)
        if article[0].isupper():
            wanted = wanted.capitalize()
        return f"{wanted}{space}{marks}{word}"

    return _ARTICLE_PAIR.sub(choose, repaired)


_ASIDE = re.compile(
    r"\s+[–—-]{1,2}\s+[^–—]{3,120}?\s+[–—-]{1,2}(?=\s)"  # " – a shameless liar – "
    r"|\s*\([^()]{3,120}\)"  # "(the so-called reformers)"
)
# An appositive after a name: "Oakes, one of the few with any sense, said".
_APPOSITIVE = re.compile(
    r"(\b[A-Z][\w'’-]+),\s(?:one of|a|an|the|who|whose|himself|herself)\s[^,;:]{3,100}?,(?=\s)"
)


def _drop_loaded_asides(text: str) -> str:
    def keep_or_drop(match: re.Match[str]) -> str:
        return "" if find_terms(match.group(0)) else match.group(0)

    def keep_name(match: re.Match[str]) -> str:
        return match.group(1) if find_terms(match.group(0)) else match.group(0)

    return _APPOSITIVE.sub(keep_name, _ASIDE.sub(keep_or_drop, text))


def _unquote_scare_terms(text: str) -> str:
    if is_attributed(text):
        return text
    for scare in scare_quotes(text, attributed=False):
        text = text.replace(scare, scare[1:-1], 1)
    return text


def _drop_removable_terms(text: str) -> str:
    """Delete intensifiers, sarcastic qualifiers and attributive loaded adjectives."""
    quotes = quoted_spans(text)
    pieces, last = [], 0
    for term in find_terms(text):
        if inside(term.start, quotes) or term.start < last:
            continue
        lowered = " ".join(term.text.lower().split())
        removable = (
            term.kind == "intensifier"
            or lowered in SARCASTIC_QUALIFIERS
            or lowered in DROPPABLE_PHRASES
        )
        if term.kind == "adjective":
            following = text[term.end : term.end + 2]
            in_front_of_noun = re.match(r",?\s\w", following) is not None
            before = text[: term.start]
            at_start = not before.strip(" \"“‘'(")
            removable = in_front_of_noun and (at_start or _DETERMINERS.search(before) is not None)
        if not removable:
            continue
        pieces.append(text[last : term.start])
        last = term.end
        if text[last : last + 1] == ",":
            last += 1  # "a brutal, cold winter" -> "a cold winter"
    pieces.append(text[last:])
    return "".join(pieces)


def deload_headline(title: str) -> str:
    """A headline with removable loaded wording and shouting punctuation taken out."""
    text = repair_sentence(title.strip())
    text = re.sub(r"[!]+", "", text).strip()
    text = re.sub(r"\s*(?:\.\.\.|…)$", "", text)
    return text[:1].upper() + text[1:] if text else text


# Obligation stated by the writer: "X must go", "Y has to resign", "Z should be fired".
_VERDICT = re.compile(r"\b(?:should|must|ought to|has to|have to|needs? to)\b", re.IGNORECASE)
# A title's evaluative adjective costs this much: titles are short, so one verdict word
# ("Stunning", "Pathetic") frames the whole story.
W_TITLE_EVALUATIVE = 0.5


def deload_title(title: str) -> str | None:
    """`title` with removable loaded wording taken out, or None when it stays loaded.

    For headline choice: None means "do not show this title", because what is left would
    still carry name-calling, a sneer, a verdict or an appeal to the reader. First-person
    and question titles are not judged here (blogs and podcasts title that way).
    """
    repaired = deload_headline(title)
    if not repaired:
        return None
    found = assess(repaired)
    loaded_terms = [t for t in found.terms if t not in ("?", "opinion", "you")]
    if any(t in ("!", "…", "editorial opener") for t in loaded_terms):
        return None
    if _VERDICT.search(repaired) and not is_attributed(repaired):
        return None  # "..., the Mayor Has to Go": the writer's verdict, not news
    # Podcast and blog titles talk to the reader ("Do Not Expect ...") and ask questions.
    score = found.score - sum(
        {"?": 2.0, "opinion": 1.0, "you": 0.5, "imperative": 1.5}.get(t, 0.0) for t in found.terms
    )
    score += W_TITLE_EVALUATIVE * len(evaluative_words(repaired))
    return repaired if score < 1.0 else None
