"""The few exceptions the core raises on purpose. Each carries one clear sentence for users.

Adapters and the CLI catch `NewsbotError` in one place and show `str(error)`; anything else
is a bug and is logged (without secrets) rather than shown.
"""

from __future__ import annotations


class NewsbotError(Exception):
    """Base class: `str(error)` is a complete sentence a user can act on."""


class ConfigError(NewsbotError):
    """A setting is missing or invalid; start-up stops."""


class BadInput(NewsbotError):
    """A user gave a command, URL, time zone or option that cannot be used."""


class PermissionDenied(NewsbotError):
    """The caller may not change this channel's subscriptions or settings."""


class FeedError(NewsbotError):
    """A feed could not be fetched or parsed. `retry_after_s` is set when the host said so."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class BlockedAddress(FeedError):
    """The URL points (directly, by spelling, by DNS or by redirect) at a non-public address."""


class NotAFeed(FeedError):
    """The body fetched is not RSS or Atom (an HTML page, OPML, an empty body...)."""


# What a user sees when something failed that is not their doing: the details go to the log,
# never to the channel. Every adapter's one error handler uses this text.
UNEXPECTED_ERROR_TEXT = (
    "Something went wrong on newsbot's side; it has been logged. Please try again."
)


def user_message(error: BaseException) -> str:
    """The one sentence a user is shown for `error`: its own for `NewsbotError`, else generic."""
    return str(error) if isinstance(error, NewsbotError) else UNEXPECTED_ERROR_TEXT
