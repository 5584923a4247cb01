"""Page furniture: the parts of a feed entry that are not its content.

Feeds carry more than the article: podcast show notes open with sponsor reads and promo
codes and end with privacy and subscription lines; blogs post link lists ("Links for ...");
pages leave captions, image credits, polls and pasted logs in the text. None of it may
become a summary sentence, a headline or a reason to group two articles, so the clustering,
the summariser and the headline choice all ask this module what is content.

Checks are plain patterns on one sentence (cheap, and the same on every kind of feed); a
whole entry is furniture when its title says it is a link list.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.models import NOTHING_TO_QUOTE as NOTHING_TO_QUOTE  # the note for furniture only
from bot.summarise.sentences import split_sentences

# Sponsor reads and promotions, in any position of a sentence (compared lower-case).
_SPONSOR = re.compile(
    r"\bsponsored by\b|\bbrought to you by\b|\bthanks to (?:our|this week's) sponsors?\b"
    r"|\b(?:promo|offer|discount|coupon) code\b|\buse (?:the )?code\b|\bcode \w+ (?:for|at)\b"
    r"|\b\d{1,3} ?% off\b|\bfree trial\b|\bour sponsors?\b|\bpartner content\b"
    r"|\bthis (?:episode|show|post|article) is (?:sponsored|supported|presented)\b"
)
# Privacy, membership and subscription boilerplate.
_BOILERPLATE = re.compile(
    r"\bprivacy (?:information|policy|notice)\b|\bcookies? (?:policy|settings|preferences)\b"
    r"|\buses cookies\b|\bsubscribe\b|\bsign up\b"
    r"|\bnewsletter\b|\bbecome a (?:member|patron|supporter)\b|\bsupport the show\b"
    r"|\bad-free\b|\ball rights reserved\b|\bterms of (?:use|service)\b|\bfollow us\b"
    r"|\blisten (?:on|to us on)\b|\bavailable (?:on|wherever)\b.*\bpodcasts?\b"
    r"|\brate and review\b|\bleave (?:us )?a review\b|\bjoin (?:us|the club) (?:at|on)\b"
    r"|\bclick here\b|\bread more\b|\bcontinue reading\b|\bthe post .+ appeared first on\b"
    r"|\b(?:completing|take|taking|answer|answering) (?:this|our|the) (?:poll|survey|quiz)\b"
    r"|\bupdates (?:free of charge|for free)\b|\byou (?:may|can) (?:opt out|unsubscribe)\b"
)
# Lines that label what follows or describe a picture: captions, credits, polls, link lists.
_LABEL_START = re.compile(
    r"^[\[(]?(?:photo|photos|image|images|picture|pictured|caption|credit|image credit"
    r"|photo credit|video|watch|listen|advertisement|sponsored|related|see also|links?"
    r"|show notes|poll|vote|chapters|timestamps|music|transcript|editors?['’]?s? note|read also"
    r"|more|also read|source)\b\s*[:|–—-]",
    re.IGNORECASE,
)
_CREDIT = re.compile(
    r"\((?:photo|image|picture)s? (?:by|credit|courtesy)|\bgetty images\b|\bfile photo\b"
    r"|\b(?:ap|reuters|afp) photo\b|\bshutterstock\b",
    re.IGNORECASE,
)
# Poll options and list bullets flattened into the text ("* Yes, every day * No, never").
_BULLETS = re.compile(r"(?:^|\s)[*•▪◦·]\s")
# A post that is a list of links: its title says so.
_LINK_POST_TITLE = re.compile(
    r"^(?:(?:daily|weekly|sunday|friday|morning|weekend|[\w'’]+'s)\s+)?"
    r"(?:links?|link roundup|reading list|linkblog|link dump|bookmarks|around the web"
    r"|things i read|what i'?m reading|interesting links)\b",
    re.IGNORECASE,
)
# Pasted code, logs and command output: timestamps, key=value pairs, paths, prompts, flags.
_MACHINE_TOKEN = re.compile(
    r"^(?:\d{4}-\d\d-\d\d[T ]?\d\d:\d\d|\S*=\S+|\S*[/\\]\S*[/\\.]\S*|[$#]|>>>|--?[a-z][\w-]*"
    r"|\S+\[\d+\]:?|[{}()\[\];<>|]+|\w+\(\S*\)|0x[0-9a-f]+|v?\d+(?:\.\d+){1,3}[\w-]*"
    r"|[a-z][\w]*-v?\d+(?:\.\d+)+\S*|\d+ms)",
    re.IGNORECASE,
)
# Credits of a show or a picture: who wrote, scored or produced it.
_CREDIT_LINE = re.compile(
    r"^(?:written|music|produced|edited|hosted|directed|artwork|mixed|narrated|theme)"
    r"(?: and \w+)? by\b",
    re.IGNORECASE,
)
_MACHINE_SHARE = 0.3
_MACHINE_MIN_TOKENS = 8
# So many machine tokens in a row are output pasted into a sentence, whatever surrounds it.
_MACHINE_RUN = 5


# The clustering, the summariser and the headline choice each ask about the same sentences.
@lru_cache(maxsize=65536)
def is_furniture(sentence: str) -> bool:
    """True when one sentence is page furniture, never content to show or to group by."""
    text = " ".join(sentence.split())
    if not text:
        return True
    lower = text.lower()
    if _SPONSOR.search(lower) or _BOILERPLATE.search(lower):
        return True
    if _LABEL_START.match(text) or _CREDIT.search(text) or _BULLETS.search(text):
        return True
    if _CREDIT_LINE.match(text):
        return True
    return looks_like_code(text)


def looks_like_code(text: str) -> bool:
    """Pasted code, logs or command output: many tokens no sentence of prose has."""
    tokens = text.split()
    if text.lstrip().startswith(("$ ", ">>> ", "# ")) and len(tokens) > 2:
        return True
    if " $ " in text:
        return True  # a shell prompt pasted after prose
    if len(tokens) < _MACHINE_MIN_TOKENS:
        return False
    machine, run, longest = 0, 0, 0
    for token in tokens:
        if _MACHINE_TOKEN.match(token.rstrip(",.;:")):
            machine += 1
            run += 1
            longest = max(longest, run)
        else:
            run = 0
    return longest >= _MACHINE_RUN or machine / len(tokens) >= _MACHINE_SHARE


def is_link_post(title: str) -> bool:
    """ "Links for December 5", "Weekly links": a list of other people's pages, not a story."""
    return _LINK_POST_TITLE.match(" ".join(title.split())) is not None


def content_sentences(title: str, text: str) -> list[str]:
    """The entry's sentences that are content: furniture out, nothing of a link post."""
    if is_link_post(title):
        return []
    return [s for s in split_sentences(text) if not is_furniture(s)]


def content_text(title: str, text: str) -> str:
    """The entry's text without its furniture, one sentence a line ('' when none is left)."""
    return "\n".join(content_sentences(title, text))
