"""The Discord client: turns messages, reactions and slash commands into workflow calls."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.adapters.discord.chat import MENTIONS, NO_THREADS, DiscordChat, may_open_threads, typing_in
from bot.adapters.discord.commands import CommandSync, CommandSyncStore, MonthlyReports, add_commands
from bot.adapters.discord.errors import answered
from bot.core.conversation.approval import Reactor
from bot.core.conversation.intents import Intent, hand_edit, in_case, in_dm, is_stats_question, outside_case
from bot.core.conversation.ports import Chat, Members
from bot.core.conversation.records import Case
from bot.core.conversation.workflow import ReactionEvent, Workflow
from bot.core.drafting.intake import split_url
from bot.core.errors import InputError
from bot.core.health import CONNECTED, DISCONNECTED, STOPPED, Presence
from bot.core.posting.service import PostingService
from bot.core.reach.reports import Reports
from bot.core.text.rendering import help_text, networks_note, thread_name

# The bot never joins voice channels: no warnings about missing voice libraries at every start.
discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False

log = logging.getLogger(__name__)

DM_REFUSED = ("Direktnachrichten nehme ich nur von freigeschalteten Personen an (DM_ALLOWED_USER_IDS). "
              "Bitte erwähne mich in einem der Redaktionskanäle.")
WRONG_CHANNEL = "In diesem Kanal arbeite ich nicht (DISCORD_CHANNEL_IDS). Bitte einen der freigegebenen Kanäle nutzen."
NO_ACCOUNT_HERE = ("Dieser Kanal gehört zu keinem Konto (discord_channel_ids und summary_channel_id in ACCOUNTS_FILE). "
                   "Bitte den Befehl im Kanal des Kontos nutzen.")
# „konto: kunde-a Meldung…“ at the start of a DM chooses the account.
WAIT_FOR_ACCOUNT_SECONDS = 3600  # how long a DM's news waits for its author to name the account
_ACCOUNT_PREFIX = re.compile(r"^\s*konto\s*:\s*([a-z0-9_-]+)\s*(.*)$", re.IGNORECASE | re.DOTALL)


def intents() -> discord.Intents:
    """Only what the bot needs; message content is privileged and must be enabled in the developer portal."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = True
    wanted.guild_reactions = True
    wanted.dm_reactions = True
    return wanted


@dataclass
class Access:
    """Where the bot listens and who may DM it."""

    channel_ids: frozenset[int]
    dm_user_ids: frozenset[int]

    def channel_allowed(self, channel: object) -> bool:
        if not self.channel_ids:
            return True
        parent = getattr(channel, "parent_id", None)
        return getattr(channel, "id", None) in self.channel_ids or parent in self.channel_ids


# A stop lets a running round (an X call) finish for this long; with closing the gateway it stays under the 10 s
# that `docker stop` waits. A round still running then is cancelled; a post in flight is reconciled at the next start.
STOP_GRACE_SECONDS = 6.0


class Background(Protocol):
    """The due work that runs beside the gateway (posts, snapshots, the summary, the heartbeat)."""

    def start(self) -> None: ...

    async def stop(self, grace_seconds: float) -> None: ...


@dataclass(frozen=True)
class Desk:
    """One account's services, and where its news come in."""

    account: str
    workflow: Workflow
    posting: PostingService
    reports: Reports
    access: Access
    monthly: MonthlyReports | None = None  # /bericht: the monthly client report as a file
    summary_channel_id: int | None = None  # its commands answer there too
    display_name: str = ""  # how the account is shown when a DM asks which one is meant


class AccountDirectory(Protocol):
    """Which account a recorded message or a conversation's channel belongs to (None: no account's)."""

    async def account_of_message(self, message_id: int) -> str | None: ...

    async def account_of_channel(self, channel_id: int) -> str | None: ...


