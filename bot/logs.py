"""Logging with secrets redacted from every line, tracebacks included.

Feed URLs can carry credentials (`https://user:pass@host/feed`), and a failing LLM or chat
call may put its key or token into an exception message. The redaction runs in a handler
filter, on the final message and on the formatted traceback, so it cannot be bypassed by
logging an exception or by passing a secret as a `%s` argument.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from bot.feeds.urls import SECRET_MASK, is_secret_param

MASK = SECRET_MASK

# (pattern, replacement): each finds one kind of credential in free text.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:password@ or token@ in any URL, up to the last @ before the path: a password may
    # hold an unencoded @, and URL parsers take the host from after the last one
    (re.compile(r"(?<=://)[^/\s'\"<>]+@"), MASK + "@"),
    # Authorization / Proxy-Authorization headers, in text or dict reprs
    (
        re.compile(
            r"((?:proxy-)?authorization['\"]?\s*[:=]\s*['\"]?)"
            r"(?:(?:bearer|bot|basic|token)\s+)?[^\s'\",}]+",
            re.IGNORECASE,
        ),
        r"\g<1>" + MASK,
    ),
    (re.compile(r"\b(bearer|bot)\s+[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE), r"\g<1> " + MASK),
    # OpenAI-style keys, Slack tokens
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}"), "sk-" + MASK),
    (re.compile(r"\b(xox[abeoprs]|xapp)-[A-Za-z0-9-]{6,}"), r"\g<1>-" + MASK),
    # Discord bot tokens (and JWT-like strings): three base64url parts joined by dots
    (re.compile(r"\b[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{20,}"), MASK),
)
# A query parameter in free text: `?name=value` or `&name=value` (a URL inside a message).
_QUERY_PARAM = re.compile(r"([?&;])([^=&;?#\s'\"<>]+)=([^&;#\s'\"<>]+)")


def _mask_query_secret(match: re.Match[str]) -> str:
    mark, name, _value = match.groups()
    return f"{mark}{name}={MASK}" if is_secret_param(name) else match.group(0)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with credentials and the exact `secrets` given replaced by ***."""
    # Longest first, so a secret containing another is masked whole.
    for secret in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    # Secrets passed as query parameters (?token=, &api_key=, &X-Amz-Signature=...).
    return _QUERY_PARAM.sub(_mask_query_secret, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record so that its message and traceback carry no secret."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set, so every handler sees the redacted one.
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


class _NewsbotHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler setup_logging installed, so calling it again replaces it."""


def setup_logging(
    level: str | int = "INFO", *, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Log to stderr (or `stream`) at `level`, every line redacted; returns the handler."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _NewsbotHandler):
            root.removeHandler(handler)
    handler = _NewsbotHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    # These log every statement or frame at DEBUG: noise that buries our own lines.
    for noisy in ("aiosqlite", "asyncio", "discord.gateway", "slack_bolt.AsyncApp"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
    # Alembic reports its migration context on every start; only worth seeing when debugging.
    logging.getLogger("alembic").setLevel(
        max(logging.WARNING, root.level) if root.level > logging.DEBUG else logging.DEBUG
    )
    return handler
