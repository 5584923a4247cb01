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
from functools import lru_cache

from bot.summarise.subjectivity import SUBJECTIVE_ADJECTIVES


def _words(text: str) -> list[str]:
    """A word list written as prose (keeps long lexicons readable)."""
    return text.split()


# Name-calling and contemptuous labels for people or groups (strong: never shown unquoted).
NAME_CALLING = _words("""
coward thug traitor idiot moron lunatic maniac crook liar clown scumbag lowlife savage honcho
goon stooge puppet crony cronies lackey henchman henchmen zealot fanatic bigot fascist commie
snowflake libtard globalist warmonger demagogue tyrant despot shill parasite vermin
monster cretin imbecile loser nutjob nutcase crackpot charlatan swindler fraudster hypocrite
mobster hoodlum hooligan villain buffoon dimwit halfwit scoundrel gangster psychopath
sociopath pervert degenerate deviant predator grifter crybaby whiner bully bullies sellout
turncoat quisling apologist propagandist ideologue bootlicker sycophant toady pawn dupe
""")

# Loaded adjectives and adverbs: emotional judgement presented as description.
LOADED_ADJECTIVES = _words("""
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
dishonest deceitful lying hateful racist sexist bigoted xenophobic fanatical
lawless rampant unprecedented alarming terrifying frightening horrifying chilling
massive huge enormous tremendous colossal gigantic whopping jaw-dropping mind-boggling
sordid depraved perverted twisted demonic satanic godless immoral filthy scandalous arrogant
smug elitist hypocritical treasonous seditious farcical preposterous idiotic moronic
cataclysmic earth-shattering monumental epic historic-scale fuming seething enraged livid
incensed panicked panicky frantic frenzied hellish horrid dreadful ghastly
gruesome grisly sickening toxic poisonous venomous rabid crazed fanatical zealous
marxist communist leftist rightist totalitarian authoritarian dictatorial
rigged crooked disgraced discredited debunked shoddy sloppy woeful dismal abysmal
insidious creeping lurking menacing ominous dire doomed hopeless desperate worst
surreal tumultuous chaotic brazen eye-watering mind-blowing gobsmacking blood-curdling
hair-raising spine-chilling heart-stopping
chaotically botched bungled disastrously laughably pathetically shamefully
""")

INTENSIFIERS = _words("""
very extremely incredibly utterly totally absolutely truly really deeply hugely wildly
insanely ridiculously blatantly shamelessly clearly obviously undoubtedly literally
simply outright downright thoroughly exceedingly remarkably staggeringly genuinely actually
surely certainly frankly honestly
""")

# Verbs and nouns of combat used for words, and slang that mocks ("bailing", "bugging out").
LOADED_VERBS_NOUNS = _words("""
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
onslaught annihilation obliteration rampage rampaging ravage ravaged ravaging unleash unleashed
smash smashed shatter shattered pound pounded hammer hammered purge purged persecute persecuted
persecution torment tormented tormenting enslave enslaved terrorize terrorized terrorise
terrorised atrocity atrocities crusade lynch lynching infiltrate infiltrated infiltration
overrun swarming doomsday menace hypocrisy sham farce charade travesty disgrace outrage
audacity arrogance treason betrayal betrayed tantrum rant rants ranting screed diatribe tirade
whine whining hogwash baloney nonsense scam grift hullabaloo
kerfuffle shenanigans debacle bloodbath scandal-plagued rubber-stamp rammed ramming agitator
agitators hangers-on jaunt jaunts stung fleeced fleecing gouge gouging pocketed squandered
vendetta desperation panic unleashing shame shameful entourage
splurge splurged freeloader freeloaders handout handouts
massage massaged massaging doctored fudged fudging whitewash whitewashed cover-up
fury firestorm furore furor frenzy tailspin savaged savaging
""")

