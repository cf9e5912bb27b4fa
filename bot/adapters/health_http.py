"""HEALTH_PORT: the health check as `GET /healthz` on 127.0.0.1 while the bot runs (aiohttp, from discord.py)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.errors import SpitzfederError
from bot.core.health import HealthReport

log = logging.getLogger(__name__)

HOST = "127.0.0.1"


def _answer(report: HealthReport) -> web.Response:
    body = {"status": "ok" if report.ok else "fehler", "problems": report.problems, **report.facts}
    return web.json_response(body, status=200 if report.ok else 503)


async def serve_health(port: int, check: Callable[[], Awaitable[HealthReport]]) -> web.AppRunner:
    """Start answering on ``port``; the caller ends it with ``await runner.cleanup()``."""

    async def healthz(_: web.Request) -> web.Response:
        return _answer(await check())

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, HOST, port).start()
    except OSError as exc:
        await runner.cleanup()
        raise SpitzfederError(f"HEALTH_PORT {port}: der Port ist belegt oder nicht erlaubt. Anderen Port wählen "
                              "oder HEALTH_PORT leer lassen.", detail=str(exc)) from exc
    log.info("health check served at http://%s:%d/healthz", HOST, port)
    return runner
