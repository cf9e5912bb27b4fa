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


async def serve(client: SpitzfederClient, token: str) -> None:
    """Log in and stay connected until the client is closed."""
    with connection_failures():
        async with client:
            await client.start(token)


async def sync_everywhere(client: SpitzfederClient, token: str) -> int:
    """Register the slash commands in every guild the bot is in, whether they changed or not."""
    with connection_failures():
        async with client:
            await client.login(token)
            guilds = [guild async for guild in client.fetch_guilds(limit=None)]
            for guild in guilds:
                await client.command_sync.ensure(guild, force=True)
    return len(guilds)
