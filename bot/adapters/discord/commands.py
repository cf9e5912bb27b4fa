"""Slash commands (/entwurf, /zusammenfassung, /statistik) and their sync per guild, only when they change."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.adapters.storage.workflow import SqlCommandSyncs
from bot.core.drafting.service import MAX_COUNT, MIN_COUNT

if TYPE_CHECKING:
    from bot.adapters.discord.client import SpitzfederClient

log = logging.getLogger(__name__)


def add_commands(client: SpitzfederClient) -> None:
    tree = client.tree

    @tree.command(name="entwurf", description="Zugespitzte Fragen zu einer Meldung entwerfen")
    @app_commands.describe(text="Text der Meldung", url="URL der Meldung (der Artikel wird geladen)",
                           anzahl=f"Anzahl der Entwürfe ({MIN_COUNT}–{MAX_COUNT})")
    @app_commands.guild_only()
    async def entwurf(interaction: discord.Interaction, text: str | None = None, url: str | None = None,
                      anzahl: app_commands.Range[int, MIN_COUNT, MAX_COUNT] | None = None) -> None:
        async with client.answering(interaction):
            await client.slash_draft(interaction, text or "", url, anzahl)

    @tree.command(name="zusammenfassung", description="Zusammenfassung der letzten 7 Tage")
    @app_commands.guild_only()
    async def zusammenfassung(interaction: discord.Interaction) -> None:
        async with client.answering(interaction):
            await interaction.response.defer(thinking=True)
            announcement = await client.reports.summary()
            file = (discord.File(io.BytesIO(announcement.attachment[1]), filename=announcement.attachment[0])
                    if announcement.attachment else discord.utils.MISSING)
            await interaction.followup.send(announcement.text, file=file)

    @tree.command(name="statistik", description="Fragen zu den Zahlen, z. B. welche Frage diese Woche am besten lief")
    @app_commands.describe(frage="Was möchtest du wissen?")
    @app_commands.guild_only()
    async def statistik(interaction: discord.Interaction, frage: str | None = None) -> None:
        async with client.answering(interaction):
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(await client.reports.statistics(frage))


def command_digest(tree: app_commands.CommandTree) -> str:
    definitions = sorted((command.to_dict(tree) for command in tree.get_commands()), key=lambda c: c["name"])
    return hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest()


class CommandSync:
    """Syncs the commands to a guild when their definitions differ from the last sync (Discord limits creations)."""

    def __init__(self, tree: app_commands.CommandTree, syncs: SqlCommandSyncs) -> None:
        self._tree = tree
        self._syncs = syncs

    async def ensure(self, guild: discord.abc.Snowflake, *, force: bool = False) -> bool:
        digest = command_digest(self._tree)
        if not force and await self._syncs.digest(guild.id) == digest:
            return False
        self._tree.copy_global_to(guild=guild)
        await self._tree.sync(guild=guild)
        await self._syncs.remember(guild.id, digest)
        log.info("slash commands synced to guild %d", guild.id)
        return True