@dataclass(frozen=True)
class BotServices:
    """What the client hands its events to: one desk per account, and what the whole process shares."""

    desks: Sequence[Desk]
    background: Background
    warm_up: Callable[[], None]  # slow one-time loading, run in a worker thread at start
    presence: Presence | None = None  # where the gateway's state is recorded for the health check
    directory: AccountDirectory | None = None  # needed with several desks


def _survive_bad_events(connection: Any) -> None:
    """An event discord.py cannot parse is logged and skipped; by default it would end the connection."""

    def guarded(name: str, parse: Callable[[Any], object]) -> Callable[[Any], object]:
        def parse_or_skip(data: Any) -> object:
            try:
                return parse(data)
            except Exception:
                log.exception("skipped a gateway event discord.py could not read: %s", name)
                return None
        return parse_or_skip

    connection.parsers = {name: guarded(name, parse) for name, parse in connection.parsers.items()}


class SpitzfederClient(discord.Client):
    """``services`` builds the core services on the client's own ports: its chat, and itself as `Members`."""

    def __init__(self, *, command_syncs: CommandSyncStore, services: Callable[[Chat, Members], BotServices],
                 serving: bool = True, **options: Any) -> None:
        # A small bot's guilds arrive right after READY; discord.py's default wait of 2 s only delays on_ready.
        options.setdefault("guild_ready_timeout", 0.5)
        super().__init__(intents=intents(), allowed_mentions=MENTIONS, **options)
        self.chat = DiscordChat(self)
        self.services = services(self.chat, self)
        self.desks = {desk.account: desk for desk in self.services.desks}
        assert self.desks, "at least one account"
        assert len(self.desks) == 1 or self.services.directory is not None, "several accounts need the directory"
        self.tree: app_commands.CommandTree[SpitzfederClient] = app_commands.CommandTree(self)
        self.command_sync = CommandSync(self.tree, command_syncs)
        self.serving = serving  # False for `sync-commands`: log in and sync only; no posting, no due work
        self._stop_task: asyncio.Task[None] | None = None
        self._recording = asyncio.Lock()
        # A DM's news and when it came, per user, until they name the account.
        self._waiting_for_account: dict[int, tuple[str, float]] = {}
        add_commands(self.tree, self, self._reports_for,
                     self._monthly_for if any(desk.monthly for desk in self.desks.values()) else None)
        _survive_bad_events(self._connection)

    @property
    def only_desk(self) -> Desk | None:
        """The desk when the bot serves a single account."""
        return next(iter(self.desks.values())) if len(self.desks) == 1 else None

    @property
    def access(self) -> Access:
        """The first account's access (the only one's, for a single account)."""
        return next(iter(self.desks.values())).access

    @property
    def me(self) -> discord.ClientUser:
        assert self.user is not None, "only used once logged in"
        return self.user

    # --- lifecycle ---

    async def setup_hook(self) -> None:
        if not self.serving:
            return
        await self._record_gateway(DISCONNECTED)  # not yet connected (a stop of the last run no longer applies)
        # What the first news item needs (language profiles, the LLM library) loads in a worker thread while
        # the gateway connects, not before it.
        self._warm_up = asyncio.create_task(asyncio.to_thread(self.services.warm_up))
        for desk in self.desks.values():
            try:
                await desk.posting.reconcile()  # posts a crash left in flight
            except Exception:
                log.exception("reconciling %s's posts at start failed; due posts are retried by the scheduler",
                              desk.account)
            try:
                await desk.workflow.deliver_unshown()  # sets stored, but never shown before the stop
                await desk.workflow.resume_approvals()  # a deciding vote stored just before the stop
                await desk.workflow.report_interrupted()  # drafting jobs the stop cut short get their 🔁
            except Exception:
                log.exception("resuming %s's conversations at start failed", desk.account)
        self.services.background.start()

    async def close(self) -> None:
        """Stop taking due work (a running round may finish), then close the gateway; every call waits for the
        one stop (a signal's and the ``async with`` exit's alike)."""
        if self._stop_task is None:
            self._stop_task = asyncio.create_task(self._stop_once(), name="stopping the bot")
        await self._stop_task

    async def _stop_once(self) -> None:
        if self.serving:
            await self.services.background.stop(STOP_GRACE_SECONDS)
            await self._record_gateway(STOPPED)
        await super().close()

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (%d guilds)", self.user, len(self.guilds))
        await self._record_gateway(CONNECTED)

    async def on_resumed(self) -> None:
        log.info("the Discord session is resumed")
        await self._record_gateway(CONNECTED)

    async def on_disconnect(self) -> None:
        if not self.is_closed():
            log.info("disconnected from Discord; reconnecting")
            await self._record_gateway(DISCONNECTED)

    async def _record_gateway(self, state: str) -> None:
        if not self.serving or self.services.presence is None:
            return
        async with self._recording:  # one at a time: "stopped" waits for a write under way, so it is the last
            if state != STOPPED and self._stop_task is not None:
                return
            await self.services.presence.gateway(state)

    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self._sync_commands(guild)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._sync_commands(guild)

    async def _sync_commands(self, guild: discord.Guild) -> None:
        try:
            await self.command_sync.ensure(guild)
        except (discord.HTTPException, OSError) as exc:
            log.warning("could not sync slash commands to guild %d: %s", guild.id, exc)

    # --- messages ---

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return

        async def say(text: str) -> None:
            await self._reply(message, text)

        async with answered(say, "handling a message"):
            await self._route(message)

    async def _route(self, message: discord.Message) -> None:
        text = self._without_own_mention(message.content)
        if message.guild is None:
            await self._direct_message(message, text)
            return
        desk = self._desk_of_channel(message.channel) or await self._desk_of_conversation(message.channel.id)
        if desk is None:  # a channel of no account
            if self.me in message.mentions:
                await self._reply(message, WRONG_CHANNEL)
            return
        # A case lives in a thread: a channel known not to be one (most news arrives there) holds none.
        known_channel = isinstance(message.channel, discord.abc.GuildChannel)
        case = None if known_channel else await desk.workflow.case_in(message.channel.id)
        if case is not None:
            if is_stats_question(text) and await desk.workflow.posted(case):
                await self._reply(message, await desk.reports.statistics(text))
                return
            await self._in_case(desk, case, message, text, in_case(text))
        elif self.me in message.mentions:
            if not desk.access.channel_allowed(message.channel):
                await self._reply(message, WRONG_CHANNEL)
                return
            await self._outside_case(desk, message, text, outside_case(text))

    def _desk_of_channel(self, channel: object) -> Desk | None:
        """The account a server channel (or a thread in it) belongs to. A single account also owns the
        conversations in channels outside DISCORD_CHANNEL_IDS (a thread whose channel was taken off the list)."""
        if (only := self.only_desk) is not None:
            return only
        return next((desk for desk in self.desks.values() if desk.access.channel_allowed(channel)), None)

    async def _desk_of_conversation(self, channel_id: int) -> Desk | None:
        """With several accounts, the account of a conversation in a thread its channel does not tell (a thread
        not in the cache, or one whose channel went to no account)."""
        if self.services.directory is None:
            return None
        return self.desks.get(await self.services.directory.account_of_channel(channel_id) or "")

    async def _direct_message(self, message: discord.Message, text: str) -> None:
        author = await self._author(message)
        desks = [desk for desk in self.desks.values()
                 if author.user_id in desk.access.dm_user_ids or desk.workflow.policy.is_approver(author)]
        if not desks:
            await self._reply(message, DM_REFUSED)
            return
        named, text = self._named_desk(text, desks)
        waiting = self._waiting_news(author.user_id)
        if waiting is not None:  # the answer to „Für welches Konto?“: the name, or „konto: name“ alone
            answer = named if named is not None and not text else None if named else self._desk_named(text, desks)
            if answer is not None:
                del self._waiting_for_account[author.user_id]
                await self._outside_case(answer, message, waiting, in_dm(waiting, has_case=False))
                return
        conversations = await self._conversations(message.channel.id, [named] if named else desks)
        for desk, case in conversations:  # the time ⏰ asked for, in whichever of the user's conversations
            if text and await desk.workflow.answer_plan(case, author, text):
                return
        intent = in_dm(text, has_case=bool(conversations))
        if conversations and intent in (Intent.REFINE, Intent.HAND_EDIT):
            await self._in_case(*conversations[0], message, text, intent)
            return
        if intent is Intent.HELP:
            await self._reply(message, help_text((named or desks[0]).workflow.networks))
            return
        chosen = named or (desks[0] if len(desks) == 1 else None)
        if chosen is None:  # asked once; the answer (or a „konto:“ message) brings the news on its way
            self._waiting_for_account[author.user_id] = (text, time.monotonic())
            await self._reply(message, _which_account(desks))
            return
        self._waiting_for_account.pop(author.user_id, None)
        await self._outside_case(chosen, message, text, intent)

    def _named_desk(self, text: str, desks: list[Desk]) -> tuple[Desk | None, str]:
        """„konto: kunde-a …“ (with several accounts): the account chosen at the start of a DM, and the rest."""
        match = _ACCOUNT_PREFIX.match(text) if len(self.desks) > 1 else None
        if match is None:
            return None, text
        desk = self._desk_named(match[1], desks)
        if desk is None:
            raise InputError(f"Für ein Konto „{match[1].casefold()}“ darfst du hier nichts einbringen. "
                             + _your_accounts(desks))
        return desk, match[2].strip()

    @staticmethod
    def _desk_named(name: str, desks: list[Desk]) -> Desk | None:
        wanted = name.strip().strip("„“\"'.").casefold()
        return next((desk for desk in desks if desk.account == wanted), None)

    def _waiting_news(self, user_id: int) -> str | None:
        """The news a DM brought before its author was asked for the account (for an hour at most)."""
        news, since = self._waiting_for_account.get(user_id, ("", 0.0))
        if not news or time.monotonic() - since > WAIT_FOR_ACCOUNT_SECONDS:
            self._waiting_for_account.pop(user_id, None)
            return None
        return news

    async def _conversations(self, channel_id: int, desks: list[Desk]) -> list[tuple[Desk, Case]]:
        """The newest case of each of these accounts in a DM channel, the newest first."""
        found = [(desk, case) for desk in desks if (case := await desk.workflow.case_in(channel_id)) is not None]
        return sorted(found, key=lambda pair: pair[1].id, reverse=True)

    async def _in_case(self, desk: Desk, case: Case, message: discord.Message, text: str, intent: Intent) -> None:
        workflow = desk.workflow
        if not text:  # only a picture, a sticker or a bare mention: no wish to draft from
            if message.guild is None or self.me in message.mentions:
                await self._reply(message, help_text(workflow.networks))
            return
        if await workflow.answer_plan(case, await self._author(message), text):
            return  # the time ⏰ asked for
        author = message.author.display_name
        edit = hand_edit(text) if intent is Intent.HAND_EDIT else None
        if edit is not None:
            await workflow.hand_edit(case, author, edit.number, edit.text, edit.evidence)
        else:
            await workflow.wish(case, author, text)

    async def _outside_case(self, desk: Desk, message: discord.Message, text: str, intent: Intent) -> None:
        workflow = desk.workflow
        if intent is Intent.HELP:
            await self._reply(message, help_text(workflow.networks))
        elif intent is Intent.STATS:
            await self._reply(message, await desk.reports.statistics(text))
        elif message.guild is not None and not may_open_threads(message.channel, message.guild.me):
            await self._reply(message, NO_THREADS)  # before the news is read and the model asked
        else:
            async with typing_in(message.channel):
                rest, url = split_url(text)
                news = await workflow.read_news(rest, url)
            in_thread = isinstance(message.channel, discord.Thread)
            await workflow.take_news(
                news, origin="discord", requester_id=message.author.id,
                guild_id=message.guild.id if message.guild else None, channel_id=message.channel.id,
                anchor_message_id=None if in_thread else message.id)

    async def _author(self, message: discord.Message) -> Reactor:
        """The author of a message with their roles (in a DM: across the bot's servers)."""
        author = message.author
        if isinstance(author, discord.Member):
            return Reactor(author.id, frozenset(role.id for role in author.roles), author.bot)
        return Reactor(author.id, await self._roles_in_guilds(author.id), author.bot)

    async def _interaction_user(self, interaction: discord.Interaction) -> Reactor:
        user = interaction.user
        if isinstance(user, discord.Member):
            return Reactor(user.id, frozenset(role.id for role in user.roles), user.bot)
        return Reactor(user.id, await self._roles_in_guilds(user.id), user.bot)

    async def slash_plan(self, interaction: discord.Interaction, number: int, when: str) -> None:
        """`/planen entwurf: zeit:` in a case's thread; the answer is shown to everyone there."""
        assert interaction.channel_id is not None, "slash commands are guild-only"
        workflow = self._desk_for_command(interaction).workflow
        await interaction.response.defer(thinking=True)
        answer = await workflow.plan_by_command(interaction.channel_id, await self._interaction_user(interaction),
                                                number, when)
        await interaction.followup.send(answer)

    async def slash_queue(self, interaction: discord.Interaction) -> None:
        workflow = self._desk_for_command(interaction).workflow
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(await workflow.queue_text())

    async def slash_draft(self, interaction: discord.Interaction, text: str, url: str | None,
                          count: int | None, tone: str | None = None) -> None:
        desk = self._desk_of_channel(interaction.channel)
        if desk is None or not desk.access.channel_allowed(interaction.channel):
            await interaction.response.send_message(WRONG_CHANNEL, ephemeral=True)
            return
        workflow = desk.workflow
        workflow.check_tone(tone)  # a wrong tone is said before anything is fetched
        in_thread = isinstance(interaction.channel, discord.Thread)
        if not in_thread and not interaction.app_permissions.create_public_threads:  # as Discord says
            await interaction.response.send_message(NO_THREADS, ephemeral=True)
            return
        await interaction.response.defer(thinking=True)  # Discord wants an answer within 3 s
        news = await workflow.read_news(text, url)
        note = networks_note(workflow.networks)
        anchor = await interaction.followup.send(
            f"📰 {thread_name(news)} — eingebracht von {interaction.user.mention}" + (f"\n{note}" if note else ""),
            wait=True)
        assert interaction.channel_id is not None, "slash commands are guild-only"
        await workflow.take_news(
            news, origin="discord", requester_id=interaction.user.id, guild_id=interaction.guild_id,
            channel_id=interaction.channel_id, anchor_message_id=None if in_thread else anchor.id, count=count,
            tone=tone)

    def _desk_for_command(self, interaction: discord.Interaction) -> Desk:
        """The account a slash command speaks for: its channel's (or the account whose summary goes there)."""
        desk = self._desk_of_channel(interaction.channel) or next(
            (desk for desk in self.desks.values() if desk.summary_channel_id == interaction.channel_id), None)
        if desk is None:
            raise InputError(NO_ACCOUNT_HERE)
        return desk

    def _reports_for(self, interaction: discord.Interaction) -> Reports:
        return self._desk_for_command(interaction).reports

    def _monthly_for(self, interaction: discord.Interaction) -> MonthlyReports:
        monthly = self._desk_for_command(interaction).monthly
        if monthly is None:
            raise InputError("Für dieses Konto gibt es keinen Monatsbericht.")
        return monthly

    # --- reactions (raw: they arrive for messages of any age, cached or not) ---

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=True)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self._reaction(payload, added=False)

    async def _reaction(self, payload: discord.RawReactionActionEvent, *, added: bool) -> None:
        async def say(text: str) -> None:
            await self._say(payload.channel_id, text)

        async with answered(say, "handling a reaction"):
            await self._react(payload, added)

    async def _react(self, payload: discord.RawReactionActionEvent, added: bool) -> None:
        member = payload.member
        user = member or self.get_user(payload.user_id)
        from_self = payload.user_id == self.me.id
        if member is not None:
            roles = frozenset(role.id for role in member.roles)
        elif payload.guild_id is None and added and not from_self:  # a DM: Discord sends no member
            roles = await self._roles_in_guilds(payload.user_id)
        else:
            roles = frozenset()
        reactor = Reactor(payload.user_id, roles, bool(user and user.bot))
        event = ReactionEvent(payload.message_id, payload.channel_id, str(payload.emoji), reactor, added,
                              from_self=from_self)
        desk = await self._desk_of_message(payload.message_id)
        if desk is not None:  # only the account whose message it is decides; its approvers alone count
            await desk.workflow.on_reaction(event)

    async def _desk_of_message(self, message_id: int) -> Desk | None:
        if (only := self.only_desk) is not None:
            return only
        assert self.services.directory is not None
        return self.desks.get(await self.services.directory.account_of_message(message_id) or "")

    async def roles(self, user_id: int, guild_id: int | None) -> frozenset[int] | None:
        """`Members`: the user's roles now; None when they are no longer on the server."""
        if guild_id is None:
            return await self._roles_in_guilds(user_id)
        guild = self.get_guild(guild_id)
        if guild is None:  # not in the cache yet (at start, before the gateway is up), or the bot left it
            try:
                guild = await self.fetch_guild(guild_id, with_counts=False)
            except (discord.NotFound, discord.Forbidden):
                return None  # the bot itself left that server
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.NotFound:
                return None
        return frozenset(role.id for role in member.roles)

    async def _roles_in_guilds(self, user_id: int) -> frozenset[int]:
        """The user's roles in the bot's servers, for DMs: approvers by role are approvers there too."""
        if not any(desk.workflow.policy.approver_role_ids for desk in self.desks.values()):
            return frozenset()
        roles: set[int] = set()
        # At start, before the gateway has delivered the servers, they are asked for by REST.
        guilds = list(self.guilds) or [guild async for guild in self.fetch_guilds(limit=None)]
        for guild in guilds:
            member = guild.get_member(user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.HTTPException:  # not a member of this server
                    continue
            roles.update(role.id for role in member.roles)
        return frozenset(roles)

    # --- helpers ---

    async def _say(self, channel_id: int, text: str) -> None:
        try:
            await self.get_partial_messageable(channel_id).send(text)
        except (discord.HTTPException, OSError):
            log.warning("could not tell channel %d about an error", channel_id)

    async def _reply(self, message: discord.Message, text: str) -> None:
        try:
            await message.channel.send(text, reference=message.to_reference(fail_if_not_exists=False))
        except (discord.HTTPException, OSError):
            log.warning("could not answer message %d", message.id)

    def _without_own_mention(self, content: str) -> str:
        return re.sub(rf"<@!?{self.me.id}>", " ", content).strip()


def _your_accounts(desks: Sequence[Desk]) -> str:
    return "Deine Konten: " + ", ".join(f"„{desk.account}“" for desk in desks) + "."


def _which_account(desks: Sequence[Desk]) -> str:
    """The one question a DM gets when its author approves for several accounts."""
    def shown(desk: Desk) -> str:
        named = desk.display_name not in ("", desk.account)
        return f"„{desk.account}“" + (f" ({desk.display_name})" if named else "")

    names = " oder ".join(shown(desk) for desk in desks)
    return (f"Für welches Konto ist das? Du gibst für mehrere frei. Antworte mit dem Namen: {names}. "
            f"Tipp: „konto: {desks[0].account}“ am Anfang einer Nachricht spart die Frage.")
