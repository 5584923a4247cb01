"""A real HTTP feed server on loopback for tests and benchmarks.

It runs an aiohttp.web application on its own thread and event loop, so synchronous code
(e.g. `feedparser.parse(url)` in a benchmark baseline) and async tests can both use it.

    with FeedServer() as server:
        server.serve("/feed.xml", RSS_BYTES, etag='"v1"')
        url = server.url("/feed.xml")
        ...
        assert server.requests_for("/feed.xml")[-1].headers["If-None-Match"] == '"v1"'
        assert server.connections == 1

A `Route` says how a path answers: body, status, headers, validators (ETag/Last-Modified
honoured with 304), delay, redirect, gzip, slow trickle, endless or huge streamed bodies.
Every TCP connection and every request is recorded, so a test can assert that the SSRF
guard stopped a fetch before any connection was made (`server.connections == 0`).

`hosts` binds the same port on several loopback addresses (127.0.0.2, ...), and
`MappedResolver` makes host names resolve to chosen addresses for aiohttp clients.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import socket
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from tests.fakes.threaded import ThreadedServer


@dataclass(frozen=True)
class Route:
    """How one path answers. Only `body` is usually needed."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None  # sent, and a matching If-None-Match gets 304
    last_modified: str | None = None  # sent, and an equal If-Modified-Since gets 304
    delay_s: float = 0.0  # wait before answering (a distant server)
    redirect_to: str | None = None  # answer `status` (302 if 200 given) with this Location
    gzip: bool = False  # compress `body` and send Content-Encoding: gzip
    trickle_s: float | None = None  # send the body one byte per `trickle_s` seconds
    stream_bytes: int | None = None  # send this many bytes in chunks, no Content-Length
    forever: bool = False  # stream chunks without end, no Content-Length


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    host: str  # the Host header, e.g. "feeds-3.test:8080"
    local_address: str  # the server address the client connected to, e.g. "127.0.0.7"
    headers: Mapping[str, str]


class FeedServer(ThreadedServer):
    """Serves configured routes on loopback from a background thread; see the module doc."""

    thread_name = "feed-server"
    what = "feed server"

    def __init__(self, *, hosts: Iterable[str] = ("127.0.0.1",), port: int = 0) -> None:
        super().__init__()
        self.hosts = tuple(hosts)
        self.port = port
        self.requests: list[RecordedRequest] = []
        self.connections = 0
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        self._runner: web.AppRunner | None = None

    # -- configuration -------------------------------------------------------------------
    def serve(self, path: str, body: bytes = b"", **options: Any) -> Route:
        """Answer `path` with `body` and the `Route` options given; returns the route."""
        route = Route(body=body, **options)
        if route.gzip:
            route = dataclasses.replace(route, body=gzip.compress(body, 6))
        with self._lock:
            self._routes[path] = route
        return route

    def url(self, path: str = "/", *, host: str | None = None) -> str:
        """An absolute URL of `path` on this server (`host` may be a name or address)."""
        return f"http://{host or self.hosts[0]}:{self.port}{path}"

    @property
    def base_url(self) -> str:
        return self.url("")

    def requests_for(self, path: str) -> list[RecordedRequest]:
        """Requests received for `path`, oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def reset_records(self) -> None:
        """Forget recorded requests and connections (routes stay)."""
        with self._lock:
            self.requests.clear()
            self.connections = 0

    # -- lifecycle (start, stop and `with` come from ThreadedServer) --------------------
    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1)
        await runner.setup()
        self._count_connections(runner)
        for host in self.hosts:
            site = web.TCPSite(runner, host, self.port, backlog=1024, reuse_address=True)
            await site.start()
            if not self.port:
                self.port = runner.addresses[0][1]
        self._runner = runner
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def _count_connections(self, runner: web.AppRunner) -> None:
        server = runner.server
        assert server is not None
        made = server.connection_made

        def counting(handler: Any, transport: asyncio.Transport) -> None:
            with self._lock:
                self.connections += 1
            made(handler, transport)

        server.connection_made = counting  # type: ignore[method-assign]

    # -- answering -----------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        sockname = request.transport.get_extra_info("sockname") if request.transport else None
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            host=request.host,
            local_address=str(sockname[0]) if sockname else "",
            headers=dict(request.headers),
        )
        with self._lock:
            self.requests.append(record)
            route = self._routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="no such feed")
        if route.delay_s:
            await asyncio.sleep(route.delay_s)
        if route.redirect_to is not None:
            status = route.status if 300 <= route.status < 400 else 302
            return web.Response(status=status, headers={"Location": route.redirect_to})
        headers = self._headers(route)
        if self._not_modified(request, route):
            return web.Response(status=304, headers=headers)
        if route.trickle_s is not None or route.stream_bytes is not None or route.forever:
            return await self._stream(request, route, headers)
        return web.Response(status=route.status, body=route.body, headers=headers)

    @staticmethod
    def _headers(route: Route) -> dict[str, str]:
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
        if route.last_modified:
            headers["Last-Modified"] = route.last_modified
        if route.gzip:
            headers["Content-Encoding"] = "gzip"
        return headers

    @staticmethod
    def _not_modified(request: web.Request, route: Route) -> bool:
        if route.status != 200:
            return False
        if route.etag and request.headers.get("If-None-Match") == route.etag:
            return True
        since = request.headers.get("If-Modified-Since")
        return bool(route.last_modified and since == route.last_modified)

    @staticmethod
    async def _stream(
        request: web.Request, route: Route, headers: dict[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=headers)
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            if route.trickle_s is not None:
                for byte in route.body:
                    await response.write(bytes([byte]))
                    await asyncio.sleep(route.trickle_s)
            else:
                fill = route.body or b" "
                chunk = (fill * (65536 // len(fill) + 1))[:65536]
                remaining = route.stream_bytes or 0
                while route.forever or remaining > 0:
                    piece = chunk if route.forever else chunk[:remaining]
                    await response.write(piece)
                    remaining -= len(piece)
            await response.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the client gave up, which is what these routes test
        return response


class MappedResolver(AbstractResolver):
    """Resolves chosen host names to chosen addresses; `answers` may change between calls.

    `MappedResolver({"feeds-1.test": ["127.0.0.2"]})`; a list of lists per name gives one
    answer per call, the last repeated (for DNS rebinding tests). Unknown names fail like
    NXDOMAIN. `calls` records every name asked.
    """

    def __init__(self, answers: Mapping[str, list[str] | list[list[str]]]) -> None:
        self._answers = {name.lower(): value for name, value in answers.items()}
        self._asked: dict[str, int] = {}
        self.calls: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.calls.append(host)
        answer = self._answers.get(host.lower().rstrip("."))
        if answer is None:
            raise OSError(socket.EAI_NONAME, f"{host} not found")
        index = self._asked.get(host, 0)
        self._asked[host] = index + 1
        addresses: list[Any] = answer
        if answer and isinstance(answer[0], list):
            addresses = answer[min(index, len(answer) - 1)]
        return [
            {
                "hostname": host,
                "host": str(address),
                "port": port,
                "family": socket.AF_INET6 if ":" in str(address) else socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
            for address in addresses
        ]

    async def close(self) -> None:
        return None
