"""A digest item's headline: the outlet's own title when it reads as news, else a neutral one.

A title is what the outlet chose to call its piece: its case ("iPad", "eBay"), its full text
(full stops inside included), its numbering ("309: ...", "221 - ...") and, on blogs and
podcasts, its form (first person, questions) are kept. Loaded wording is first removed
(`neutral.deload_headline`, words taken out only). What is left is then judged broadly
(`title_score`: the project's lexicon, the published sentiment lexicons of `title_check`,
short and loaded quotations, capitals, exclamations, the writer's voice over a third-person
report, framing words the article never uses): a loaded title loses to another outlet's
neutral title of the same story, or, with one outlet, gives way to a clause of the summary's
first sentence when that clause reads less loaded; with no such clause it loses its
evaluative words (`plainer_title`). The clause ends at a clause boundary, keeps who said
it, and is never page furniture or page talk addressed to the reader.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice

from bot.models import Article
from bot.summarise import furniture, neutral
from bot.summarise.sentences import content_words, iter_sentences, quotes_balanced
from bot.summarise.title_check import EVALUATIVE_WORDS, LOADED_TITLE, W_EXCLAIM, wording_score

# Costs that make one outlet's title lose to another's in a multi-outlet story.
QUESTION_COST = 3.0
SHOUT_COST = 2.0
STRONG_COST = 3.0
LONG_TITLE_CHARS = 110
# Loaded terms left after de-loading from which a title gives way to a summary clause.
LOADED_TERMS = 2
# A fallback clause runs to a clause boundary (the whole sentence when this short).
CLAUSE_WORDS = 16
MIN_CLAUSE_WORDS = 4  # with a verb: the fragment bound of issue 13 is under four words
# Past this many words any comma after a full clause of `LONG_HEAD_WORDS` may end it.
LONG_SENTENCE_WORDS = 25
LONG_HEAD_WORDS = 8
UNTITLED = "Untitled story"
# A title judged loaded (`title_loaded`) costs this much against the story's other titles.
LOADED_TITLE_COST = 3.0
# What only a title has, on `title_check.wording_score`'s scale (chosen on folds 0-2).
W_SHOUT = 1.5
W_VOICE = 1.5
W_UNSUPPORTED = 1.5
W_COLON = 0.5  # a weak signal like the others; folds 0-2 do not tell 0.5-1.5 apart
COLON_LABEL_WORDS = 4
W_COMMENTARY = 0.0  # commentary: 0.5-1.0 removed no span on folds 0-2 and replaced 6-10 more titles
# An article this long is the full text, not a teaser: its title's words should be in it.
FULL_ARTICLE_WORDS = 150
MIN_UNSUPPORTED = 2
# Opening sentences read to tell a report (third person) from a blog (first person).
VOICE_SENTENCES = 5
_VOICE = frozenset({"?", "opinion", "you", "imperative"})
_READER = frozenset({"you", "imperative", "opinion"})  # the reader addressed, the writer's "we"
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")
# What `neutral.assess` finds in a title's form rather than its wording.
_TITLE_FORMS = frozenset({"?", "opinion", "you", "imperative"})
_SEPARATORS = ("|", "–", "—", "-", "·", ":")


def _words(text: str) -> list[str]:
    return text.split()


# A clause ends at ; : or a dash, or at a comma when the next word opens a clause.
_CLAUSE_END = re.compile(r"[;:–—]\s|\s[–—-]\s|,\s(?=([\w’']+))")
_CLAUSE_OPENERS = frozenset(
    _words("""which who whose where while as after before when but and although though because
    since amid despite including even so until unless whereas or nor yet if once with
    following months weeks days hours years""")
)
# A clause never ends on these ("... at a time when", "... one of the").
_DANGLING_END = frozenset(_words("the a an of to and or but that which who than as into"))
# Words naming who said it ("..., police said", "..., according to ..."): kept with the clause.
_SPEAKER_VERBS = frozenset(
    _words("""said says say told tells according reported reports stated claimed claims
    announced added wrote writes warned tweeted noted insisted argued testified cited citing""")
)
# An opening that makes what follows a subordinate clause or a phrase, not a statement.
_SUBORDINATE = frozenset(
    _words("""after when while if as because although though since before until once despite
    with in on at by for from following during amid unless whether""")
)
# Words that make a clause finite (with "-ed" past forms and the attribution verbs):
# auxiliaries and the common irregular past forms of English.
_FINITE = neutral.ATTRIBUTION_WORDS | frozenset(
    _words("""is are was were has have had will would could can may might should must did does do
    be been isn't aren't wasn't weren't hasn't haven't won't can't didn't doesn't
    began became came went made took found gave got held kept left led met paid put ran saw
    sent set sold spent stood told won wrote brought bought built caught chose drew drove fell
    felt fled flew fought grew heard hit knew lost meant rose shot shut struck swore taught
    thought threw understood""")
)
# Opening words of a phrase before the main clause ("Last July, ...", "In fact, ...").
# Conditions stay ("If elected, she will ..." is not "She will ..."), so do single words
# that may be the subject ("This, he said, ...").
_INTRODUCTIONS = (
    _SUBORDINATE - frozenset(_words("if unless whether once until when"))
) | frozenset(_words("last earlier later this yesterday today tonight"))
_ONE_WORD_INTRODUCTIONS = frozenset(
    _words("""meanwhile however indeed instead moreover furthermore besides nevertheless
    thus hence yesterday today""")
)
# "... released to the public and while it ...": two clauses joined without a comma.
_BARE_JOIN = re.compile(r" (?:and while|and yet|but|while|because|whereas) ")
_WORD = re.compile(r"[\w'’$%.-]+")
# A word followed by a space and another word: where an evaluative word qualifies it.
_EVALUATIVE_SLOT = re.compile(r"\b([A-Za-z][A-Za-z'’-]*)(,?) (?=[‘“'\"]?([\w$][\w'’-]*))")
_COPULAS = frozenset(_words("is are was were be been being seems seem looks look"))
_DEGREE = frozenset(_words("most least more less very so too"))
# Words after which an evaluative word is the statement itself ("furious at", "angry over").
_FUNCTION = frozenset(
    _words("""at over with about of to for on in by from as that than and or but into against
    after before among under""")
)


def choose_headline(
    articles: Sequence[Article], first_sentence: str = "", *, commentary: bool = False
) -> str:
    """The most neutral of the outlets' own titles; a clause of `first_sentence` if none.

    Among equally neutral titles the one sharing most words with the others wins: it
    states what the outlets agree on rather than one outlet's angle. A loaded title loses
    to another outlet's neutral one; a single outlet's loaded title gives way to the
    summary clause when the clause reads less loaded. A piece read as `commentary` is
    judged by its title like any other (`W_COMMENTARY`): commentary alone replaced half of
    the news outlets' neutral titles.
    """
    titles = [own_title(a) for a in articles]
    words = [set(content_words(title)) for title in titles]
    best: tuple[float, int, str] | None = None
    for index, title in enumerate(titles):
        if not title:
            continue
        shown = deload_title(title)
        cost = 0.0
        if len(articles) > 1:
            cost = _title_cost(shown, articles[index].text)
            cost += LOADED_TITLE_COST * title_loaded(shown, articles[index])
        others = [w for i, w in enumerate(words) if i != index and w]
        if others and words[index]:
            shared = sum(len(words[index] & w) / len(words[index] | w) for w in others)
            cost -= 0.5 * shared / len(others)
        if best is None or (cost, index) < best[:2]:
            best = (cost, index, shown)
    clause = summary_clause(first_sentence)
    if best is None:
        return clause or UNTITLED
    news = bool(clause) and _states_news(clause)
    if news and still_loaded(best[2]):
        return clause
    if len(articles) == 1:
        score = title_score(best[2], articles[0], commentary=commentary)
        if score >= LOADED_TITLE:
            if news and wording_score(clause) < score:
                return clause  # one outlet's loaded title, no other outlet's to use instead
            return plainer_title(best[2])  # no better clause: at least its verdicts go
    return best[2]


def _states_news(clause: str) -> bool:
    """A clause that speaks to the reader ("Cast your vote below", a poll's "gives
    you access") or in the writer's own voice is page talk or opinion, not a statement of
    the news: the title is better."""
    return not _READER.intersection(neutral.assess(clause).terms)


def title_loaded(title: str, article: Article) -> bool:
    """A title (words already removed) that reads as the outlet's angle, not news."""
    return title_score(title, article) >= LOADED_TITLE


def title_score(title: str, article: Article, *, commentary: bool = False) -> float:
    """How loaded a title (words already removed) reads; `LOADED_TITLE` or more is loaded.

    Its wording (`title_check.wording_score`), an exclamation in the title as written, a
    word in capitals the article never writes so, the writer's voice (first person, a
    question or an order to the reader) over an article that reports in the third person,
    a full article that uses few of its title's words (the title frames the story rather
    than stating it); `commentary` adds `W_COMMENTARY` (0: it helped no tuned fold).
    """
    original = own_title(article) or title
    score = wording_score(title)
    exclaims = "!" in neutral.without_quotes(original, neutral.quoted_spans(original))
    if exclaims and "!" not in title:
        score += W_EXCLAIM  # the exclamation went with a removed word; the title still shouted
    score += W_SHOUT * (_shouted_word(title, article.text) or _shouts(title, article.text))
    score += W_VOICE * _writer_voice(title, article.text)
    score += W_UNSUPPORTED * _unsupported(title, article.text)
    score += W_COLON * _colon_claim(title)
    return score + W_COMMENTARY * commentary


def _colon_claim(title: str) -> bool:
    """ "Officials warn: <claim>": a short label, then a claim carrying loaded signals.

    The colon turns someone's loaded claim into the headline's own statement; a plain claim
    after a label ("CDC: boosters approved for over-65s") is the usual news form.
    """
    head, found, claim = title.partition(": ")
    if not found or len(head.split()) > COLON_LABEL_WORDS or head.strip().isdigit():
        return False
    return wording_score(claim) > 0


def _shouted_word(title: str, text: str) -> bool:
    """A word of four or more capitals the article never writes in capitals (not an acronym).

    An acronym the article writes as a name ("COVID" as "Covid", "NATO" as "Nato") is not
    shouted.
    """
    if title.isupper():
        return False
    return any(
        w.isupper() and w not in text and not _has_word(text, w.capitalize())
        for w in _LONG_WORD.findall(title)
    )


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"\b{re.escape(word)}\b", text) is not None


