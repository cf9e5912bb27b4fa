"""Connecting a built client: serving the gateway (`spitzfeder run`) or syncing slash commands."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType

import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.adapters.discord.client import SpitzfederClient
from bot.adapters.discord.errors import TOKEN_MISSING, connection_failures
from bot.core.errors import SpitzfederError

log = logging.getLogger(__name__)


def point_discord_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL: a Discord-compatible server or proxy instead of discord.com."""
    if api_base_url:
        discord.http.Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def required_token(token: str) -> str:
    if not token:
        raise SpitzfederError(TOKEN_MISSING)
    return token


STOPPED = ("Die Verbindung zu Discord ist unerwartet beendet worden. Der Bot stoppt, damit ein Dienst-Manager "
           "(systemd, Docker) ihn neu startet; das Protokoll nennt die Ursache.")
ODD_ANSWER = "Discord hat unerwartet geantwortet; die Slash-Befehle sind womöglich nicht registriert."


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)  # what `docker stop`, `systemctl stop` and Ctrl-C send
FORCE_AFTER_SECONDS = 9.5  # a stop still running then ends the process (docker kills after 10 s)
SERVE_END_SECONDS = 0.5  # after the client closed, serving ends by itself or is cancelled (a reconnect back-off)
EXIT_FORCED = 1


class StopOnSignals:
    """SIGTERM and SIGINT start a clean stop once; a second signal, or a stop that hangs, ends the process at once.

    Installed with ``with`` in a running event loop (``loop.add_signal_handler``); ``stop_with`` names what a
    stop calls (the client's ``close``) and the task serving the gateway, which is cancelled if it does not end
    by itself right after (discord.py sleeps out a reconnect back-off first). A signal that arrives before then
    is remembered: ``received`` says which, and the caller does not start serving.
    """

    def __init__(self, *, force_after: float = FORCE_AFTER_SECONDS) -> None:
        self.received: str | None = None
        self._force_after = force_after
        self._stop: Callable[[], Awaitable[None]] | None = None
        self._serving: asyncio.Future[None] | None = None
        self._stopping: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._since = 0.0

    def __enter__(self) -> StopOnSignals:
        self._loop = asyncio.get_running_loop()
        for sig in STOP_SIGNALS:
            self._loop.add_signal_handler(sig, self._on_signal, sig)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._loop is not None
        for sig in STOP_SIGNALS:
            self._loop.remove_signal_handler(sig)

    def stop_with(self, stop: Callable[[], Awaitable[None]], serving: asyncio.Future[None] | None = None) -> None:
        self._stop, self._serving = stop, serving

    @property
    def seconds_since_signal(self) -> float:
        return time.monotonic() - self._since

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.received is not None:
            self._force(f"second {sig.name}", 128 + sig.value)
            return
        self.received, self._since = sig.name, time.monotonic()
        log.info("%s received: stopping (a running post may finish, then the gateway closes; "
                 "a second signal ends at once)", sig.name)
        watchdog = threading.Timer(self._force_after, self._force,
                                   args=(f"still stopping after {self._force_after:.1f} s", EXIT_FORCED))
        watchdog.daemon = True
        watchdog.start()
        if self._stop is not None:
            self._stopping = asyncio.ensure_future(self._stop_then_end())

    async def _stop_then_end(self) -> None:
        assert self._stop is not None
        try:
            await self._stop()
        except Exception:
            log.exception("closing after %s failed", self.received)
        if self._serving is not None and not self._serving.done():
            await asyncio.wait([self._serving], timeout=SERVE_END_SECONDS)
            self._serving.cancel()

    @staticmethod
    def _force(why: str, code: int) -> None:
        log.error("%s: exiting at once; a post left in flight is reconciled at the next start", why)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(code)


async def serve(client: SpitzfederClient, token: str) -> None:
    """Log in and stay connected until the client is closed; anything else that ends it is an error."""
    try:
        with connection_failures():
            async with client:
                await client.start(token)
    except SpitzfederError:
        raise
    except Exception as exc:
        log.exception("the Discord client stopped")
        raise SpitzfederError(STOPPED, detail=type(exc).__name__) from exc


async def sync_everywhere(client: SpitzfederClient, token: str) -> int:
    """Register the slash commands in every guild the bot is in, whether they changed or not."""
    try:
        with connection_failures():
            async with client:
                await client.login(token)
                guilds = [guild async for guild in client.fetch_guilds(limit=None)]
                for guild in guilds:
                    await client.command_sync.ensure(guild, force=True)
    except (KeyError, TypeError, ValueError) as exc:  # a reply discord.py cannot read (e.g. without ids)
        log.warning("syncing the slash commands got an unreadable answer: %r", exc)
        raise SpitzfederError(ODD_ANSWER, detail=type(exc).__name__) from exc
    return len(guilds)
