"""A running bot in SimCord's in-memory Discord, with the fake LLM, a fake clock and a recording publisher."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

import discord
import pytest
import simcord
from discord.gateway import DiscordWebSocket

from bot.adapters.discord.runner import DiscordBot, build_bot
from bot.app import Services, services
from bot.core.approval import ApprovalPolicy
from bot.settings import Settings
from tests.conftest import GOOD_DRAFTS, NEWS
from tests.discord.fake_discord import FakeDiscord
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.publisher import FakePublisher


@dataclass
class World:
    env: simcord.Env
    bot: DiscordBot
    app: Services
    settings: Settings
    clock: FakeClock
    publisher: FakePublisher
    llm: FakeOpenAI
    guild: simcord.GuildHandle
    channel: simcord.ChannelHandle
    anna: simcord.MemberActor  # approver (role)
    bert: simcord.MemberActor  # approver (role)
    carla: simcord.MemberActor  # brings news, no approver
    robot: simcord.MemberActor  # another bot with the approver role
    stack: AsyncExitStack

    def policy(self, **changes) -> None:
        values = dict(approver_role_ids=self.bot.workflow.policy.approver_role_ids,
                      approver_user_ids=self.bot.workflow.policy.approver_user_ids,
                      required=self.bot.workflow.policy.required,
                      allow_self_approval=self.bot.workflow.policy.allow_self_approval)
        self.bot.workflow.policy = ApprovalPolicy(**(values | changes))

    def thread(self) -> simcord.ChannelHandle:
        [thread] = self.channel.threads
        return thread

    def bot_messages(self, channel: simcord.ChannelHandle) -> list:
        return [m for m in channel.history() if m.author.id == self.env.bot.user.id]

    def draft_message(self, channel: simcord.ChannelHandle | None = None):
        """The newest message carrying a draft set."""
        return next(m for m in reversed(self.bot_messages(channel or self.thread())) if m.content.startswith("📰"))

    async def build(self) -> DiscordBot:
        """A fresh bot on the same database, as after a restart."""
        self.app = await self.stack.enter_async_context(services(self.settings, clock=self.clock))
        policy = self.bot.workflow.policy if self.bot else None
        self.bot = build_bot(self.app, publisher=self.publisher)
        if policy:
            self.bot.workflow.policy = policy
        return self.bot

    async def restart(self) -> None:
        old_policy = self.bot.workflow.policy
        await self.build()
        self.bot.workflow.policy = old_policy
        await self.env.restart_bot(self.bot.client)

    async def tick(self) -> None:
        """What the ticker does once, run directly instead of waiting for real time."""
        await self.bot.ticker.run_once()


def reply_drafts(llm: FakeOpenAI, drafts=GOOD_DRAFTS) -> None:
    llm.reply_drafts(*drafts)


@pytest.fixture
def settings(tmp_path, fake_openai) -> Settings:
    return Settings(openai_api_key="sk-test-key-123456", openai_base_url=fake_openai.base_url,
                    openai_model="test-model", llm_max_attempts=1,
                    database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", post_undo_seconds=30)


@pytest.fixture
async def world(settings, fake_openai, clock):
    async with AsyncExitStack() as stack:
        world = World(None, None, None, settings, clock, FakePublisher(clock), fake_openai,
                      None, None, None, None, None, None, stack)
        await world.build()
        env = world.env = simcord.Env(world.bot.client)
        await env.start()
        stack.push_async_callback(env.shutdown)
        world.guild = env.create_guild("Redaktion")
        world.channel = world.guild.create_text_channel("nachrichten")
        approvers = world.guild.create_role("Freigabe")
        world.anna = world.guild.add_member(env.create_user("anna"), roles=[approvers])
        world.bert = world.guild.add_member(env.create_user("bert"), roles=[approvers])
        world.carla = world.guild.add_member(env.create_user("carla"))
        world.robot = world.guild.add_member(env.create_user("robot", bot=True), roles=[approvers])
        world.bot.workflow.policy = ApprovalPolicy(approver_role_ids=frozenset({approvers.id}))
        await env.settle()
        yield world
    env.raise_errors()  # whatever the bot raised and did not handle fails the test


async def start_news(world: World, who=None) -> None:
    reply_drafts(world.llm)
    await (who or world.carla).send(world.channel, f"{world.env.bot.user.mention} {NEWS}")


def texts(world: World, channel: simcord.ChannelHandle) -> list[str]:
    return [m.content for m in world.bot_messages(channel)]


async def audit(world: World) -> list[tuple[str, str | None]]:
    return [(e.action, e.actor) for e in await world.app.audit.entries()]


@pytest.fixture
def fake_discord(monkeypatch):
    """The local Discord-compatible server; discord.py points back at discord.com afterwards."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)
    server = FakeDiscord().start()
    yield server
    server.stop()
