"""`doctor` checks for Discord: the token, the configured channels and roles, the bot's permissions there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import discord

from bot.adapters.discord.runner import point_discord_at
from bot.core.errors import CheckSkipped, SpitzfederError
from bot.settings import Settings

ADMINISTRATOR = 1 << 3
# What the bot needs in its channels, with the names Discord's settings show.
NEEDED = {
    1 << 10: "Kanal ansehen",
    1 << 16: "Nachrichtenverlauf lesen",
    1 << 11: "Nachrichten senden",
    1 << 38: "Nachrichten in Threads senden",
    1 << 6: "Reaktionen hinzufügen",
    1 << 35: "Öffentliche Threads erstellen",
    1 << 13: "Nachrichten verwalten (um fremde Freigabe-Reaktionen zu entfernen)",
}


@asynccontextmanager
async def _discord(settings: Settings) -> AsyncIterator[tuple[discord.http.HTTPClient, Any]]:
    """A logged-in REST client and the bot's own user."""
    token = settings.discord_token.get_secret_value()
    point_discord_at(settings.discord_api_base_url, settings.discord_gateway_url)
    http = discord.http.HTTPClient(discord.utils.MISSING)
    try:
        me = await http.static_login(token)
        yield http, me
    except discord.LoginFailure as exc:
        raise SpitzfederError("Discord lehnt DISCORD_TOKEN ab. Den Token im Developer Portal neu erzeugen.") from exc
    except discord.HTTPException as exc:
        raise SpitzfederError(f"Discord hat die Anfrage abgelehnt (HTTP {exc.status}).", detail=str(exc.code)) from exc
    except OSError as exc:
        raise SpitzfederError("Discord ist nicht erreichbar. Netz oder DISCORD_API_BASE_URL prüfen.",
                              detail=type(exc).__name__) from exc
    finally:
        await http.close()


def channel_permissions(channel: dict, roles: list[dict], member_role_ids: set[int], user_id: int) -> int:
    """The member's permissions in a channel: base roles, then @everyone, role and member overwrites."""
    guild_id = int(channel["guild_id"])
    by_id = {int(role["id"]): int(role["permissions"]) for role in roles}
    permissions = by_id.get(guild_id, 0)
    for role_id in member_role_ids:
        permissions |= by_id.get(role_id, 0)
    if permissions & ADMINISTRATOR:
        return ~0
    overwrites = {int(o["id"]): (int(o["allow"]), int(o["deny"])) for o in channel.get("permission_overwrites", [])}
    allow, deny = overwrites.get(guild_id, (0, 0))
    permissions = (permissions & ~deny) | allow
    role_allow = role_deny = 0
    for role_id in member_role_ids:
        allow, deny = overwrites.get(role_id, (0, 0))
        role_allow, role_deny = role_allow | allow, role_deny | deny
    permissions = (permissions & ~role_deny) | role_allow
    allow, deny = overwrites.get(user_id, (0, 0))
    return (permissions & ~deny) | allow


NOT_SET_UP = "kein DISCORD_TOKEN (nur die Kommandozeile nutzbar; für `spitzfeder run` eintragen)"


def _set_up(settings: Settings) -> bool:
    return bool(settings.discord_token.get_secret_value())


async def check_token(settings: Settings) -> str:
    if not _set_up(settings):
        raise CheckSkipped(NOT_SET_UP)
    async with _discord(settings) as (_, me):
        return f"angemeldet als {me['username']} ({me['id']})"


async def check_channels(settings: Settings) -> str:
    channel_ids = [*settings.discord_channel_ids, *filter(None, [settings.summary_channel_id])]
    if not _set_up(settings):
        raise CheckSkipped(NOT_SET_UP)
    if not channel_ids:
        return "DISCORD_CHANNEL_IDS ist leer: der Bot arbeitet in jedem Kanal, den er lesen darf"
    problems = []
    async with _discord(settings) as (http, me):
        for channel_id in channel_ids:
            problems += await _channel_problems(http, int(me["id"]), channel_id)
    if problems:
        raise SpitzfederError("; ".join(problems))
    return f"{len(channel_ids)} Kanäle gefunden, alle Rechte vorhanden"


async def _channel_problems(http: discord.http.HTTPClient, bot_id: int, channel_id: int) -> list[str]:
    try:
        channel: dict[str, Any] = await http.get_channel(channel_id)  # type: ignore[assignment]  # a guild channel
        roles = await http.get_roles(channel["guild_id"])
        member = await http.get_member(channel["guild_id"], bot_id)
    except (discord.NotFound, discord.Forbidden):
        return [f"Kanal {channel_id} gibt es nicht oder der Bot sieht ihn nicht (Bot einladen, ID prüfen)"]
    granted = channel_permissions(channel, [dict(role) for role in roles], {int(r) for r in member["roles"]}, bot_id)
    missing = [name for bit, name in NEEDED.items() if not granted & bit]
    if not missing:
        return []
    return [f"Im Kanal #{channel.get('name', channel_id)} fehlen dem Bot Rechte: {', '.join(missing)}"]


async def check_roles(settings: Settings) -> str:
    if not _set_up(settings):
        raise CheckSkipped(NOT_SET_UP)
    if not settings.approver_role_ids and not settings.approver_user_ids:
        raise SpitzfederError("Niemand darf freigeben: APPROVER_ROLE_IDS oder APPROVER_USER_IDS setzen.")
    if not settings.approver_role_ids:
        return f"{len(settings.approver_user_ids)} Freigebende per Nutzer-ID"
    async with _discord(settings) as (http, _):
        known = {int(role["id"]) for guild in await http.get_guilds(200) for role in await http.get_roles(guild["id"])}
    missing = [str(role_id) for role_id in settings.approver_role_ids if role_id not in known]
    if missing:
        raise SpitzfederError(f"Rollen aus APPROVER_ROLE_IDS gibt es in keinem Server des Bots: {', '.join(missing)}")
    return f"{len(settings.approver_role_ids)} Freigabe-Rollen gefunden"

