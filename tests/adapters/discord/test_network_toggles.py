"""The network reactions (🐦 🦋 🐘) with the real discord.py client in SimCord's Discord: the client hands them
to the workflow, an approver's reaction leaves a network out, its removal takes it in again, and approval posts
to what is left — with fake publishers for X, Bluesky and Mastodon."""

from contextlib import AsyncExitStack

import pytest
import simcord

from bot.adapters.discord.client import Access, BotServices, Desk, SpitzfederClient
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.workflow import SqlCommandSyncs, SqlWorkflowStore
from bot.core.conversation.approval import ApprovalPolicy
from bot.core.conversation.board import SetBoard
from bot.core.conversation.workflow import Workflow
from bot.core.drafting.lengths import limits_for
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.core.networks import Network
from bot.core.posting.announcer import ChatAnnouncer
from bot.core.posting.service import PostingService
from bot.core.text.rendering import help_text
from bot.settings import DEFAULT_PROMPTS_DIR
from tests.fakes.llm import ScriptedLLM
from tests.fakes.publisher import FakePublisher
from tests.fakes.samples import GOOD_DRAFTS, NEWS

NETWORKS = [Network.X, Network.BLUESKY, Network.MASTODON]


class _Driven:
    def start(self) -> None:
        pass

    async def stop(self, grace_seconds: float) -> None:
        pass


class NetWorld:
    def __init__(self, engine, clock) -> None:
        self.clock = clock
        self.llm = ScriptedLLM()
        self.publishers = {network: FakePublisher(clock, network) for network in NETWORKS}
        store, posts, audit = SqlWorkflowStore(engine, clock), SqlPostStore(engine), SqlAuditLog(engine, clock)
        self.posts = posts

        def services(chat, members) -> BotServices:
            board = SetBoard(store, posts, chat, networks=NETWORKS)
            announcer = ChatAnnouncer(store, board, chat, None)
            posting = PostingService(posts, self.publishers, audit, announcer, clock)
            drafting = DraftingService(self.llm, PromptLibrary.load(DEFAULT_PROMPTS_DIR), max_attempts=1,
                                       network_limits=limits_for(NETWORKS))
            workflow = Workflow(drafting=drafting, articles=None, store=store, posts=posts, posting=posting,
                                audit=audit, chat=chat, members=members, board=board, policy=ApprovalPolicy(),
                                undo_seconds=0, default_count=4)
            desk = Desk("standard", workflow, posting, None, Access(frozenset(), frozenset()))  # type: ignore[arg-type]
            return BotServices([desk], _Driven(), warm_up=lambda: None)

        self.client = SpitzfederClient(command_syncs=SqlCommandSyncs(engine, clock), services=services)

    @property
    def workflow(self) -> Workflow:
        return self.client.desks["standard"].workflow

    def thread(self) -> simcord.ChannelHandle:
        [thread] = self.channel.threads
        return thread

    def texts(self) -> list[str]:
        return [m.content for m in self.thread().history() if m.author.id == self.env.bot.user.id]

    def draft_message(self):
        return next(m for m in self.thread().history() if m.content.startswith("📰"))

    def posted(self, network: Network) -> list[str]:
        return [text for _, _, text in self.publishers[network].timeline]


@pytest.fixture
async def net_world(engine, clock):
    async with AsyncExitStack() as stack:
        world = NetWorld(engine, clock)
        env = world.env = simcord.Env(world.client)
        await env.start()
        stack.push_async_callback(env.shutdown)
        guild = env.create_guild("Redaktion")
        world.channel = guild.create_text_channel("nachrichten")
        approvers = guild.create_role("Freigabe")
        world.anna = guild.add_member(env.create_user("anna"), roles=[approvers])
        world.carla = guild.add_member(env.create_user("carla"))
        world.workflow.policy = ApprovalPolicy(approver_role_ids=frozenset({approvers.id}))
        await env.settle()
        yield world
    env.raise_errors()


async def start(world: NetWorld) -> None:
    world.llm.drafts(*GOOD_DRAFTS)
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {NEWS}")


async def test_network_reactions_travel_through_discord_and_leave_a_network_out(net_world):
    world = net_world
    await start(world)
    message = world.draft_message()
    reactions = [str(r.emoji) for r in message.reactions]
    assert reactions[:7] == ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "🐦", "🦋", "🐘"]
    assert "Status: **offen — geht an: X, Bluesky, Mastodon**" in message.content
    await world.anna.react(message, "🐦")
    await world.anna.react(message, "🐘")
    await world.anna.unreact(message, "🐘")  # in again
    assert "Status: **offen — geht an: Bluesky, Mastodon**" in world.draft_message().content
    await world.anna.react(message, "2️⃣")
    await world.client.desks["standard"].posting.run_due()
    assert world.posted(Network.X) == []
    assert world.posted(Network.BLUESKY) == world.posted(Network.MASTODON) == [GOOD_DRAFTS[1][0]]
    assert any("Geht an: Bluesky, Mastodon" in text for text in world.texts())


async def test_a_network_reaction_of_someone_without_approval_rights_is_removed(net_world):
    world = net_world
    await start(world)
    message = world.draft_message()
    await world.carla.react(message, "🦋")
    assert {str(r.emoji): r.count for r in world.draft_message().reactions}["🦋"] == 1  # only the bot's
    assert "Status: **offen — geht an: X, Bluesky, Mastodon**" in world.draft_message().content
    assert any("nur Freigebende" in text for text in world.texts())


async def test_the_help_names_the_networks_and_their_reactions(net_world):
    world = net_world
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} hilfe")
    [answer] = [m.content for m in world.channel.history() if m.author.id == world.env.bot.user.id]
    assert answer == help_text(NETWORKS) and "🦋 Bluesky" in answer