# Multi-word sarcasm, mockery and exaggeration markers.
LOADED_PHRASES = [
    "so-called",
    "so called",
    "self-styled",
    "self-proclaimed",
    "self-titled",
    "tough guy",
    "of course",
    "as it turns out",
    "surprise, surprise",
    "needless to say",
    "yeah right",
    "perhaps proving",
    "bugging out",
    "bug out",
    "cut and run",
    "running scared",
    "hasty retreat",
    "beating a hasty",
    "tail between",
    "with their tails",
    "fake news",
    "witch hunt",
    "deep state",
    "radical left",
    "radical right",
    "far-left",
    "far-right",
    "lamestream",
    "mainstream media",
    "sheeple",
    "useful idiots",
    "drain the swamp",
    "red-handed",
    "wake up",
    "make no mistake",
    "let that sink in",
    "you won't believe",
    "the truth is",
    "the fact is",
    "it is clear that",
    "it's clear that",
    "everyone knows",
    "no one can deny",
    "nobody can deny",
    "wreak havoc",
    "wreaking havoc",
    "reign of terror",
    "blood on their hands",
    "blood on his hands",
    "blood on her hands",
    "war on",
    "the likes of",
    "a mere",
    "just as fast as",
    "dead on arrival",
    "in the pocket of",
    "bent over backwards",
    "stabbed in the back",
    "sold out",
    "threw under the bus",
    "time bomb",
    "ticking time bomb",
    "existential threat",
    "worst ever",
    "of all time",
    "last straw",
    "the libs",
    "the dems",
    "open borders",
    "death spiral",
    "police state",
    "nanny state",
    "banana republic",
    "daylight robbery",
    "licking their lips",
    "rammed through",
    "ram through",
    "with any sense",
    "any common sense",
    "none other than",
    "big tech",
    "big pharma",
    "the feds",
    "it is time",
    "it's time",
    "high time",
    "mark my words",
    "money pit",
    "gravy train",
    "snouts in the trough",
    "snake oil",
    "smoking gun",
    "sham trial",
    "kangaroo court",
    # Headline drama: a reaction presented as the news itself.
    "strikes fear",
    "strike fear",
    "struck fear",
    "striking fear",
    "sends shockwaves",
    "send shockwaves",
    "sent shockwaves",
    "sending shockwaves",
    "sends shock waves",
    "sent shock waves",
    "sends chills",
    "sent chills",
    "sends shivers",
    "sent shivers",
    "sparks outrage",
    "spark outrage",
    "sparked outrage",
    "sparking outrage",
    "sparks fury",
    "sparked fury",
    "hits out at",
    "hit out at",
    "hitting out at",
    "tears into",
    "tore into",
    "laid into",
    "lays into",
    "goes nuclear",
    "went nuclear",
    "all hell broke loose",
    "heads will roll",
    "feeding frenzy",
    "war of words",
    # Sneers: the writer's verdict slipped into a report.
    "so much for",
    "how convenient",
    "of all people",
    "to put it mildly",
    "believe it or not",
    "go figure",
    "what a joke",
    "yet another",
]

