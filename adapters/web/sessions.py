"""Dashboard sessions: a signed, expiring cookie that names a session this process opened.

Starlette's `SessionMiddleware` signs the cookie (a forged one reads as empty) and stamps it
with its age. The cookie carries only a random session id; who the person is, what they may
manage and their CSRF token stay here, in memory. So a cookie replayed after logging out, after
expiry or after a restart names no session and is refused, and no token from Discord or Slack
ever reaches the browser.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace

from adapters.web.auth import SignedIn
from bot.channels.overview import Viewer

SESSION_KEY = "sid"
# The local dashboard opens a session for every visitor without a cookie; a client that never
# keeps cookies must not grow memory without end. The oldest session is dropped first.
MAX_OPEN_SESSIONS = 10_000
# What a signed-in person may manage is read again from Discord or Slack this often, so losing
# Manage Server (or Slack admin) takes effect within minutes, not at the next login.
RECHECK_S = 300.0

# Reads again who signed in and what they manage (with the token kept here, never sent).
Recheck = Callable[[], Awaitable[SignedIn]]


@dataclass(frozen=True)
class Session:
    """One signed-in person (or the local operator) and the token their forms carry."""

    viewer: Viewer
    csrf_token: str
    expires_at: float
    provider: str  # "discord" | "slack" | "local"
    labels: Mapping[tuple[str, str], str] = field(default_factory=dict)  # workspace names
    checked_at: float = 0.0  # when `viewer.workspaces` was read from the provider
    recheck: Recheck | None = field(default=None, compare=False, repr=False)

    def label(self, platform: str, workspace: str) -> str:
        """A workspace's name as the platform told it at login, else its id."""
        return self.labels.get((platform, workspace), workspace)


@dataclass
class SessionRegistry:
    """The sessions this process opened; a cookie naming any other id is refused."""

    max_age_s: float
    clock: Callable[[], float] = time.monotonic
    _open: dict[str, Session] = field(default_factory=dict)
    # One message per session, shown once on the next page. Kept here, not in the cookie: a
    # long answer (an OPML import's list) would outgrow the 4 KB a browser keeps of a cookie.
    _flash: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def open(
        self,
        viewer: Viewer,
        *,
        provider: str,
        labels: Mapping[tuple[str, str], str] | None = None,
        recheck: Recheck | None = None,
    ) -> tuple[str, Session]:
        """A new session for `viewer`: its id (for the cookie) and its record."""
        self._forget_expired()
        session_id = secrets.token_urlsafe(32)
        session = Session(
            viewer=viewer,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=self.clock() + self.max_age_s,
            provider=provider,
            labels=dict(labels or {}),
            checked_at=self.clock(),
            recheck=recheck,
        )
        self._open[session_id] = session
        while len(self._open) > MAX_OPEN_SESSIONS:
            self.close(next(iter(self._open)))
        return session_id, session

    def find(self, session_id: object) -> Session | None:
        """The open session with this id, or None (unknown, closed or expired)."""
        if not isinstance(session_id, str):
            return None
        session = self._open.get(session_id)
        if session is None:
            return None
        if session.expires_at <= self.clock():
            del self._open[session_id]
            return None
        return session

    def due_for_recheck(self, session: Session) -> bool:
        """True when the session's permissions should be read from the provider again."""
        return session.recheck is not None and self.clock() - session.checked_at >= RECHECK_S

    def rechecked(self, session_id: str, signed: SignedIn) -> Session:
        """The session with what the provider says now (same id, CSRF token and expiry)."""
        session = replace(
            self._open[session_id],
            viewer=signed.viewer,
            labels=dict(signed.labels),
            checked_at=self.clock(),
        )
        self._open[session_id] = session
        return session

    def close(self, session_id: object) -> None:
        """End a session: its cookie is refused from now on."""
        if isinstance(session_id, str):
            self._open.pop(session_id, None)
            self._flash.pop(session_id, None)

    def flash(self, session_id: object, text: str, *, ok: bool) -> None:
        """A message for the next page this session shows (after a form's redirect)."""
        if isinstance(session_id, str) and session_id in self._open:
            self._flash[session_id] = (text, ok)

    def take_flash(self, session_id: object) -> tuple[str, bool] | None:
        """The waiting message, removed so it shows once."""
        return self._flash.pop(session_id, None) if isinstance(session_id, str) else None

    def _forget_expired(self) -> None:
        now = self.clock()
        for session_id in [k for k, s in self._open.items() if s.expires_at <= now]:
            del self._open[session_id]
            self._flash.pop(session_id, None)


def csrf_matches(session: Session, sent: object) -> bool:
    """True when a form's token is this session's (compared in constant time)."""
    return isinstance(sent, str) and secrets.compare_digest(sent, session.csrf_token)
