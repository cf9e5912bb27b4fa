"""`spitzfeder run` against a local Discord-compatible server: the real client, its real wire format."""

import asyncio
import socket
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
import discord
import pytest

from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.posts import SqlPostStore
from bot.cli import main
from bot.core.drafting.models import Draft, DraftSet, NewsItem
from bot.core.networks import Network
from bot.core.posting.records import PostState
from bot.settings import Settings
from bot.wiring import open_database, sync_commands
from bot.wiring import run as run_bot
from tests.fakes.discord_server import BOT_ID, CHANNEL_ID, ROLE_ID, user
from tests.fakes.publisher import single
from tests.fakes.samples import GOOD_DRAFTS, NEWS

ANNA = user(4242, "anna")


@pytest.fixture
def wire_env(monkeypatch, llm_env, fake_discord):
    monkeypatch.setenv("DISCORD_TOKEN", "discord-test-token-123456")
    monkeypatch.setenv("DISCORD_API_BASE_URL", fake_discord.api_url)
    monkeypatch.setenv("DISCORD_GATEWAY_URL", fake_discord.gateway_url)
    monkeypatch.setenv("APPROVER_ROLE_IDS", str(ROLE_ID))
    monkeypatch.setenv("POST_UNDO_SECONDS", "0")
    return fake_discord


@asynccontextmanager
async def running_bot(server, llm):
    """`spitzfeder run` in this event loop, once it has synced its commands; stopped afterwards."""
    llm.reply_drafts(*GOOD_DRAFTS)
    task = asyncio.create_task(run_bot(Settings()))
    try:
        await server.until(lambda s: any(r.path.endswith("/commands") for r in s.requests))
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_spitzfeder_run_drafts_on_a_mention_and_posts_on_approval(wire_env, llm_env):
    server = wire_env
    async with running_bot(server, llm_env):
        assert server.identify["intents"] == discord.Intents(
            guilds=True, guild_messages=True, dm_messages=True, message_content=True, guild_reactions=True,
            dm_reactions=True).value
        server.dispatch("MESSAGE_CREATE", server.message_event(ANNA, [], f"<@{BOT_ID}> {NEWS}"))
        await server.until(lambda s: any(r.path.endswith("/reactions/🗑️/@me")
                                         for r in s.requests))
        [thread] = [r for r in server.requests if r.path.endswith("/threads")]
        [drafts] = [r for r in server.sent() if r.body["content"].startswith("📰")]
        assert GOOD_DRAFTS[0][0] in drafts.body["content"]
        thread_id = int(drafts.path.split("/")[2])
        message_id = next(int(r.path.split("/")[4]) for r in server.requests if "/reactions/" in r.path)
        server.dispatch("MESSAGE_REACTION_ADD", server.reaction_event(ANNA, [ROLE_ID], thread_id, message_id, "1️⃣"))
        await server.until(lambda s: any("simuliert (Dry Run)" in r.body["content"] for r in s.sent(thread_id)))
        assert thread.path.startswith(f"/channels/{CHANNEL_ID}/messages/")


async def test_news_never_waits_for_the_typing_indicator(wire_env, llm_env):
    """Discord limits typing per channel; in a burst of news the indicators are refused for a while. discord.py
    would wait out each refusal before the news went on; the work does not wait for its indicator."""
    server = wire_env
    server.typing_retry_after = 60.0
    async with running_bot(server, llm_env):
        server.dispatch("MESSAGE_CREATE", server.message_event(ANNA, [], f"<@{BOT_ID}> {NEWS}"))
        await server.until(lambda s: any(r.path.endswith("/reactions/🗑️/@me") for r in s.requests))
        assert any(r.path.endswith("/typing") for r in server.requests)


async def test_an_event_discord_py_cannot_read_is_skipped_and_the_bot_stays_connected(wire_env, llm_env):
    server = wire_env
    async with running_bot(server, llm_env) as task:
        broken = server.message_event(ANNA, [], f"<@{BOT_ID}> {NEWS}")
        del broken["author"]
        server.dispatch("MESSAGE_CREATE", broken)
        server.dispatch("MESSAGE_CREATE", server.message_event(ANNA, [], f"<@{BOT_ID}> {NEWS}"))
        await server.until(lambda s: any(r.body["content"].startswith("📰") for r in s.sent()))
        assert not task.done()


def test_a_sync_answer_without_command_ids_gets_a_german_message(wire_env, capsys):
    wire_env.commands_without_ids = True
    assert main(["sync-commands"]) == 1
    err = capsys.readouterr().err
    assert "Discord hat unerwartet geantwortet" in err and "Traceback" not in err


def test_a_missing_privileged_intent_is_a_clear_message_not_a_traceback(wire_env, capsys):
    wire_env.close_code_after_identify = 4014
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "Message Content Intent" in err and "Traceback" not in err


def test_run_without_a_token_says_what_to_do(monkeypatch, capsys):
    assert main(["run"]) == 2  # configuration
    assert "DISCORD_TOKEN fehlt" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["run", "sync-commands"])
def test_unreachable_discord_is_a_clear_message_not_a_traceback(monkeypatch, capsys, database_url, unused_port,
                                                                command):
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setenv("DISCORD_TOKEN", "test-token")
    monkeypatch.setenv("DISCORD_API_BASE_URL", f"http://127.0.0.1:{unused_port}/api/v10")
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert main([command]) == 1
    err = capsys.readouterr().err
    assert "Discord ist nicht erreichbar" in err and "Traceback" not in err


async def test_sync_commands_syncs_and_touches_nothing_else(wire_env):
    settings = Settings()
    async with open_database(settings) as engine:  # an approved post whose undo window is over: the bot's job
        draft = Draft(GOOD_DRAFTS[0][0], "", 80, "de", False)
        set_id = await SqlDraftStore(engine).save_draft_set(DraftSet(NewsItem(NEWS), [draft]), origin="discord")
        due = datetime.now(UTC) - timedelta(minutes=1)
        await SqlPostStore(engine).create_scheduled(
            set_id=set_id, draft_id=1, text=GOOD_DRAFTS[0][0], source_url=None, approved_by=["4242"],
            approved_at=due, due_at=due, networks=[Network.X])
    assert await sync_commands(settings) == 0
    assert any(r.method == "PUT" and r.path.endswith("/commands") for r in wire_env.requests)
    assert wire_env.sent() == []
    async with open_database(settings) as engine:
        assert (single(await SqlPostStore(engine).for_set(set_id))).state is PostState.SCHEDULED


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_running_bot_answers_healthz_on_the_health_port(wire_env, llm_env, monkeypatch):
    port = _free_port()
    monkeypatch.setenv("HEALTH_PORT", str(port))
    async with running_bot(wire_env, llm_env), aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/healthz"
        for _ in range(100):  # on_ready records the connection just after the commands are synced
            async with http.get(url) as response:
                status, body = response.status, await response.json()
            if status == 200:
                break
            await asyncio.sleep(0.05)
        assert (status, body["status"], body["problems"], body["gateway"]) == (200, "ok", [], "connected")
        assert 0 <= body["heartbeat_age_seconds"] < 60
