"""The word lists of loaded-language detection, written for this project (docs/NEUTRALITY.md).

Lists are written as prose and split on white space; the indexes at the end turn them
into the sets and phrase lookups that detection and repair use.
"""

from __future__ import annotations

import re


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
# First person outside quotes: the writer speaking, not reporting.
PERSONAL = frozenset(_words("i me my mine myself we our ours i'm i've i'd we're let's we've we'll"))
# Second person: addressing the reader; informal more than loaded ("your house may be worth").
READER = frozenset(_words("you your yours you're you've you'll"))
# Modal verbs of obligation: opinion unless someone is quoted as saying it.
MODALS = frozenset(_words("should must ought"))
# Sentence openers with which a writer comments instead of reporting.
EDITORIAL_OPENERS = (
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
IMPERATIVE_VERBS = frozenset(
    _words("""
    consider look focus note think ask take keep stop try expect believe trust recall picture
    compare ignore notice face admit understand judge blame thank mark don't do never let
    """)
)
# What follows an imperative verb (and rarely a subject noun such as "Officials at ...").
AFTER_IMPERATIVE = frozenset(
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
SHOUTABLE = frozenset(
    _words(
        "every another never always all nothing everyone nobody none again still ever only more "
        "less not no yes now real really this that they them our your you we must"
    )
)


WORD = re.compile(r"[A-Za-z]+(?:[-'’][A-Za-z]+)*")
NAMES = frozenset(NAME_CALLING)
LOADED = frozenset(LOADED_ADJECTIVES + LOADED_VERBS_NOUNS)  # adjectives: see _KEEP_WHEN_...
# Loaded adjectives that are also nouns ("a militant said") or can state a fact ("a fake
# passport", "a venomous snake"): they count against a sentence but are never deleted.
KEEP_WHEN_REPAIRING = frozenset(
    _words("""
    militant radical extremist savage communist marxist leftist rightist elitist fake corrupt
    racist sexist totalitarian authoritarian dictatorial toxic poisonous venomous rabid sick
    doomed hopeless explosive bombshell rogue lying dishonest crooked lawless murderous
    """)
)
ADJECTIVES = frozenset(LOADED_ADJECTIVES) - KEEP_WHEN_REPAIRING
INTENSIFIER_WORDS = frozenset(INTENSIFIERS)
SARCASTIC_QUALIFIERS = frozenset({"so-called", "self-styled", "self-proclaimed", "self-titled"})
# Phrases that add drama to a plain statement and can go without changing it: "met none
# other than the mayor" -> "met the mayor". A sentence with one is repaired, not dropped.
DROPPABLE_PHRASES = frozenset({"none other than", "the likes of", "as it turns out", "of course"})


def _phrase_index(phrases: list[str]) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    """Phrases keyed by their longest (rarest) word, with that word's place in the phrase."""
    index: dict[str, list[tuple[tuple[str, ...], int]]] = {}
    for phrase in phrases:
        words = tuple(w.lower() for w in WORD.findall(phrase))
        key = max(words, key=len)
        index.setdefault(key, []).append((words, words.index(key)))
    for entries in index.values():
        entries.sort(key=lambda entry: len(entry[0]), reverse=True)  # longest match first
    return index


PHRASE_INDEX = _phrase_index(LOADED_PHRASES)
IDIOM_INDEX = _phrase_index(IDIOMS)
IDIOM_WORDS = frozenset(IDIOM_INDEX)
# Every word that can start a finding, plural forms included.
TRIGGERS = frozenset(
    {*LOADED, *INTENSIFIER_WORDS, "supposed"}
    | set(PHRASE_INDEX)
    | IDIOM_WORDS
    | {form for name in NAMES for form in (name, name + "s", name + "es")}
)