# Figurative stock phrases (general English idioms and clichés, written for the project):
# colour that frames rather than reports. They cost like a loaded word; they are not strong
# markers because a reporter may use one in a plain sentence.
IDIOMS = [
    "tip of the iceberg",
    "slap in the face",
    "drop in the ocean",
    "drop in the bucket",
    "open the floodgates",
    "opened the floodgates",
    "can of worms",
    "add insult to injury",
    "double-edged sword",
    "elephant in the room",
    "jump on the bandwagon",
    "jumped on the bandwagon",
    "move the goalposts",
    "moving the goalposts",
    "perfect storm",
    "under the rug",
    "under the carpet",
    "fuel to the fire",
    "fuel on the fire",
    "house of cards",
    "writing on the wall",
    "slippery slope",
    "recipe for disaster",
    "turn a blind eye",
    "turned a blind eye",
    "turning a blind eye",
    "nail in the coffin",
    "play with fire",
    "playing with fire",
    "rubbed salt",
    "salt in the wound",
    "salt into the wound",
    "back to square one",
    "bite the hand",
    "poisoned chalice",
    "thin end of the wedge",
    "trojan horse",
    "sacrificial lamb",
    "cherry-picked",
    "cherry-picking",
    "dog whistle",
    "red meat",
    "smoke and mirrors",
    "pie in the sky",
    "lipstick on a pig",
    "circle the wagons",
    "circling the wagons",
    "knee-jerk",
    "scorched earth",
    "iron fist",
    "iron grip",
    "stranglehold",
    "powder keg",
]
W_EXAGGERATION = 1.0
W_HYPOTHETICAL = 1.0
# A superlative stretched to all time ("the worst ... in history"): exaggeration.
_SUPERLATIVE_ALL_TIME = re.compile(
    r"\b(?:\w+est|most \w+|worst|best|biggest)\b[^.;:]{0,60}?\b(?:in (?:\w+ )?history|"
    r"ever|of all time|in living memory|the world has ever)\b",
    re.IGNORECASE,
)
_ALL_TIME_WORDS = frozenset({"history", "ever", "all", "living"})
# "Never before has a council ...": emphatic inversion, the writer's superlative.
_NEVER_INVERSION = re.compile(
    r"^\W*(?:but |and |yet )?never\b[^.]{0,40}?\b(?:has|have|had|did|was|were)\s+"
    r"(?:there|a|an|the|any|anyone|anybody|so|such)\b",
    re.IGNORECASE,
)
# "If X were to ..., even Y could ...": a hypothetical the writer argues from.
_HYPOTHETICAL = re.compile(r"^\W*if\b[^.]{3,160}?\b(?:would|could|might)\b", re.IGNORECASE)
# First person outside quotes: the writer speaking, not reporting.
_PERSONAL = frozenset(
    _words("i me my mine myself we our ours i'm i've i'd we're let's we've we'll")
)
# Second person: addressing the reader; informal more than loaded ("your house may be worth").
_READER = frozenset(_words("you your yours you're you've you'll"))
_LOWER_US = re.compile(r"\bus\b")  # "told us"; "US" is a country
# Modal verbs of obligation: opinion unless someone is quoted as saying it.
_MODALS = frozenset(_words("should must ought"))
# Sentence openers with which a writer comments instead of reporting.
_EDITORIAL_OPENERS = (
    "perhaps",
    "no wonder",
    "as expected",
    "of course",
    "surely",
    "clearly",
    "obviously",
    "apparently",
    "sadly",
    "unfortunately",
    "thankfully",
    "fortunately",
    "interestingly",
    "ironically",
    "predictably",
    "needless",
    "forget ",
    "imagine",
    "remember,",
    "let's",
    "except",
    "yes,",
    "no,",
    "well,",
    "so,",
    "indeed",
    "naturally",
    "worse,",
    "even worse",
    "funny",
    "amazingly",
    "shockingly",
    "tellingly",
    "curiously",
    "coincidentally",
    "conveniently",
    "unsurprisingly",
    "astonishingly",
    "laughably",
    "mercifully",
    "alas",
)
# Verbs a writer uses to address the reader in the imperative ("Focus instead on ...",
# "Consider the ..."): commentary, not report, when they open a sentence outside quotes.
# "Watch", "see", "read" and "listen" point to the page's media ("Watch the video: ..."),
# which is furniture, not the writer's opinion.
_IMPERATIVE_VERBS = frozenset(
    _words("""
    consider look focus note think ask take keep stop try expect believe trust recall picture
    compare ignore notice face admit understand judge blame thank mark don't do never let
    """)
)
# What follows an imperative verb (and rarely a subject noun such as "Officials at ...").
_AFTER_IMPERATIVE = frozenset(
    _words("""
    the a an this that these those what how why who whether it its your you yourself them him
    her his their our instead again back out up about at on for to no not just only carefully
    """)
)
# Verbs and phrases that say who made a claim.
ATTRIBUTION_WORDS = frozenset(
    _words("""
    said says say told tells according reported reports announced stated states claimed
    claims cites cited citing alleged alleges insisted warned argued argues wrote writes
    tweeted posted added explained noted confirmed denied denies acknowledged testified
    ruled estimated described asserted accused asked urged
    """)
)
# Single quotes close only where the mark is not an apostrophe ("it’s", "don't").
_QUOTE_SPAN = re.compile(
    r"“[^”]*”|\"[^\"]*\"|‘[^‘]*?’(?![A-Za-z])|(?<![\w'])'(?=\w)[^']*?(?<=[\w.,!?])'(?![A-Za-z])"
)
# Without these, no quotation can open (apostrophes alone never do): skip the regex.
_OPENERS = ("“", "”", '"', "‘", " '")
_CLOSING = ("”", "’", "'")
# A sentence ending "...experience.’" with no opening mark: the tail of a quotation.
_UNPAIRED_CLOSE = re.compile(r"^[^‘“]*[.,!?]['’]\s*$")
_QUOTE_CHARS = frozenset("\"“”‘’'")
# Capitals for emphasis: a common word in capitals, or two capitalised words in a row.
_SHOUTED = re.compile(r"\b[A-Z]{3,}\s+[A-Z]{3,}\b|\b[A-Z]{2,}\b")
_SHOUTABLE = frozenset(
    _words(
        "every another never always all nothing everyone nobody none again still ever only more "
        "less not no yes now real really this that they them our your you we must"
    )
)


_WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")
_NAMES = frozenset(NAME_CALLING)
_LOADED = frozenset(LOADED_ADJECTIVES + LOADED_VERBS_NOUNS)  # adjectives: see _KEEP_WHEN_...
# Loaded adjectives that are also nouns ("a militant said") or can state a fact ("a fake
# passport", "a venomous snake"): they count against a sentence but are never deleted.
_KEEP_WHEN_REPAIRING = frozenset(
    _words("""
    militant radical extremist savage communist marxist leftist rightist elitist fake corrupt
    racist sexist totalitarian authoritarian dictatorial toxic poisonous venomous rabid sick
    doomed hopeless explosive bombshell rogue lying dishonest crooked lawless murderous
    """)
)
_ADJECTIVES = frozenset(LOADED_ADJECTIVES) - _KEEP_WHEN_REPAIRING
_INTENSIFIERS = frozenset(INTENSIFIERS)
_SARCASTIC_QUALIFIERS = frozenset({"so-called", "self-styled", "self-proclaimed", "self-titled"})
# Phrases that add drama to a plain statement and can go without changing it: "met none
# other than the mayor" -> "met the mayor". A sentence with one is repaired, not dropped.
_DROPPABLE_PHRASES = frozenset({"none other than", "the likes of", "as it turns out", "of course"})


def _phrase_index(phrases: list[str]) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """Phrases keyed by their longest (rarest) word, with that word's place in the phrase."""
    index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for phrase in phrases:
        words = tuple(w.lower() for w in _WORD.findall(phrase))
        key = max(words, key=len)
        index.setdefault(key, []).append((words, words.index(key)))
    for entries in index.values():
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)  # longest match first
    return index


