"""A sentence splitter for news text: abbreviations, initials, quotes and datelines.

Written for speed (one regular expression pass per paragraph) because the extractive
summariser splits every article it sees; general-purpose splitters are 10-100x slower.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache


def _words(text: str) -> list[str]:
    """A word list written as prose (keeps long lexicons readable)."""
    return text.split()


# Words that end in a full stop without ending the sentence (compared lower-case, no dot).
ABBREVIATIONS = frozenset(
    _words("""
    mr mrs ms dr prof sr jr st mt ft gen lt col maj capt cmdr adm sgt cpl pvt rep reps sen
    sens gov govt pres supt insp det rev hon messrs mme mlle fr
    inc ltd co corp bros plc llc dept univ assn est approx vs etc al
    jan feb mar apr jun jul aug sep sept oct nov dec
    mon tue tues wed thu thur thurs fri sat sun
    no nos vol pp fig op ed eds cf ie eg viz
    ala ariz ark calif colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont
    neb nev okla ore pa tenn tex va vt wash wis wyo
    """)
)

# Sentence-final punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"""([.!?…。！？]+)(["'”’»)\]]*)(\s*)""")
# What may start a new sentence: capital letter, digit, opening quote or bracket.
_STARTER = re.compile(r"""["'“‘«(\[]*[A-Z0-9À-ÖØ-ÞĀ-ſ]""")
# Words written with a lower-case first letter that still open a sentence: a lower-case
# letter or two, then a capital in the same word ("iPhone", "eBay", "mRNA"), or one letter
# and a hyphen ("e-mail", "e-commerce").
_CASED_WORD = re.compile(r"[a-z]{1,2}[A-Z]|[a-z]-[a-z]")
_WORD_BEFORE = re.compile(r"([\w.'’-]+)$")
_CJK_END = frozenset("。！？")
# A quotation left open longer than this is a stray mark, not one long sentence (and keeps
# splitting linear on hostile input).
_MAX_QUOTED = 600

# "WASHINGTON (Reuters) - ", "LONDON, March 3 (AP) — ", "Geneva - " at the very start.
_DATELINE = re.compile(
    r"""^(?:[A-Z][A-Za-z.'’-]*(?:[ ,]+[A-Z][A-Za-z.'’-]*){0,3}      # place, up to 4 words
        (?:,\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2})?                       # optional date
        \s*(?:\([A-Za-z .&-]{2,30}\))?                              # optional (Agency)
        \s*[-–—]{1,2}\s+)(?=[A-Z"“‘'])""",
    re.VERBOSE,
)
# An agency's name in brackets opening the text, glued on or followed by a dash.
_AGENCY_TAG = re.compile(
    r"^\([A-Z][A-Za-z.&]{1,15}(?: [A-Z][A-Za-z.&]{1,15})?\)\s*(?:[-–—]{1,2}\s*)?(?=[A-Z\"“‘])"
)
_PUBLISHED_LINE = re.compile(
    r"^(?:By [A-Z][\w.' -]{1,60}|PUBLISHED:.*|UPDATED:.*|Last updated.*"
    r"|\d{1,2}:\d{2} (?:GMT|EST|BST).*)$",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[str]:
    """Split news text into sentences; blank lines and line breaks end sentences too."""
    return list(iter_sentences(text))


def iter_sentences(text: str) -> Iterator[str]:
    """`split_sentences` one at a time, so a caller that needs only the first few stops early."""
    for line in _logical_lines(text):
        yield from _split_line(line)


# Footnote and citation markers pasted from reference pages: "[4][5]", "[citation needed]".
_FOOTNOTE = re.compile(r"\s?\[(?:\d{1,3}|[a-z]|citation needed|note \d{1,3}|nb \d{1,2})\]", re.I)
_FIRST_WORD = re.compile(r"^[\"“‘'(]*([\w’'-]+)")
# A line this long that still "continues" is not a wrapped sentence: stop joining.
_MAX_JOINED = 1200
# A quotation mark alone at a line's end, after a space: it opens the quotation on the next
# line (the layout of some outlets' quotes); closing marks and apostrophes follow a word. A
# straight double mark is left alone: written sloppily, it closes as often as it opens.
_DANGLING_OPENER = re.compile(r"""\s(['“‘])$""")
QUOTE_OPENERS = frozenset("'“‘")
_OPEN_SINGLE = re.compile(r"(?:^|\s)'[^\W\d_]")
# A straight single mark that closes a quotation: after a word or punctuation, not inside a
# word ("it's"; "Jones'" before a space is ambiguous and counts as closing).
CLOSE_STRAIGHT_SINGLE = re.compile(r"[\w.,!?]'(?![^\W_])")


def _logical_lines(text: str) -> Iterator[str]:
    """Lines of text, with a line joined to the next where the break cannot end a sentence.

    A break after an initial or abbreviation ("H.R.⏎McMaster", "Sen.⏎Ortiz") or inside a
    quotation still open at a line without a full stop is a wrapped line, not a sentence end:
    split there, half a name opens the next sentence and a quotation never closes. A quotation
    mark alone at a line's end moves to the start of the next line, whose quotation it opens.
    """
    pending, maybe, opener = "", False, ""
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line or _PUBLISHED_LINE.match(line):
            if pending:
                yield pending
                pending = ""
            continue
        if "[" in line:
            line = _FOOTNOTE.sub("", line).strip()
        line, opener = opener + line, ""
        dangling = (
            _DANGLING_OPENER.search(line, len(line) - 2) if line[-1:] in QUOTE_OPENERS else None
        )
        if dangling is not None and not _closes_own_quote(line[: dangling.start()], line[-1]):
            # "... he said. '⏎I was ...": the mark opens the next line's quotation.
            line, opener = line[: dangling.start()], dangling.group(1)
        if pending:
            if maybe and _starts_sentence(line):
                yield pending  # "... in the U.S.⏎The next day": the acronym ended it
            else:
                line = f"{pending} {line}"
            pending = ""
        join = _continues(line) if len(line) < _MAX_JOINED else _NO
        if join == _NO:
            yield line
        else:
            pending, maybe = line, join == _MAYBE
    if pending:
        yield pending


def _closes_own_quote(line: str, mark: str) -> bool:
    """Whether a straight quotation mark at the end of `line` closes a quotation that the
    line opened, written with a space before it ("... 'we will stay. '")."""
    opened, closed = _OPEN_SINGLE.findall(line), CLOSE_STRAIGHT_SINGLE.findall(line)
    return mark == "'" and len(opened) > len(closed)


_NO, _YES, _MAYBE = 0, 1, 2
_TERMINAL_CHARS = (".", "!", "?", "…", "。", "！", "？", '."', ".”", ".’", "?”", "!”")


def _continues(line: str) -> int:
    """Whether `line` stops where no sentence can end, so the next line belongs to it."""
    word = line[line.rfind(" ") + 1 :]
    bare = word.rstrip(".").lower().lstrip("'’(\"“")
    if word.endswith(".") and (bare in ABBREVIATIONS or (len(bare) == 1 and bare.isalpha())):
        return _YES  # "Mr.", "Sen.", "J."
    if word.endswith(".") and "." in word[:-1] and all(len(p) == 1 for p in word.split(".") if p):
        return _MAYBE  # "H.R." goes on to a name; "U.S." may end a sentence
    if line.endswith(_TERMINAL_CHARS):
        return _NO
    return _YES if _inside_open_quote(line[-_MAX_QUOTED:]) else _NO


def _starts_sentence(line: str) -> bool:
    """A line opening with a function word ("The", "He", "In") starts a sentence of its own."""
    first = _FIRST_WORD.match(line)
    return first is None or first.group(1).lower() in STOPWORDS


def lower_case_start(text: str) -> bool:
    """True when `text` (after opening quotes or brackets) starts in lower case, as the tail
    of a sentence broken across lines does; "iPhone", "eBay" and "e-mail" are written so."""
    body = text.lstrip("\"'“‘«([")
    return body[:1].islower() and _CASED_WORD.match(body) is None


def strip_dateline(sentence: str) -> str:
    """Remove a leading dateline ("GENEVA (Reuters) - ") that is not part of the claim."""
    agency = _AGENCY_TAG.match(sentence)
    if agency is not None:
        return sentence[agency.end() :]  # "(CNN)As the earth shook ..." / "(AP) -- Police ..."
    match = _DATELINE.match(sentence)
    if match is None:
        return sentence
    head = match.group(0)
    # A real dateline is short and its place name is capitalised or upper-case.
    if len(head.split()) > 7:
        return sentence
    return sentence[match.end() :]


def _split_line(line: str) -> Iterator[str]:
    # Positions, never slices of the rest of the line: splitting stays linear in its length.
    start = 0
    for match in _BOUNDARY.finditer(line):
        end = match.end(2)
        more = match.end() < len(line)
        if more and not _ends_sentence(line, match):
            continue
        if more and end - start < _MAX_QUOTED and _inside_open_quote(line[start:end]):
            continue  # '"We will win. We always do," she said.' is one sentence
        piece = line[start:end].strip()
        if piece:
            yield piece
        start = match.end()
    tail = line[start:].strip()
    if tail:
        yield tail


def quotes_balanced(text: str) -> bool:
    """Every curly double quotation mark closed and straight double marks paired: the text
    holds whole quotations, so whose words they are can be read from it."""
    return text.count("“") == text.count("”") and text.count('"') % 2 == 0


def _inside_open_quote(piece: str) -> bool:
    return piece.count("“") > piece.count("”") or piece.count('"') % 2 == 1


def _ends_sentence(line: str, match: re.Match[str]) -> bool:
    punct = match.group(1)
    if punct[-1] in _CJK_END:
        return True
    if not match.group(3):
        return False  # no space after the stop: "3.5", "U.S.-led"
    if not _STARTER.match(line, match.end()) and not _CASED_WORD.match(line, match.end()):
        return False  # lower-case continuation: "the U.S. economy", "... said."
    if punct != ".":
        # "?" or "!" inside a quote followed by attribution: '"Why?" she asked.'
        return True
    # Only the word right before the stop matters; a short window keeps this O(1).
    before = _WORD_BEFORE.search(line, max(0, match.start(1) - 40), match.start(1))
    if before is None:
        return True
    word = before.group(1)
    bare = word.rstrip(".").lower().lstrip("'’(")
    if bare in ABBREVIATIONS and not match.group(2):
        return False
    # Single initials and dotted acronyms: "George H. W. Bush", "U.S. officials".
    if len(bare) == 1 and bare.isalpha():
        return False
    return not ("." in word and all(len(part) <= 2 for part in word.split(".") if part))


# Function words that say nothing about what a sentence is about.
STOPWORDS = frozenset(
    _words("""
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves said says say told tells according mr mrs ms one two new also would could may
    might must us last year years week time like get got s t don didn doesn isn wasn
    """)
)
_TOKEN = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
# Kana, CJK ideographs and Hangul: scripts written without spaces between words.
_CJK_CHAR = re.compile("[\u3040-\u9fff\uac00-\ud7af]")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A tiny suffix stripper: enough to match "officials"/"official", "talks"/"talk"."""
    if word.endswith("'s") or word.endswith("’s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """Lower-case, stemmed words that carry meaning (no stopwords, no possessive 's)."""
    return [
        stem(token)
        for token in _TOKEN.findall(text.lower())
        if token not in STOPWORDS and (len(token) > 1 or token.isdigit())
    ]


def word_count(text: str) -> int:
    """Words as a reader counts them (CJK characters count one each)."""
    count = len(text.split())
    cjk = len(_CJK_CHAR.findall(text))
    return max(count, cjk // 2) if cjk else count
