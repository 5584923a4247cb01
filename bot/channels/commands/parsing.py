"""Commands as text: the help, option and setting syntax, and one-sentence refusals."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from bot.channels.topics import topic_words
from bot.errors import BadInput
from bot.models import Reply
from bot.summarise.sentences import content_words

HELP = """\
newsbot commands:
  subscribe URL [include:a,b] [exclude:c]   follow an RSS/Atom feed (or every feed of an OPML URL)
  subscribe topic: WORDS [include:..] [exclude:..]   follow a topic across every feed
  unsubscribe URL|NAME|TOPIC|NUMBER         stop following (NUMBER as shown by list; stable)
  list                                      this channel's subscriptions and feed health
  summary [hours:N] [feed:URL|NUMBER] [topic:WORDS]   on-demand summary (default: 24 hours)
  digest                                    the digest so far, right now
  ask QUESTION                              a question answered from the news, with sources
  settings [time=HH:MM] [timezone=Area/City] [max_items=N] [summariser=auto|llm|extractive]
           [digest=on|off]                  show or change this channel's settings
  status [ARTICLE-URL]                      feed health, last digest, why articles were skipped
  help                                      this text
Changing subscriptions or settings needs permission to manage the channel."""

MAX_TOPIC_CHARS = 120
# Longer text is never a real feed URL or setting, and echoing it back in a refusal would
# overflow a chat message (Discord: 2,000 characters).
MAX_URL_CHARS = 2000
MAX_SETTING_CHARS = 100
_URL_LIKE = re.compile(r"^[\w.-]+\.[a-z]{2,}(?:[/:?]|$)", re.IGNORECASE)
# "javascript:alert(1)", "mailto:desk@x": a scheme without "//" is still a URL, never a topic.
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:(?!\s)\S", re.IGNORECASE)


def _sentence(text: str) -> str:
    """A message as one sentence: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if first.isalpha():  # never capitalise a URL, a setting name or a quoted value
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def refusal(text: str) -> Reply:
    """A private one-sentence refusal."""
    return Reply(text=_sentence(text), ok=False, ephemeral=True)


def plural(count: int, noun: str, many: str = "") -> str:
    """`1 feed`, `3 feeds`: the count with its noun in the right number."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def looks_like_url(target: str) -> bool:
    return (
        "://" in target
        or target.startswith(("/", "~", "."))
        or bool(_URL_LIKE.match(target) or _SCHEME.match(target))
    )


def whole_number(text: str) -> int | None:
    """`text` as a number if it is all decimal digits (any script's, as int() reads them);
    not isdigit(), which also passes "²" that int() refuses."""
    return int(text) if text.isdecimal() else None


def checked_topic_words(topic: str) -> tuple[str, ...]:
    """The words of a topic; BadInput if it has none, or is too long to be one."""
    topic = " ".join(topic.split())
    words = topic_words(topic)
    if not words:
        raise BadInput("a topic needs at least one word, for example: topic: climate policy.")
    if len(topic) > MAX_TOPIC_CHARS or len(words) > 8:
        raise BadInput(f"a topic can have at most 8 words and {MAX_TOPIC_CHARS} characters.")
    if not content_words(topic):
        # "the of and" is in every article: such a topic would follow everything.
        raise BadInput(
            f"{topic!r} has only common words; name the subject, "
            "for example: topic: climate policy."
        )
    return words


def split_options(text: str, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """`URL include:a,b exclude:c` -> ("URL", {"include": "a,b", "exclude": "c"}).

    An option's value runs to the next option, so `topic:climate policy hours:6` works.
    """
    pattern = re.compile(r"(?:^|\s)(" + "|".join(names) + r"):", re.IGNORECASE)
    matches = list(pattern.finditer(text))
    if not matches:
        return text.strip(), {}
    options: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        options[match.group(1).lower()] = text[match.end() : end].strip()
    return text[: matches[0].start()].strip(), options


def parse_settings(text: str) -> dict[str, str]:
    """`timezone=Europe/Berlin time=07:30` -> {"timezone": ..., "time": ...}."""
    try:
        parts = shlex.split(text)
    except ValueError:
        raise BadInput("settings must look like key=value, e.g. settings time=07:30.") from None
    changes: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            raise BadInput(
                f"{part[:40]!r} is not key=value; for example: settings timezone=Europe/Berlin."
            )
        if len(value) > MAX_SETTING_CHARS:
            raise BadInput(
                f"the value of {key[:30]!r} is too long; `help` shows what each setting takes."
            )
        changes[key.strip().lower()] = value.strip()
    return changes
