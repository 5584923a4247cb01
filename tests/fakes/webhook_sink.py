"""A recording chat sink on loopback: the webhook end of `newsbot run --webhook`.

It records every post it accepts (duplicates included, as a real platform would show them),
answers `find_posted` lookups, and can hold a request open forever, either before accepting
it or after accepting it, so a test can `kill -9` the bot at exactly that moment. With
`per_second` it is a rate-limited platform: at most that many posts in any one-second
window, a 429 with `Retry-After` beyond; `arrivals` keeps when each post came and its answer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

Mode = Literal["accept", "hold_before_accept", "hold_after_accept"]


@dataclass
class AcceptedPost:
    key: str
    message_id: str
    body: dict[str, Any]


@dataclass
class RecordingSink:
    mode: Mode = "accept"
    posts: list[AcceptedPost] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    lookups: list[str] = field(default_factory=list)
    seen: asyncio.Event = field(default_factory=asyncio.Event)  # a digest POST arrived
    min_interval_s: float = 0.0  # enforce a posting rate (429 when faster)
    per_second: int = 0  # at most this many posts in any second (429 + Retry-After beyond)
    retry_after: str = "1"
    arrivals: list[tuple[float, int]] = field(default_factory=list)  # (loop time, status)
    _runner: web.AppRunner | None = None
    _last_post: float = 0.0
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def keys(self) -> list[str]:
        return [p.key for p in self.posts]

    async def start(self) -> RecordingSink:
        app = web.Application()
        app.router.add_post("/hook", self._post)
        app.router.add_get("/hook", self._get)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr,attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "notice" in body:
            self.notices.append(body["notice"])
            return web.json_response({})
        key = body["idempotency_key"]
        self.seen.set()
        if self.mode == "hold_before_accept":
            await asyncio.Event().wait()  # until the client dies
        now = asyncio.get_running_loop().time()
        if self.min_interval_s and now - self._last_post < self.min_interval_s:
            return web.json_response({"retry_after": self.min_interval_s}, status=429)
        if self.per_second:
            recent = [t for t, status in self.arrivals if status == 200 and now - t < 1.0]
            if len(recent) >= self.per_second:
                self.arrivals.append((now, 429))
                return web.json_response({}, status=429, headers={"Retry-After": self.retry_after})
            self.arrivals.append((now, 200))
        self._last_post = now
        accepted = AcceptedPost(key, f"msg-{len(self.posts) + 1}", body)
        self.posts.append(accepted)
        if self.mode == "hold_after_accept":
            await asyncio.Event().wait()
        return web.json_response(
            {"message_id": accepted.message_id, "thread_id": accepted.message_id}
        )

    async def _get(self, request: web.Request) -> web.Response:
        key = request.query.get("idempotency_key", "")
        self.lookups.append(key)
        for post in self.posts:
            if post.key == key:
                return web.json_response(
                    {"message_id": post.message_id, "thread_id": post.message_id}
                )
        return web.json_response({"error": "not found"}, status=404)


def _ids(message_id: str) -> web.Response:
    # Each digest message is also the parent of its thread, as on Slack.
    return web.json_response({"message_id": message_id, "thread_id": message_id})
