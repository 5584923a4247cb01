"""A scriptable OpenAI-compatible server on 127.0.0.1 (aiohttp.web), for the LLM tests.

It speaks the two endpoints newsbot uses, `GET /v1/models` and `POST /v1/chat/completions`,
with the real response shapes, so tests drive the real `openai` SDK through real HTTP.
Each test scripts the replies: a `Reply` per call (the last one repeats), or a function of
the request. Every request body is recorded in `requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

Request = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a chat completion with `content`, or an HTTP error."""

    content: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long first (a "hang" is a delay past the client timeout)
    error: str = ""  # error message for non-200 replies
    prompt_tokens: int = 120
    completion_tokens: int = 60


def json_reply(payload: dict[str, Any], **options: Any) -> Reply:
    """A completion whose content is `payload` as JSON."""
    return Reply(content=json.dumps(payload), **options)


class FakeOpenAI:
    """The server. Use `async with FakeOpenAI() as fake:` and point the SDK at `fake.base_url`."""

    def __init__(self, *, refuse_json_schema: bool = False, models_status: int = 200) -> None:
        self.refuse_json_schema = refuse_json_schema
        self.refusal_status = 400
        self.refuse_schema_hint = False  # refuse {"type": "json_object", "schema": ...} too
        self.models_status = models_status
        self.requests: list[Request] = []
        self.model_list_calls = 0
        self._script: list[Reply] = [Reply(content="{}")]
        self._handler: Callable[[Request], Reply] | None = None
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    def script(self, *replies: Reply) -> None:
        """Answer calls with these replies in order; the last one repeats."""
        self._script = list(replies)
        self._handler = None

    def respond_with(self, handler: Callable[[Request], Reply]) -> None:
        """Answer each call with `handler(request_body)`."""
        self._handler = handler

    @property
    def chat_requests(self) -> list[Request]:
        return [r for r in self.requests if "messages" in r]

    async def __aenter__(self) -> FakeOpenAI:
        app = web.Application()
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._released.set()  # let hanging handlers return so shutdown is quick
        if self._runner is not None:
            await self._runner.cleanup()

    def _next(self, body: Request) -> Reply:
        if self._handler is not None:
            return self._handler(body)
        return self._script.pop(0) if len(self._script) > 1 else self._script[0]

    async def _models(self, request: web.Request) -> web.Response:
        self.model_list_calls += 1
        if self.models_status != 200:
            return _error(self.models_status, "models unavailable", {})
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": "fake-model", "object": "model", "created": 0, "owned_by": "me"}],
            }
        )

    async def _chat(self, request: web.Request) -> web.Response:
        body: Request = await request.json()
        self.requests.append(body)
        response_format = body.get("response_format") or {}
        if self.refuse_json_schema and response_format.get("type") == "json_schema":
            message = "response_format.type: input should be 'text' or 'json_object'"
            return _error(self.refusal_status, message, {})
        if self.refuse_schema_hint and "schema" in response_format:
            return _error(400, "response_format: extra field 'schema' not permitted", {})
        reply = self._next(body)
        if reply.delay_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), reply.delay_s)
        if reply.status != 200:
            return _error(reply.status, reply.error or "scripted failure", reply.headers)
        return web.json_response(_completion(body, reply), headers=reply.headers)


def _error(status: int, message: str, headers: dict[str, str]) -> web.Response:
    payload = {"error": {"message": message, "type": "fake_error", "param": None, "code": None}}
    return web.json_response(payload, status=status, headers=headers)


def _completion(body: Request, reply: Reply) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }
