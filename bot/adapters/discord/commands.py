"""Slash commands (/entwurf, /planen, /warteschlange, /zusammenfassung, /statistik, /weitertraeger, /muster,
/bericht) and their sync per guild, only when they change."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

import discord
from discord import app_commands

from bot.adapters.discord.errors import Say, answered
from bot.core.drafting.limits import MAX_COUNT, MIN_COUNT
from bot.core.drafting.tone import TONES
from bot.core.reach.reports import Reports

log = logging.getLogger(__name__)


class SlashDrafting(Protocol):
    async def slash_draft(self, interaction: discord.Interaction, text: str, url: str | None,
                          count: int | None, tone: str | None = None) -> None: ...

    async def slash_plan(self, interaction: discord.Interaction, number: int, when: str) -> None: ...

    async def slash_queue(self, interaction: discord.Interaction) -> None: ...


class CommandSyncStore(Protocol):
    """The digest of the commands last synced to each guild."""

    async def digest(self, guild_id: int) -> str | None: ...

    async def remember(self, guild_id: int, digest: str) -> None: ...


def _say_to(interaction: discord.Interaction) -> Say:
    async def say(text: str) -> None:
        """Answer instead of Discord's endless "denkt nach…"."""
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except (discord.HTTPException, OSError):
            log.warning("could not answer a slash command")
    return say


# A month's report: (month „2026-11“ or None for the last finished one, format) -> (file name, content).
MonthlyReports = Callable[[str | None, str], Awaitable[tuple[str, bytes]]]
REPORT_FORMATS = ("html", "pdf", "csv")


def add_commands(tree: app_commands.CommandTree, drafting: SlashDrafting,
                 reports_for: Callable[[discord.Interaction], Reports],
                 monthly_for: Callable[[discord.Interaction], MonthlyReports] | None = None) -> None:
    """``reports_for`` and ``monthly_for``: the numbers and reports of the account the command's channel belongs
    to (raising InputError where no account's)."""
    @tree.command(name="entwurf", description="Zugespitzte Fragen zu einer Meldung entwerfen")
    @app_commands.describe(text="Text der Meldung", url="URL der Meldung (der Artikel wird geladen)",
                           anzahl=f"Anzahl der Entwürfe, höchstens ({MIN_COUNT}–{MAX_COUNT})",
                           ton="Ton der Fragen (sonst der voreingestellte)")
    @app_commands.choices(ton=[app_commands.Choice(name=tone, value=tone) for tone in TONES])
    @app_commands.guild_only()
    async def entwurf(interaction: discord.Interaction, text: str | None = None, url: str | None = None,
                      anzahl: app_commands.Range[int, MIN_COUNT, MAX_COUNT] | None = None,
                      ton: str | None = None) -> None:
        async with answered(_say_to(interaction), "/entwurf"):
            await drafting.slash_draft(interaction, text or "", url, anzahl, ton)

    @tree.command(name="planen", description="Festlegen, wann ein Entwurf nach der Freigabe gepostet wird")
    @app_commands.describe(entwurf="Nummer des Entwurfs im Thread",
                           zeit="z. B. „morgen 8:00“, „Mo 7:30“, „in 2 Stunden“ oder „zur besten Zeit“")
    @app_commands.guild_only()
    async def planen(interaction: discord.Interaction, entwurf: app_commands.Range[int, 1, 9], zeit: str) -> None:
        async with answered(_say_to(interaction), "/planen"):
            await drafting.slash_plan(interaction, entwurf, zeit)

    @tree.command(name="warteschlange", description="Die geplanten Posts mit Zeit, Text und Freigebenden")
    @app_commands.guild_only()
    async def warteschlange(interaction: discord.Interaction) -> None:
        async with answered(_say_to(interaction), "/warteschlange"):
            await drafting.slash_queue(interaction)

    @tree.command(name="zusammenfassung", description="Zusammenfassung der letzten 7 Tage")
    @app_commands.guild_only()
    async def zusammenfassung(interaction: discord.Interaction) -> None:
        async with answered(_say_to(interaction), "/zusammenfassung"):
            await interaction.response.defer(thinking=True)
            announcement = await reports_for(interaction).summary()
            file = (discord.File(io.BytesIO(announcement.attachment[1]), filename=announcement.attachment[0])
                    if announcement.attachment else discord.utils.MISSING)
            await interaction.followup.send(announcement.text, file=file)

    @tree.command(name="statistik", description="Fragen zu den Zahlen, z. B. welche Frage diese Woche am besten lief")
    @app_commands.describe(frage="Was möchtest du wissen?")
    @app_commands.guild_only()
    async def statistik(interaction: discord.Interaction, frage: str | None = None) -> None:
        async with answered(_say_to(interaction), "/statistik"):
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(await reports_for(interaction).statistics(frage))

    @tree.command(name="weitertraeger", description="Wer einen Post weitergetragen hat (Reposts und Zitate)")
    @app_commands.describe(post="Nummer des Posts oder Link auf X, Bluesky oder Mastodon (leer: der neueste)")
    @app_commands.guild_only()
    async def weitertraeger(interaction: discord.Interaction, post: str | None = None) -> None:
        async with answered(_say_to(interaction), "/weitertraeger"):
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(await reports_for(interaction).amplifiers(post))

    @tree.command(name="muster", description="Welche Fragemuster und welcher Ton bei uns am besten laufen")
    @app_commands.guild_only()
    async def muster(interaction: discord.Interaction) -> None:
        async with answered(_say_to(interaction), "/muster"):
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(await reports_for(interaction).patterns())


    if monthly_for is not None:
        _add_report_command(tree, monthly_for)


def _add_report_command(tree: app_commands.CommandTree,
                        monthly_for: Callable[[discord.Interaction], MonthlyReports]) -> None:
    @tree.command(name="bericht", description="Monatsbericht für Kunden als Datei (HTML, PDF oder CSV)")
    @app_commands.describe(monat="Monat als JJJJ-MM, z. B. 2026-11 (leer: der letzte volle Monat)",
                           format="html (Standard), pdf oder csv")
    @app_commands.choices(format=[app_commands.Choice(name=kind, value=kind) for kind in REPORT_FORMATS])
    @app_commands.guild_only()
    async def bericht(interaction: discord.Interaction, monat: str | None = None, format: str = "html") -> None:
        async with answered(_say_to(interaction), "/bericht"):
            monthly = monthly_for(interaction)
            await interaction.response.defer(thinking=True)
            name, content = await monthly(monat, format)
            await interaction.followup.send(f"📄 Monatsbericht: `{name}`",
                                            file=discord.File(io.BytesIO(content), filename=name))


def command_digest(tree: app_commands.CommandTree) -> str:
    definitions = sorted((command.to_dict(tree) for command in tree.get_commands()), key=lambda c: c["name"])
    return hashlib.sha256(json.dumps(definitions, sort_keys=True).encode()).hexdigest()


class CommandSync:
    """Syncs the commands to a guild when their definitions differ from the last sync (Discord limits creations)."""

    def __init__(self, tree: app_commands.CommandTree, syncs: CommandSyncStore) -> None:
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
