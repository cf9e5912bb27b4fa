"""GET /healthz answers the health check: 200 with a short JSON when healthy, 503 naming what is wrong."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from bot.adapters.health_http import serve_health
from bot.adapters.storage.health import SqlHeartbeats
from bot.core.errors import SpitzfederError
from bot.core.health import CONNECTED, Presence, check


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_healthy_is_200_and_a_stale_heartbeat_is_503(engine, clock):
    store = SqlHeartbeats(engine)
    presence = Presence(store, clock)
    await presence.gateway(CONNECTED)
    await presence.run_due()
    port = _free_port()
    runner = await serve_health(port, lambda: check(store, clock))
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 200
                assert await response.json() == {"status": "ok", "problems": [], "heartbeat_age_seconds": 0,
                                                 "gateway": "connected"}
            clock.advance(7 * 60)
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                assert response.status == 503
                assert (await response.json())["problems"] == ["Kein Lebenszeichen seit 7 min"]
    finally:
        await runner.cleanup()


async def test_a_port_in_use_is_a_german_message(engine, clock):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(SpitzfederError, match="HEALTH_PORT .* belegt"):
            await serve_health(taken.getsockname()[1], lambda: check(SqlHeartbeats(engine), clock))