def _writer_voice(title: str, text: str) -> bool:
    """First person or a question in the title of an article that reports in the third person.

    Blogs and podcasts title this way and write their text the same way; a news report
    does not, so there the title is the writer's appeal, not the story.
    """
    if not _VOICE.intersection(neutral.assess(title).terms):
        return False
    opening = list(islice(iter_sentences(text), VOICE_SENTENCES))
    return bool(opening) and not any(_VOICE.intersection(neutral.assess(s).terms) for s in opening)


def _unsupported(title: str, text: str) -> bool:
    """A full article that uses fewer than half of its title's content words.

    Outlets' titles restate what the article reports; a title whose words the article never
    uses is the headline writer's framing. Short feed teasers say too little to tell.
    """
    if len(text.split()) < FULL_ARTICLE_WORDS:
        return False
    words = set(content_words(title))
    missing = words - set(content_words(text))
    return len(missing) >= MIN_UNSUPPORTED and 2 * len(missing) >= len(words)


def still_loaded(title: str) -> bool:
    """Name-calling, shouting, or several loaded words that removing words could not take out.

    One loaded or quoted word is common in news titles (a quoted 'urgent' is the speaker's)
    and the title stays; two or more make it the outlet's angle rather than the news.

    A question, a first-person or an imperative title ("Do Not Expect Five Nines") is a
    blog's or a podcast's normal form, not loaded language, so none counts here.
    """
    loaded = neutral.assess(title)
    wording = {term for term in loaded.terms if term not in _TITLE_FORMS}
    return len(wording) >= LOADED_TERMS or (loaded.strong and bool(wording))


