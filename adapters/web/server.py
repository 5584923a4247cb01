"""Serving the dashboard with uvicorn inside newsbot's own event loop.

`newsbot web` serves it alone; `newsbot run --web` serves it beside the bot. Either way the
process's signal handling stays newsbot's: uvicorn's server is started and stopped here
instead of through `uvicorn.run`, which would install its own handlers.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import uvicorn

from adapters.web.app import create_dashboard
from adapters.web.auth import providers
from bot.app import App
from bot.errors import ConfigError

log = logging.getLogger(__name__)


class DashboardServer:
    """The dashboard on `settings.web.host:port`; `address` is known once started."""

    def __init__(self, app: App, **dashboard_options: Any) -> None:
        web = app.settings.web
        config = uvicorn.Config(
            create_dashboard(app, **dashboard_options),
            host=web.host,
            port=web.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            proxy_headers=False,
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        self.local_only = not providers(web)

    @property
    def address(self) -> str:
        """The URL a browser on this machine opens, e.g. http://127.0.0.1:8080/."""
        assert self._socket is not None, "start() first"
        host, port = self._socket.getsockname()[:2]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}/"

    async def start(self) -> None:
        """Listen and serve in the background; ConfigError when the address cannot be used."""
        config = self._server.config
        # Bound here, not by uvicorn: it would end the whole process on a taken port.
        self._socket = _listen(config.host, config.port)
        if not config.loaded:
            config.load()
        self._server.lifespan = config.lifespan_class(config)
        await self._server.startup(sockets=[self._socket])
        self._task = asyncio.create_task(self._server.main_loop(), name="dashboard")

    async def close(self) -> None:
        """Stop accepting, finish the requests in flight, close."""
        if self._task is None:
            return
        self._server.should_exit = True
        await self._task
        self._task = None
        await self._server.shutdown(sockets=[self._socket] if self._socket else None)
        if self._socket is not None:
            self._socket.close()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port; ConfigError in one sentence when it cannot be."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise ConfigError(f"the dashboard cannot use the address {host}: {error}.") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise ConfigError(
            f"the dashboard cannot listen on {host}:{port} ({error.strerror}); "
            "choose another web.port, or 0 for any free port."
        ) from None
    sock.setblocking(False)
    return sock
