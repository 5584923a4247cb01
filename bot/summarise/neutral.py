"""Loaded-language detection and repair: the project's own lexicon plus pattern rules.

How it is used (see docs/NEUTRALITY.md): every candidate sentence gets a `Loadedness`
score; the extractive summariser prefers low scores, tries `repair_sentence` on the ones it
wants (dropping intensifiers, loaded attributive adjectives, sarcastic qualifiers, scare
quotes and loaded asides between dashes or brackets), and never shows a sentence whose
repaired form still carries a strong marker (name-calling, exclamation, rhetorical question).
Repairs only ever delete words or quote marks: nothing is added, so no fact is invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Name-calling and contemptuous labels for people or groups (strong: never shown unquoted).
NAME_CALLING = """
coward thug traitor idiot moron lunatic maniac crook liar clown scumbag lowlife savage honcho
goon stooge puppet crony cronies lackey henchman henchmen zealot fanatic bigot fascist commie
snowflake libtard globalist warmonger demagogue tyrant despot shill parasite vermin
monster cretin imbecile loser nutjob nutcase crackpot charlatan swindler fraudster hypocrite
mobster hoodlum hooligan villain buffoon dimwit halfwit scoundrel gangster
""".split()

# Loaded adjectives and adverbs: emotional judgement presented as description.
LOADED_ADJECTIVES = """
disgraceful shameful outrageous horrific horrendous horrible terrible awful brutal barbaric
evil vile despicable heinous wicked sinister insane crazy ridiculous absurd ludicrous
pathetic stupid dumb idiotic shocking stunning astonishing unbelievable incredible
devastating catastrophic disastrous draconian tyrannical corrupt crooked rogue radical
extremist hysterical deranged unhinged vicious reckless shameless bogus phony sham
notorious infamous beleaguered embattled hapless dubious nefarious diabolical monstrous
grotesque obscene staggering explosive bombshell blistering scathing fiery furious
outraged stunned disgusting sickening appalling atrocious abhorrent deplorable
treacherous traitorous cowardly spineless gutless pitiful laughable bizarre outlandish
apocalyptic nightmarish murderous bloodthirsty ruthless callous heartless sleazy slimy
dishonest deceitful lying fake hateful racist sexist bigoted xenophobic fanatical
lawless rampant unprecedented alarming terrifying frightening horrifying chilling
massive huge enormous tremendous colossal gigantic whopping jaw-dropping mind-boggling
""".split()

INTENSIFIERS = """
very extremely incredibly utterly totally absolutely truly really deeply hugely wildly
insanely ridiculously blatantly shamelessly clearly obviously undoubtedly literally
simply outright downright thoroughly exceedingly remarkably staggeringly
""".split()

# Verbs and nouns of combat used for words, and slang that mocks ("bailing", "bugging out").
LOADED_VERBS_NOUNS = """
slam slams slammed slamming blast blasts blasted blasting rip rips ripped ripping
torch torched torches bash bashed bashes trash trashed trashes smear smears smeared
eviscerate eviscerated eviscerates skewer skewered skewers lambast lambasted lambasts
lash lashed lashes mock mocked mocks mocking humiliate humiliated humiliating destroy destroyed
destroys annihilate annihilated obliterate obliterated decimate decimated crush crushed
meltdown fiasco debacle disaster catastrophe chaos carnage bloodbath massacre slaughter
nightmare hoax witch-hunt propaganda brainwash brainwashed indoctrinate indoctrinated
bail bailing bailed bails scurry scurrying scamper scampering skedaddle flee-in-terror
invasion invaders horde hordes swarm swarms flood infest infested plague scourge
cabal elites regime lies lying mob rabble
""".split()

# Multi-word sarcasm, mockery and exaggeration markers.
LOADED_PHRASES = [
    "so-called", "so called", "self-styled", "self-proclaimed", "self-titled", "tough guy",
    "of course", "as it turns out", "surprise, surprise", "needless to say", "yeah right",
    "perhaps proving", "bugging out", "bug out", "cut and run", "running scared",
    "hasty retreat", "beating a hasty", "tail between", "with their tails", "fake news",
    "witch hunt", "deep state", "radical left", "radical right", "far-left", "far-right",
    "lamestream", "mainstream media", "sheeple", "useful idiots", "drain the swamp",
    "red-handed", "wake up", "make no mistake", "let that sink in", "you won't believe",
    "the truth is", "the fact is", "it is clear that", "it's clear that", "everyone knows",
    "no one can deny", "nobody can deny", "wreak havoc", "wreaking havoc", "reign of terror",
    "blood on their hands", "blood on his hands", "blood on her hands", "war on",
    "the likes of", "a mere", "just as fast as", "dead on arrival", "in the pocket of",
    "bent over backwards", "stabbed in the back", "sold out", "threw under the bus",
]

# Opinion openers and first/second person outside quotes: the writer speaking, not reporting.
OPINION = re.compile(
    r"\b(?:I|we|us|our|you|your|I'm|we're|let's|we've|you're)\b|"
    r"\b(?:should|must|ought to|needs? to)\b",
)
ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|tells|according to|reported|reports|report(?:ed)? that|"
    r"announced|stated|states|claimed|claims|cites|cited|citing|alleged|alleges|insisted|"
    r"warned|argued|argues|wrote|writes|tweeted|posted|added|explained|noted|confirmed|"
    r"denied|denies|acknowledged|testified|ruled|estimated|described|asserted|accused)\b",
    re.IGNORECASE,
)

_QUOTE_SPAN = re.compile(r"“[^”]*”|\"[^\"]*\"|‘[^’]{1,40}’|(?<!\w)'[^']{1,40}'(?!\w)")
_ALL_CAPS = re.compile(r"\b[A-Z]{5,}\b")


def _term_pattern(words: list[str], plural: bool) -> str:
    alternatives = sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True)
    suffix = r"(?:s|es)?" if plural else ""
    return r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in alternatives) + ")" + suffix + r"\b"


_NAME_CALLING = re.compile(_term_pattern(NAME_CALLING, plural=True), re.IGNORECASE)
_LOADED_WORD = re.compile(
    _term_pattern(LOADED_ADJECTIVES + LOADED_VERBS_NOUNS, plural=False), re.IGNORECASE
)
_INTENSIFIER = re.compile(_term_pattern(INTENSIFIERS, plural=False), re.IGNORECASE)
_PHRASE = re.compile(
    _term_pattern(LOADED_PHRASES, plural=False) + r"|\bsupposed(?!\s+to\b)(?=\s+\w)", re.IGNORECASE
)
_ADJECTIVE_SET = frozenset(LOADED_ADJECTIVES)
_ADJECTIVES = re.compile(_term_pattern(LOADED_ADJECTIVES, plural=False), re.IGNORECASE)
# Words after which a loaded adjective sits in front of a noun and can simply be dropped.
_DETERMINERS = re.compile(
    r"(?:\b(?:the|a|an|this|that|these|those|its|his|her|their|our|some|many|of|and)\s+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Loadedness:
    """How loaded a sentence reads. `strong` markers make a sentence unfit to show."""

    score: float
    strong: bool
    terms: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return self.score == 0


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of quoted passages (the speaker's words, not the writer's)."""
    return [m.span() for m in _QUOTE_SPAN.finditer(text)]


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def is_attributed(sentence: str) -> bool:
    """True when the sentence says who made the claim ("..., the ministry said")."""
    return ATTRIBUTION.search(sentence) is not None


