"""How loaded a headline's wording reads, by general resources rather than a tuned word list.

A headline is cheap to replace (another outlet's title, or a clause of the summary's neutral
lead sentence), so it is judged broadly: besides the project's lexicon (`neutral`), every
evaluative word of two published sentiment lexicons counts, and so do intensifiers,
superlatives, short quotations (scare quotes, in any case: titles capitalise every word),
and loaded wording inside quotation marks at a reduced weight (a headline that repeats a
speaker's loaded words still shows them). `wording_score` scores any headline text, the
outlet's title or the clause that would replace it, on one scale; `headline.title_score`
adds what only a title has (capitals, exclamation, the writer's voice, framing words the
article never uses).

The evaluative words (derived data; no code copied, nothing downloaded at run time) are
`subjectivity.SUBJECTIVE_ADJECTIVES` plus every word that either published resource
judges strongly evaluative:
- VADER (vaderSentiment 3.3.2, `vader_lexicon.txt`, MIT licence, Copyright (c) 2016
  C.J. Hutto): mean valence |v| >= 2.0, for words Brill's tagger lexicon in TextBlob 0.20.1
  (`en-lexicon.txt`, MIT) tags first as an adjective or adverb (nouns and verbs such as
  "killed" or "attack" state events);
- Pattern's subjectivity lexicon as shipped in TextBlob 0.20.1 (`en-sentiment.xml`, PDDL):
  adjectives whose senses average subjectivity 1.0 and |polarity| >= 0.3;
less a few words that state facts in news use ("own", "confirmed", "guilty", "fake",
"deadly", "famous"; see `subjectivity.py` for the licence notices). The thresholds were
chosen on evaluation folds 0-2 only (docs/NEUTRALITY.md, section 7).
"""

from __future__ import annotations

import re
from itertools import pairwise

from bot.summarise import neutral
from bot.summarise.subjectivity import SUBJECTIVE_ADJECTIVES


def _words(text: str) -> list[str]:
    """A word list written as prose (keeps long lexicons readable)."""
    return text.split()


EVALUATIVE_WORDS = SUBJECTIVE_ADJECTIVES | frozenset(
    _words("""
    absurd abusive admirable admirably admiringly affable affectionately agitative agonizing
    airheaded alarmingly alas ambitious amusedly angriest appalled appallingly apt arrogant
    artificial artistic ashamed assumptive astonishing astoundingly atrocious attractively
    awkward bad badly beauteous beautifully belittled beneficially benevolent benignant best
    bewitching bitchy bitterest bitterly bleak blech blissful bored boring bravely braver
    bravest brightest brilliantly brutally captivating challenging chaotic charismatic
    charmingly cheerful cheerfully cheesy clever cleverly comfortable comical compassionate
    confidently consummate contemptuous contemptuously coriaceous courageous courageously creepy
    crestfallen criminal crude crudest cruelest cruelly cushy cuter cutest dainty damaging
    dangerously darkest dazzling dearest degrading delectable delectably delightfully depressed
    depressingly despairing despairingly desperate despondent destructive devastatingly devilish
    dim-witted dire dirtiest disappointing disgusted dishonest dismal dismaying distressful
    distressingly disturbingly divinely dreadfully dumb dumbest ecstatic ecstatically egoistic
    elaborate elated encouragingly enlightened enterprising enthusiastically euphoric
    exaggerated excellently exceptional excitedly exciting excruciating exotic expressive
    exquisite extraordinary exuberant fabulous faint fantastic far-out faultlessly fav favorable
    fearfully feeble felicitous festive filthy fine-looking flawed forcible fraudulent freakish
    friendlier frighteningly frightful frigid frustrated frustratingly funniest generous gently
    gifted glamorous gleeful glorious gloriously glum goddam goody-goody goofy gorgeously gory
    graceful gracefully gracious graciously grandest gratefully gratifying gratifyingly greedier
    gripping grotesque grudging gruesome handsomer handsomest hapless happier happiest happily
    harassed harmonious harsher harshest hateful heartbreaking heartfelt heartless helpfully
    heroically honestly honorably hopeful hopeless hopelessly horrendous horribly horrid
    horrifyingly humiliatingly hypocritical hysterical illegal imbecile immoral impossible
    impressed impressively inapposite incompetent inconvenient infamous infuriating ingenious
    insipid inspirationally intelligently inventive invincible irate irrelevant irritable
    irritating jealous jealously jolly joyful joyfully joyless joyous joyously jubilant kinder
    kindly laughable laughingly legendary libelous light-hearted liveliest livid lmao loneliest
    loser lousy lovable lovingly loyal luckiest luckily lunatic maddening magical magnificently
    malevolent masterful meager mediocre memorable menacing merciless meritorious merriest
    merrily mind-boggling miserably moron morons murderous naive nastier nastiest neat needless
    nerve-racking nicest nostalgic numb obnoxious obscene obsessed offensive offensively
    oppressed optimistically outraged over-the-top overjoyed overwhelming painfully panicked
    passionate passionately peaceful peacefully peacekeeping perfectly perversely petrified
    pitilessly pleasantly pleased pleasing pleasurable poisonous polluted poorest positively
    powerful praiseworthy prejudicial prettier prettiest pretty priceless prominent prosperous
    prouder proudest proudly psychotic punitive questionable racist radiant rancid rancorous
    raunchy refreshing regrettable regrettably remarkable remorseless repellent resentful
    respectful retard retards richest ridiculous riveting rotten rudely ruinous ruthless
    saddened sadder safely satisfied savagely scandalous scathing screwed scrumptious
    self-confident severely shameful shattered sincerely sincerest sinful smarter smartest
    smilingly sorrowful sorry spirited splendidly sprightly stereotypical stressful striking
    strong stupidest stupidity stupidly stylish suave successfully suicidal sunnier supportive
    supremely sweetly tedious terribly terrific terrorist terroristic thankful thoughtless
    threateningly thrilling tiresome top-notch totalitarian tragic tragically traumatic
    treasonous tremendous triumphant triumphantly troublesome troubling trustworthy truthful
    twisted uglier unacceptable unappetizing uncommon unethical unforgettable ungrateful
    unhappiest unhealthy uninspired uninvolved unique unjust unlovable unlovely unprofessional
    unrealistic unsalted unworthy vexing vibrant vile villainous violently virtuoso virtuous
    virulent visionary vitriolic wacky weakest wealthier wealthiest weird wickedly wisest witty
    woebegone wonderfully worriedly worse worthy wrathful wtf yaaawwnnnn yummy
    """)
)

