"""Connecting a built client: serving the gateway (`spitzfeder run`) or syncing slash commands."""

from __future__ import annotations

import logging

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