def assess(sentence: str) -> Loadedness:
    """Score the loaded language in one sentence (0 = reads as neutral reporting)."""
    quotes = quoted_spans(sentence)
    attributed = is_attributed(sentence)
    score = 0.0
    strong = False
    terms: list[str] = []

    def hit(match: re.Match[str], weight: float, is_strong: bool) -> None:
        nonlocal score, strong
        quoted = _inside(match.start(), quotes)
        # A loaded word inside an attributed quote is the speaker's; still a cost, smaller.
        score += weight * (0.6 if quoted and attributed else 1.0)
        strong = strong or (is_strong and not (quoted and attributed))
        terms.append(match.group(0))

    for match in _NAME_CALLING.finditer(sentence):
        hit(match, 2.0, True)
    for match in _PHRASE.finditer(sentence):
        hit(match, 1.5, True)
    for match in _LOADED_WORD.finditer(sentence):
        hit(match, 1.0, False)
    for match in _INTENSIFIER.finditer(sentence):
        hit(match, 0.5, False)
    unquoted = _without_quotes(sentence, quotes)
    if "!" in unquoted:
        score += 2.0
        strong = True
        terms.append("!")
    if unquoted.rstrip().endswith("?") or sentence.rstrip(" ”\"'’").endswith("?"):
        score += 2.0
        strong = True
        terms.append("?")
    if OPINION.search(unquoted):
        score += 1.0
        terms.append("opinion")
    if _ALL_CAPS.search(unquoted) and unquoted.upper() != unquoted:
        score += 0.5
        terms.append("caps")
    for scare in _scare_quotes(sentence, attributed):
        score += 1.0
        terms.append(scare)
    if sentence.rstrip().endswith(("…", "...")):
        score += 1.0
        strong = True
        terms.append("…")
    return Loadedness(score=score, strong=strong, terms=tuple(terms))