def own_title(article: Article) -> str:
    """The article's title without an outlet suffix; '' when the feed gave none.

    A feed entry without a title gets the start of its text as one when it is parsed; that
    is not the outlet's title, so it counts as none.
    """
    title = " ".join(article.title.split())
    if not title or _made_from_text(title, article.text):
        return ""
    return _without_outlet(title, article.outlet)


def _made_from_text(title: str, text: str) -> bool:
    start = " ".join(text.split())
    stem = title.removesuffix("…").rstrip()
    return len(stem) > 20 and start.startswith(stem) and len(start) > len(stem)


def _without_outlet(title: str, outlet: str) -> str:
    """ "Storm closes port | Harbour Gazette" -> "Storm closes port"; other suffixes stay."""
    name = outlet.strip().lower()
    if not name:
        return title
    for separator in _SEPARATORS:
        head, found, tail = title.rpartition(f" {separator} ")
        if found and head and tail.strip().lower() == name:
            return head.strip()
    return title


def deload_title(title: str) -> str:
    """The title with loaded words removed, if that leaves it otherwise as written.

    The result is always the title or the title with some words taken out, first letter
    in the outlet's own case; a repair that would rewrite words keeps the title instead.
    """
    repaired = neutral.deload_headline(title).strip()
    if not repaired:
        return title
    first = _WORD.search(repaired)
    if first is not None:
        written = _as_written(first.group(0), title)
        repaired = repaired[: first.start()] + written + repaired[first.end() :]
    if repaired != title and not _words_removed_only(repaired, title):
        return title
    return repaired


