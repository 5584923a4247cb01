"""Slack's raw payloads: the fields newsbot reads, and Slack's text format as plain text.

Bolt hands listeners plain dicts; these TypedDicts name the fields we rely on so the rest of
the adapter never guesses at a key. Nothing here calls Slack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypedDict

DIGEST_EVENT_TYPE = "newsbot_digest"  # message metadata that marks our digest posts
# `/news` subcommands (the core's); a direct message starting with one is a command.
SUBCOMMANDS = frozenset(
    {"subscribe", "unsubscribe", "list", "summary", "digest", "ask", "settings", "status", "help"}
)

_MENTION = re.compile(r"<@[^>|\s]+(?:\|[^>]*)?>")
_SLACK_TOKEN = re.compile(r"<([^<>]+)>")


class SlashCommand(TypedDict, total=False):
    """A `/news ...` request (form fields Slack posts, or a Socket Mode payload)."""

    team_id: str
    channel_id: str
    user_id: str
    user_name: str
    text: str
    response_url: str


class MessageEvent(TypedDict, total=False):
    """A `message` or `app_mention` event."""

    type: str
    subtype: str
    channel: str
    channel_type: str  # "channel" | "group" | "im" | "mpim"
    team: str
    user: str
    bot_id: str
    text: str
    ts: str
    thread_ts: str
    parent_user_id: str


def is_direct_message(event: MessageEvent) -> bool:
    """A message in the bot's own DM (the app's Messages tab)."""
    return event.get("channel_type") == "im"


def command_words(text: str) -> tuple[str, str]:
    """(subcommand, the rest) of a command's plain text: `subscribe URL` or `/news list`.

    Split as the core splits it, so the adapter's checks see the command the core will run.
    """
    words = text.strip().lstrip("/").split(None, 1)
    if words and words[0].lower() == "news":
        words = words[1].split(None, 1) if len(words) > 1 else []
    name = words[0].lower() if words else ""
    return name, words[1].strip() if len(words) > 1 else ""


def looks_like_command(text: str) -> bool:
    """Whether a direct message is a command (`list`, `/news digest`, `subscribe URL`, `ask
    ...`) rather than a question: it starts with a subcommand's name, and a bare name
    followed by more words is a command only when it does not end as a question does
    ("status of the bridge?" is a question)."""
    name, rest = command_words(text)
    if name not in SUBCOMMANDS:
        return False
    typed_as_command = text.lstrip().startswith("/") or name == "ask" or not rest
    return typed_as_command or not text.rstrip().endswith("?")


def digest_metadata(key: str, part: int, parts: int) -> dict[str, Any]:
    """Message metadata that lets `find_posted` recognise a digest post after a crash."""
    payload: dict[str, Any] = {"key": key, "part": part, "parts": parts}
    return {"event_type": DIGEST_EVENT_TYPE, "event_payload": payload}


def digest_part(message: Mapping[str, Any], key: str) -> tuple[int, int] | None:
    """(part, parts) when `message` is part of the digest posted with `key`."""
    payload = _digest_payload(message)
    if payload is None or payload.get("key") != key or "ts" not in message:
        return None
    try:
        return int(payload.get("part", 1)), int(payload.get("parts", 1))
    except (TypeError, ValueError):  # someone else's metadata of the same name
        return None


def _digest_payload(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The metadata payload of one of our digest posts; None for any other message."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload")
    if metadata.get("event_type") != DIGEST_EVENT_TYPE or not isinstance(payload, dict):
        return None
    return payload


def question_text(text: str) -> str:
    """A message's text as plain text, without the @-mentions in it (the bot's own too)."""
    return plain_text_of(_MENTION.sub(" ", text))


def plain_text_of(slack_text: str) -> str:
    """Slack's message/command text format as the plain text the user typed.

    Slack sends links as `<URL>` or `<URL|label>` (the URL is what the user meant, e.g. a
    feed to subscribe to), channels as `<#C123|name>`, specials as `<!here>`, and escapes
    `&`, `<`, `>` as entities (`?a=1&amp;b=2`). Whitespace runs become one space.
    """

    def token(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):  # <!here>, <!subteam^S1|@editors>, <!date^...|fallback>
            return label or "@" + target[1:].split("^")[0]
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return target  # a link: the URL itself

    text = _SLACK_TOKEN.sub(token, slack_text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())