_PHRASES = _phrase_index(LOADED_PHRASES)
_IDIOMS = _phrase_index(IDIOMS)
_IDIOM_WORDS = frozenset(_IDIOMS)
# Every word that can start a finding, plural forms included.
_TRIGGERS = frozenset(
    {*_LOADED, *_INTENSIFIERS, "supposed"}
    | set(_PHRASES)
    | _IDIOM_WORDS
    | {form for name in _NAMES for form in (name, name + "s", name + "es")}
)
# Words after which a loaded adjective sits in front of a noun and can simply be dropped.
_DETERMINERS = re.compile(
    r"(?:\b(?:the|a|an|this|that|these|those|its|his|her|their|our|some|many|of|and)\s+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Term:
    """One loaded word or phrase found in a text, with its character range."""

    start: int
    end: int
    text: str
    kind: str  # "name" | "phrase" | "idiom" | "loaded" | "adjective" | "intensifier"


def _singular(word: str) -> str:
    if word.endswith("es") and word[:-2] in _NAMES:
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def find_terms(text: str) -> list[Term]:
    """Loaded words and phrases in `text` (word lookups in sets: fast on long articles)."""
    lower = text.lower().replace("’", "'")
    words = _WORD.findall(lower)
    hits = [i for i, word in enumerate(words) if word in _TRIGGERS]
    if not hits:
        return []  # the common case
    spans = [m.span() for m in _WORD.finditer(lower)]
    found: list[Term] = []
    taken = -1  # last word index inside a phrase already found
    for i in hits:
        if i <= taken:
            continue
        first, last = _phrase_around(words, i)
        kind = "phrase"
        if last < 0 and words[i] in _IDIOM_WORDS:
            first, last = _indexed_phrase(_IDIOMS, words, i)
            kind = "idiom"
        if last >= 0 and first > taken:
            start, end = spans[first][0], spans[last][1]
            found.append(Term(start, end, text[start:end], kind))
            taken = last
            continue
        kind = _word_kind(words[i])
        if kind:
            start, end = spans[i]
            found.append(Term(start, end, text[start:end], kind))
    return found


def _phrase_around(words: list[str], i: int) -> tuple[int, int]:
    """First and last word index of a loaded phrase built around word `i`, or (-1, -1)."""
    word = words[i]
    if word == "supposed":
        # "supposed tough guy" mocks; "was supposed to" is plain English.
        following = words[i + 1] if i + 1 < len(words) else "to"
        return (-1, -1) if following == "to" else (i, i)
    return _indexed_phrase(_PHRASES, words, i)


def _indexed_phrase(
    index: dict[str, list[tuple[tuple[str, ...], int]]], words: list[str], i: int
) -> tuple[int, int]:
    for phrase, offset in index.get(words[i], ()):
        first = i - offset
        if first >= 0 and tuple(words[first : first + len(phrase)]) == phrase:
            return first, first + len(phrase) - 1
    return -1, -1


def _word_kind(word: str) -> str:
    if word in _NAMES or _singular(word) in _NAMES:
        return "name"
    if word in _ADJECTIVES:
        return "adjective"
    if word in _LOADED:
        return "loaded"
    if word in _INTENSIFIERS:
        return "intensifier"
    return ""


_WEIGHTS = {
    "name": 2.0,
    "phrase": 1.5,
    "idiom": 1.0,
    "adjective": 1.0,
    "loaded": 1.0,
    "intensifier": 0.5,
}
_STRONG = frozenset({"name", "phrase"})


@dataclass(frozen=True)
class Loadedness:
    """How loaded a sentence reads. `strong` markers make a sentence unfit to show."""

    score: float
    strong: bool
    terms: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return self.score == 0


def commentary_share(sentences: list[str]) -> float:
    """Share of sentences with a strong marker (name-calling, "!", rhetorical questions...).

    News reports, even sensational ones, have few; commentary and propaganda many. Only
    sentences that a cheap word-set test flags get the full assessment.
    """
    if not sentences:
        return 0.0
    strong = 0
    for sentence in sentences:
        lower = sentence.lower()
        suspicious = (
            "!" in sentence
            or "?" in sentence
            or lower.lstrip("\"“‘'(").startswith(_EDITORIAL_OPENERS)
            or not _TRIGGERS.isdisjoint(_WORD.findall(lower.replace("’", "'")))
            or _SHOUTED.search(sentence) is not None
        )
        if suspicious and assess(sentence).strong:
            strong += 1
    return strong / len(sentences)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of quoted passages (the speaker's words, not the writer's)."""
    if not any(mark in text for mark in _OPENERS) and not text.rstrip().endswith(_CLOSING):
        return []
    spans = [m.span() for m in _QUOTE_SPAN.finditer(text)]
    # A quotation running over several sentences: this one opens or closes it unpaired.
    covered = "".join(text[a:b] for a, b in spans)
    rest = text.replace(covered, "") if covered else text
    if rest.count("“") > rest.count("”"):
        spans.append((text.rindex("“"), len(text)))
    elif rest.count("”") > rest.count("“") or _UNPAIRED_CLOSE.search(text):
        end = max(text.rfind("”"), text.rfind("’"), text.rfind("'")) + 1
        if not spans or spans[0][0] > 0:
            spans.insert(0, (0, end))
    return spans


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def is_attributed(sentence: str) -> bool:
    """True when the sentence says who made the claim ("..., the ministry said")."""
    return not ATTRIBUTION_WORDS.isdisjoint(_WORD.findall(sentence.lower()))


@lru_cache(maxsize=8192)  # the same sentence is judged for several purposes in one story
def assess(sentence: str) -> Loadedness:
    """Score the loaded language in one sentence (0 = reads as neutral reporting)."""
    words = set(_WORD.findall(sentence.lower().replace("’", "'")))
    attributed = not ATTRIBUTION_WORDS.isdisjoint(words)
    quotes = quoted_spans(sentence) if _QUOTE_CHARS.intersection(sentence) else []
    score = 0.0
    strong = False
    terms: list[str] = []

    for term in find_terms(sentence):
        quoted = _inside(term.start, quotes)
        # A loaded word inside an attributed quote is the speaker's; still a cost, smaller.
        score += _WEIGHTS[term.kind] * (0.6 if quoted and attributed else 1.0)
        strong = strong or (term.kind in _STRONG and not (quoted and attributed))
        terms.append(term.text)
    unquoted = _without_quotes(sentence, quotes)
    own_words = set(_WORD.findall(unquoted.lower().replace("’", "'"))) if quotes else words
    if sentence.lower().lstrip("\"“‘'(").startswith(_EDITORIAL_OPENERS):
        score += 1.5
        strong = True
        terms.append("editorial opener")
    if not attributed and _ALL_TIME_WORDS & own_words and _SUPERLATIVE_ALL_TIME.search(unquoted):
        score += W_EXAGGERATION
        terms.append("superlative")
    if not attributed and "never" in own_words and _NEVER_INVERSION.search(unquoted):
        score += W_EXAGGERATION
        terms.append("never before")
    if not attributed and _HYPOTHETICAL.search(unquoted):
        score += W_HYPOTHETICAL
        terms.append("hypothetical")
    if _imperative_to_reader(sentence):
        score += 1.5
        strong = True
        terms.append("imperative")
    if "!" in unquoted:
        score += 2.0
        strong = True
        terms.append("!")
    if unquoted.rstrip().endswith("?") or sentence.rstrip(" ”\"'’").endswith("?"):
        score += 2.0
        strong = True
        terms.append("?")
    if (
        not _PERSONAL.isdisjoint(own_words)
        or _LOWER_US.search(unquoted)
        or (not attributed and not _MODALS.isdisjoint(own_words))
    ):
        score += 1.0
        terms.append("opinion")
    elif not _READER.isdisjoint(own_words):
        score += 0.5
        terms.append("you")
    if not unquoted.isupper():
        for match in _SHOUTED.finditer(unquoted):
            shouted = match.group(0)
            if " " in shouted or shouted.lower() in _SHOUTABLE:
                score += 1.5
                strong = True
                terms.append(shouted)
    for scare in _scare_quotes(sentence, attributed, quotes):
        score += 1.0
        terms.append(scare)
    if sentence.rstrip().endswith(("…", "...")):
        score += 1.0
        strong = True
        terms.append("…")
    return Loadedness(score=score, strong=strong, terms=tuple(terms))


def _imperative_to_reader(sentence: str) -> bool:
    """ "Focus instead on the photos ...": the writer telling the reader what to think."""
    words = _WORD.findall(sentence[:60].lower().replace("’", "'"))
    if len(words) < 3 or sentence.lstrip()[:1] in _QUOTE_CHARS:
        return False
    return words[0] in _IMPERATIVE_VERBS and words[1] in _AFTER_IMPERATIVE


def _without_quotes(sentence: str, quotes: list[tuple[int, int]]) -> str:
    if not quotes:
        return sentence
    parts, last = [], 0
    for start, end in quotes:
        parts.append(sentence[last:start])
        last = end
    parts.append(sentence[last:])
    return " ".join(parts)


def _scare_quotes(
    sentence: str, attributed: bool, quotes: list[tuple[int, int]] | None = None
) -> list[str]:
    """Short quoted terms with nobody quoted: the writer holding a word at arm's length."""
    if attributed:
        return []
    found = []
    for start, end in quoted_spans(sentence) if quotes is None else quotes:
        inner = sentence[start + 1 : end - 1].strip()
        if _could_be_scare_quote(sentence, start, inner):
            found.append(sentence[start:end])
    return found


# Words after which quotation marks name something: a title, a nickname, a term.
_NAMING_BEFORE = re.compile(
    r"\b(?:called|dubbed|named|nicknamed|titled|entitled|labell?ed|termed|branded|known as|"
    r"described as|the words?|the phrase|the term|the slogan|the motto|the hashtag|"
    r"said|says|wrote|writes|tweeted|told|asked|added)\s*[,:]?\s*$",
    re.IGNORECASE,
)


def _could_be_scare_quote(sentence: str, start: int, inner: str) -> bool:
    """1-3 quoted lower-case words nobody is said to have said: the writer's distance.

    Quoted capitalised words are titles, names and nicknames ("the film “Dark Water”",
    “Mad Dog” Mattis), and a quoted term after "called" or "dubbed" is what someone named
    it: their marks stay and they cost nothing.
    """
    words = inner.split()
    if not 0 < len(words) <= 3:
        return False
    if any(word[:1].isupper() for word in words):
        return False
    return _NAMING_BEFORE.search(sentence[max(0, start - 40) : start]) is None


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
        if _could_be_scare_quote(original, start, inner) and inner in repaired:
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
    for scare in _scare_quotes(text, attributed=False):
        text = text.replace(scare, scare[1:-1], 1)
    return text


def _drop_removable_terms(text: str) -> str:
    """Delete intensifiers, sarcastic qualifiers and attributive loaded adjectives."""
    quotes = quoted_spans(text)
    pieces, last = [], 0
    for term in find_terms(text):
        if _inside(term.start, quotes) or term.start < last:
            continue
        lowered = " ".join(term.text.lower().split())
        removable = (
            term.kind == "intensifier"
            or lowered in _SARCASTIC_QUALIFIERS
            or lowered in _DROPPABLE_PHRASES
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


def evaluative_words(text: str) -> list[str]:
    """The writer's own evaluative adjectives ("stunning", "pathetic") by the published
    lexicons (subjectivity.py), quotations left out."""
    quotes = quoted_spans(text) if _QUOTE_CHARS.intersection(text) else []
    own = _without_quotes(text, quotes).lower()
    return [w for w in _WORD.findall(own) if w in SUBJECTIVE_ADJECTIVES and w not in _LOADED]


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