def plainer_title(title: str) -> str:
    """A loaded title without the evaluative words that qualify another word.

    "Councillor makes shocking claim" -> "Councillor makes claim": an evaluative adjective or
    adverb of the published lexicons (`title_check.EVALUATIVE_WORDS`) outside quotation
    marks goes when a content word follows it ("furious at" stays) and no "is"/"was" comes
    before it ("Plan is unfair" keeps it: there the word is the statement). In a title
    written in sentence case, two capitalised words in a row are a name ("Grand Canyon").
    Words are only ever removed.
    """
    quotes = neutral.quoted_spans(title)
    title_case = _title_case(title)
    kept, last = [], 0
    for match in _EVALUATIVE_SLOT.finditer(title):
        word, following = match.group(1), match.group(3)
        if word.lower().replace("’", "'") not in EVALUATIVE_WORDS:
            continue
        if any(a <= match.start() < b for a, b in quotes) or following.lower() in _FUNCTION:
            continue
        before = title[: match.start()].split()
        if before and before[-1].lower() in _COPULAS:
            continue
        if not title_case and following[0].isupper() and (word[0].isupper() or not before):
            continue
        start = match.start()
        if before and before[-1].lower() in _DEGREE:  # "the most shocking claim"
            start = title.rindex(before[-1], last, start)
        kept.append(title[last:start])
        last = match.end()
    plain = " ".join("".join([*kept, title[last:]]).split())
    first = _WORD.search(plain)
    if first is not None:
        plain = plain[: first.start()] + _as_written(first.group(0), title) + plain[first.end() :]
    return plain if plain and _words_removed_only(plain, title) else title


def _title_case(title: str) -> bool:
    """Most longer words after the first capitalised: Title Case, where names do not show."""
    words = re.findall(r"[A-Za-z]{4,}", title)[1:]
    return bool(words) and sum(w[0].isupper() for w in words) * 2 > len(words)


def _as_written(word: str, title: str) -> str:
    """The word as the title writes it ("iPad", "eBay"); capitalised only if all lower case.

    When the title's first word is removed, the next one starts the headline: "tax" becomes
    "Tax", but a brand written "iPad" never becomes "IPad".
    """
    written: list[str] = _WORD.findall(title)
    for index, other in enumerate(written):
        if other.lower() == word.lower():
            if index == 0 or not other.islower():
                return other
            return other[:1].upper() + other[1:]
    return word


def _words_removed_only(shorter: str, title: str) -> bool:
    rest = iter(w.lower() for w in _WORD.findall(title))
    words = _WORD.findall(shorter)
    if words and words[0] != _as_written(words[0], title):
        return False
    return all(any(word.lower() == other for other in rest) for word in words)


def _title_cost(title: str, text: str) -> float:
    loaded = neutral.assess(title)
    cost = loaded.score + (STRONG_COST if loaded.strong else 0.0)
    cost += max(0, len(title) - LONG_TITLE_CHARS) / 40
    cost += QUESTION_COST * ("?" in title) + SHOUT_COST * _shouts(title, text)
    return cost


def _shouts(title: str, text: str) -> bool:
    """A word in capitals that the article itself writes in lower case: emphasis."""
    return any(
        word.isupper() and len(word) > 2 and word not in text and _has_word(text, word.lower())
        for word in re.findall(r"[A-Za-z]+", title)
    )