def _without_quotes(sentence: str, quotes: list[tuple[int, int]]) -> str:
    if not quotes:
        return sentence
    parts, last = [], 0
    for start, end in quotes:
        parts.append(sentence[last:start])
        last = end
    parts.append(sentence[last:])
    return " ".join(parts)


def _scare_quotes(sentence: str, attributed: bool) -> list[str]:
    """Short quoted terms with nobody quoted: the writer holding a word at arm's length."""
    if attributed:
        return []
    found = []
    for start, end in quoted_spans(sentence):
        inner = sentence[start + 1 : end - 1].strip()
        if 0 < len(inner.split()) <= 3 and not inner.endswith((".", ",", "?", "!")):
            found.append(sentence[start:end])
    return found


def repair_sentence(sentence: str) -> str:
    """Delete removable loaded wording outside quotes; the claim and its wording otherwise stay.

    Removes: asides between dashes/brackets that carry loaded words, intensifiers, loaded
    adjectives in front of a noun, sarcastic qualifiers ("so-called", "self-styled",
    "supposed"), and scare quotes around short unattributed terms.
    """
    text = _drop_loaded_asides(sentence)
    text = _unquote_scare_terms(text)
    text = _drop_outside_quotes(text, _INTENSIFIER, require_determiner=False)
    text = _drop_outside_quotes(text, _ADJECTIVES, require_determiner=True)
    text = _drop_outside_quotes(
        text, re.compile(r"\b(?:so-called|self-styled|self-proclaimed|self-titled)\s", re.I),
        require_determiner=False,
    )
    text = re.sub(r"\s{2,}", " ", text)
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    text = re.sub(r"\b(a|A)\s+(?=[aeiouAEIOU])", r"\1n ", text)
    text = re.sub(r"\b(an|An)\s+(?=[b-df-hj-np-tv-zB-DF-HJ-NP-TV-Z])", lambda m: m.group(1)[0], text)
    return text.strip()


_ASIDE = re.compile(r"\s+[–—-]{1,2}\s+[^–—]{3,120}?\s+[–—-]{1,2}(?=\s)|\s*\([^()]{3,120}\)")


def _drop_loaded_asides(text: str) -> str:
    def keep_or_drop(match: re.Match[str]) -> str:
        aside = match.group(0)
        loaded = _NAME_CALLING.search(aside) or _LOADED_WORD.search(aside) or _PHRASE.search(aside)
        return "" if loaded else aside

    return _ASIDE.sub(keep_or_drop, text)


def _unquote_scare_terms(text: str) -> str:
    if is_attributed(text):
        return text
    for scare in _scare_quotes(text, attributed=False):
        text = text.replace(scare, scare[1:-1], 1)
    return text


def _drop_outside_quotes(text: str, pattern: re.Pattern[str], *, require_determiner: bool) -> str:
    quotes = quoted_spans(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        if _inside(match.start(), quotes):
            continue
        if require_determiner:
            following = text[match.end() : match.end() + 2]
            if not _DETERMINERS.search(text[: match.start()]) or not re.match(r"\s\w", following):
                continue
        pieces.append(text[last : match.start()])
        last = match.end()
        # Drop the comma of "a brutal, cold" so no ", ," remains.
        if text[last : last + 1] == ",":
            last += 1
    pieces.append(text[last:])
    return "".join(pieces)


def deload_headline(title: str) -> str:
    """A headline with removable loaded wording and shouting punctuation taken out."""
    text = repair_sentence(title.strip())
    text = re.sub(r"[!]+", "", text).strip()
    text = re.sub(r"\s*(?:\.\.\.|…)$", "", text)
    return text[:1].upper() + text[1:] if text else text