# Weights on one scale; a title scoring `LOADED_TITLE` or more is replaced (folds 0-2).
W_WORDING = 1.0  # the project lexicon's loaded wording outside quotation marks
W_EVALUATIVE = 0.5  # each evaluative word of the published lexicons outside quotation marks
W_INTENSIFIER = 0.5  # "very", "literally", "utterly"; "most"/"least" before an evaluative word
W_SHORT_QUOTE = 0.5  # each quotation of one to three words: a scare quote or a snippet
W_QUOTED = 0.5  # each loaded signal inside quotation marks: the headline still shows it
W_EXCLAIM = 1.5
LOADED_TITLE = 1.5
SHORT_QUOTE_WORDS = 3
_FORMS = frozenset({"?", "opinion", "you", "imperative"})
_INTENSIFIERS = frozenset(neutral.INTENSIFIERS)
_QUOTE_MARKS = tuple("\"'“”‘’")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_SHOUTED = re.compile(r"\b[A-Z]{3,}\b")


def wording_score(text: str) -> float:
    """How loaded the words of a headline read (0 = none of the signals).

    The same scale serves the outlet's title and the summary clause that would replace it,
    so a replacement is made only when it reads less loaded than the title.
    """
    quotes = neutral.quoted_spans(text)
    own = neutral.without_quotes(text, quotes)
    words = _lower_words(own)
    score = W_WORDING * bool(_wording_terms(text, quotes))
    score += W_EVALUATIVE * sum(1 for w in words if w in EVALUATIVE_WORDS)
    score += W_INTENSIFIER * _intensifiers(words)
    score += W_EXCLAIM * ("!" in own)
    quoted = [text[a:b] for a, b in quotes]
    score += W_SHORT_QUOTE * sum(1 for q in quoted if _short(q))
    score += W_QUOTED * sum(_quoted_signals(q) for q in quoted)
    return score


def _short(quote: str) -> bool:
    return 1 <= len(_WORD.findall(quote)) <= SHORT_QUOTE_WORDS


def evaluative_words(text: str) -> list[str]:
    """The evaluative words of the published lexicons in `text`, quotations left out."""
    own = neutral.without_quotes(text, neutral.quoted_spans(text))
    return [w for w in _lower_words(own) if w in EVALUATIVE_WORDS]


def _lower_words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def _wording_terms(text: str, quotes: list[tuple[int, int]]) -> list[str]:
    """The project lexicon's loaded terms outside quotation marks, and its scare quotes."""
    quoted = [text[a:b] for a, b in quotes]
    terms = [t for t in neutral.assess(text).terms if t not in _FORMS]
    return [t for t in terms if t[:1] in _QUOTE_MARKS or not any(t in q for q in quoted)]


def _intensifiers(words: list[str]) -> int:
    """Intensifiers, and "most"/"least" making a superlative of an evaluative word."""
    count = sum(1 for w in words if w in _INTENSIFIERS)
    return count + sum(
        1 for a, b in pairwise(words) if a in ("most", "least") and b in EVALUATIVE_WORDS
    )


def _quoted_signals(quote: str) -> int:
    """Loaded terms, evaluative words, '!' and capitals inside one quotation."""
    terms = [
        t for t in neutral.assess(quote).terms if t not in _FORMS and t[:1] not in _QUOTE_MARKS
    ]
    evaluative = sum(1 for w in _lower_words(quote) if w in EVALUATIVE_WORDS)
    shouted = quote.upper() != quote and bool(_SHOUTED.search(quote))
    return len(terms) + evaluative + ("!" in quote) + shouted
