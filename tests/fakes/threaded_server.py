"""Run an aiohttp app on 127.0.0.1 in its own thread, usable from sync and async tests alike."""

from __future__ import annotations

import asyncio
import threading

from aiohttp import web


class ThreadedServer:
    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.release = asyncio.Event()  # handlers that "hang" wait on this; set when stopping
        self.port = 0
        self.latency = 0.0  # seconds every answer takes (benchmarks: a network's round trip)
        app.middlewares.append(self._delayed)

    @web.middleware
    async def _delayed(self, request: web.Request, handler):
        if self.latency:
            await asyncio.sleep(self.latency)
        return await handler(request)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    async def _start(self) -> None:
        self.release = asyncio.Event()
        self._runner = web.AppRunner(self._app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def call_soon(self, callback) -> None:
        """Run ``callback`` in the server's loop (e.g. set an event a handler waits on)."""
        self._loop.call_soon_threadsafe(callback)

    def stop(self) -> None:
        async def _stop() -> None:
            self.release.set()
            if self._runner:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(_stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