def summary_clause(sentence: str) -> str:
    """A headline from a summary sentence: whole when short, else a clause of it.

    It starts at the main clause (an opening phrase such as "Last July," goes, see
    `_without_introduction`) and ends where the sentence's own punctuation ends a clause (a
    semicolon, a colon, a dash, or a comma before a word that opens a new clause: "which",
    "while", "after", "saying"; in a long sentence any comma after a full clause, or a bare
    "and while", "but", "because" between two clauses), never after a count of words. The
    part kept has a verb and does not open with a subordinate word, so an introductory
    phrase or a name before its appositive is never the headline; it closes every quotation
    it opens, and a cut never drops who said it (", police said", ", according to ...").
    Without such a boundary the sentence stays whole.
    """
    text = " ".join(sentence.split())
    if not text or furniture.is_furniture(text):
        return ""
    text = _without_introduction(text.removesuffix("."))
    if len(text.split()) <= CLAUSE_WORDS:
        return text
    long = len(text.split()) > LONG_SENTENCE_WORDS
    for start, end, opener in _clause_ends(text, long):
        head = text[:start].rstrip(" ,;:")
        inside = opener is not None and not _opens_clause(opener)
        if inside and not (long and len(head.split()) >= LONG_HEAD_WORDS):
            continue  # a comma inside a clause: a list, an appositive, an introduction
        if _is_clause(head) and not _attributes(text[end:]):
            return head
    return text


def _clause_ends(text: str, long: bool) -> list[tuple[int, int, str | None]]:
    """Where a clause may end, first to last: punctuation, and in a long sentence also a
    conjunction joining two clauses without a comma ("... to the public and while it ...")."""
    ends = [(m.start(), m.end(), m.group(1)) for m in _CLAUSE_END.finditer(text)]
    if long:
        ends += [(m.start(), m.end(), m.group(0).split()[-1]) for m in _BARE_JOIN.finditer(text)]
    return sorted(ends, key=lambda end: end[0])


def _without_introduction(text: str) -> str:
    """The sentence from its main clause on: an opening phrase set off by a comma ("Last
    July,", "In fact,", "While critics say ...,", "Being ...,") is not what happened.

    Only openings that start with a subordinating or linking word (not a condition: "If
    elected,"), or with a participle, are dropped, and never one that names a source
    ("According to police,", "Citing ...,"): the headline keeps who said it.
    What is left must be a statement on its own.
    """
    rest = text
    for _ in range(3):  # "In fact, in April 2012, ...": one opening after another
        lead, comma, after = rest.partition(", ")
        if not comma or not _introduces(lead) or _attributes(lead) or not quotes_balanced(lead):
            break
        rest = after
    if rest == text or not _is_clause(rest) or len(rest.split()) < MIN_CLAUSE_WORDS + 2:
        return text
    return rest[0].upper() + rest[1:]


def _introduces(lead: str) -> bool:
    words = [w.strip("\"'“‘(").lower() for w in lead.split()]
    if len(words) == 1:
        return words[0] in _ONE_WORD_INTRODUCTIONS
    # A participle's phrase ("Being the ..."), not a name ("Beijing Airport").
    participle = words[0].endswith("ing") and lead.split()[1][0].islower()
    return words[0] in _INTRODUCTIONS or participle


def _opens_clause(word: str) -> bool:
    """A word after a comma that starts a new clause ("which", "after", "saying")."""
    return word.lower() in _CLAUSE_OPENERS or (word.islower() and word.endswith("ing"))


def _is_clause(head: str) -> bool:
    """Enough words and a verb, no subordinate opening, quotations closed: a statement."""
    words = [w.strip("\"'“”‘’(),").lower() for w in head.split()]
    if len(words) < MIN_CLAUSE_WORDS or words[0] in _SUBORDINATE:
        return False
    if words[-1] in _SUBORDINATE or words[-1] in _DANGLING_END:
        return False  # "... at a time when": the clause goes on past the comma
    if not quotes_balanced(head):
        return False
    return any(
        w in _FINITE or (i > 0 and len(w) > 4 and w.endswith("ed")) for i, w in enumerate(words)
    )


def _attributes(rest: str) -> bool:
    """The next stretch after a cut names the source ("..., officials said")."""
    stretch = re.split(r"[,;:–—]", rest, maxsplit=1)[0]
    return any(w.strip("\"'“”‘’").lower() in _SPEAKER_VERBS for w in stretch.split())
