"""Starting the Discord bot (`spitzfeder run`) and syncing its slash commands (`spitzfeder sync-commands`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.adapters.discord.chat import DiscordChat
from bot.adapters.discord.client import Access, SpitzfederClient
from bot.adapters.discord.commands import CommandSync
from bot.adapters.discord.ticker import DueRunner, DueWorkTicker
from bot.adapters.storage.workflow import SqlCommandSyncs, SqlWorkflowStore
from bot.app import Reach, Services, build_reach, services
from bot.core.conversation.approval import ApprovalPolicy
from bot.core.conversation.board import SetBoard
from bot.core.conversation.workflow import Workflow
from bot.core.errors import SpitzfederError
from bot.core.posting.announcer import ChatAnnouncer
from bot.core.posting.ports import Publisher
from bot.core.posting.service import PostingService
from bot.core.reach.reports import Reports
from bot.settings import Settings

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0

PRIVILEGED_INTENT_MISSING = (
    "Discord verweigert den privilegierten Intent „Message Content“. Im Developer Portal "
    "(https://discord.com/developers/applications) unter Bot → Privileged Gateway Intents "
    "„Message Content Intent“ einschalten und neu starten. / Discord refused the privileged "
    "Message Content intent: enable \"Message Content Intent\" under Bot → Privileged Gateway Intents."
)
TOKEN_MISSING = "DISCORD_TOKEN fehlt. Den Bot-Token aus dem Developer Portal (Bot → Reset Token) in .env eintragen."
UNREACHABLE = ("Discord ist nicht erreichbar. Netzwerk prüfen (und DISCORD_API_BASE_URL, falls gesetzt) und neu "
               "starten.")
TOKEN_REJECTED = "Discord lehnt DISCORD_TOKEN ab. Den Token im Developer Portal neu erzeugen und in .env eintragen."


@dataclass
class DiscordBot:
    """The Discord client with the services behind it."""

    client: SpitzfederClient
    workflow: Workflow
    posting: PostingService
    announcer: ChatAnnouncer
    reach: Reach
    summary_enabled: bool
    ticker: DueWorkTicker | None = None


def due_work(bot: DiscordBot) -> list[DueRunner]:
    """Everything the ticker runs, in order: posts whose undo window ran out, metric snapshots, the summary."""
    runners: list[DueRunner] = [bot.posting.run_due]
    if bot.reach.tracking is not None:
        runners.append(bot.reach.tracking.run_due)
    if bot.summary_enabled:
        runners.append(bot.reach.summary.run_due)
    return runners


def build_bot(app: Services, *, publisher: Publisher | None = None, reports: Reports | None = None,
              tick_seconds: float = TICK_SECONDS) -> DiscordBot:
    settings = app.settings
    client = SpitzfederClient(Access.from_settings(settings))
    chat = DiscordChat(client)
    store = SqlWorkflowStore(app.engine, app.clock)
    board = SetBoard(store, app.posts, chat)
    announcer = ChatAnnouncer(store, board, chat, settings.summary_channel_id)
    reach = build_reach(settings, app.engine, announcer, app.clock)
    posting = PostingService(app.posts, publisher or reach.publisher, app.audit, announcer, app.clock)
    workflow = Workflow(
        drafting=app.drafting, articles=app.articles, store=store, posts=app.posts, posting=posting,
        audit=app.audit, chat=chat, board=board, policy=ApprovalPolicy.from_settings(settings),
        undo_seconds=settings.post_undo_seconds, default_count=settings.draft_count,
    )
    bot = DiscordBot(client, workflow, posting, announcer, reach, summary_enabled=bool(settings.summary_channel_id))
    bot.ticker = DueWorkTicker(due_work(bot), tick_seconds)
    client.workflow, client.posting, client.ticker = workflow, posting, bot.ticker
    client.reports = reports or reach.reports
    client.command_sync = CommandSync(client.tree, SqlCommandSyncs(app.engine, app.clock))
    return bot


def point_discord_at(settings: Settings) -> None:
    """DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL: a Discord-compatible server or proxy instead of discord.com."""
    if settings.discord_api_base_url:
        discord.http.Route.BASE = settings.discord_api_base_url.rstrip("/")
    if settings.discord_gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def _token(settings: Settings) -> str:
    token = settings.discord_token.get_secret_value()
    if not token:
        raise SpitzfederError(TOKEN_MISSING)
    return token


async def run_bot(settings: Settings) -> int:
    token = _token(settings)
    point_discord_at(settings)
    async with services(settings) as app:
        bot = build_bot(app)
        if not bot.summary_enabled:
            log.warning("SUMMARY_CHANNEL_ID is not set: no daily summary (/zusammenfassung still works)")
        if bot.reach.publisher.simulated:
            log.warning("dry run: posts are simulated and never reach X (%s)",
                        "DRY_RUN=true" if settings.dry_run else "X credentials incomplete")
        if not bot.workflow.policy.configured:
            log.warning("no approvers configured (APPROVER_ROLE_IDS / APPROVER_USER_IDS): nothing can be approved")
        try:
            async with bot.client:
                await bot.client.start(token)
        except discord.PrivilegedIntentsRequired as exc:
            raise SpitzfederError(PRIVILEGED_INTENT_MISSING) from exc
        except discord.LoginFailure as exc:
            raise SpitzfederError(TOKEN_REJECTED) from exc
        except (aiohttp.ClientError, OSError) as exc:  # only the login; later drops are reconnected by discord.py
            raise SpitzfederError(UNREACHABLE, detail=type(exc).__name__) from exc
    return 0


async def sync_commands(settings: Settings) -> int:
    """Register the slash commands in every guild the bot is in, whether they changed or not."""
    token = _token(settings)
    point_discord_at(settings)
    async with services(settings) as app:
        client = build_bot(app).client
        client.serving = False  # a second process must not post, or re-post what the running bot has in flight
        try:
            async with client:
                await client.login(token)
                guilds = [guild async for guild in client.fetch_guilds(limit=None)]
                for guild in guilds:
                    await client.command_sync.ensure(guild, force=True)
        except discord.LoginFailure as exc:
            raise SpitzfederError(TOKEN_REJECTED) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise SpitzfederError(UNREACHABLE, detail=type(exc).__name__) from exc
        except discord.HTTPException as exc:
            raise SpitzfederError(f"Discord hat die Befehle nicht angenommen (HTTP {exc.status}).",
                                  detail=str(exc.code)) from exc
    print(f"Slash-Befehle in {len(guilds)} Server(n) registriert.")
    return 0
