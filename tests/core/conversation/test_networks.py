"""Drafts for several networks: lengths per network, the network reactions, approval to what is left, and
per-network failures with 🔁 — the workflow with fake publishers for X, Bluesky and Mastodon."""

import asyncio

from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.approval import ApprovalPolicy, Reactor
from bot.core.conversation.board import SetBoard
from bot.core.conversation.workflow import ReactionEvent, Workflow
from bot.core.drafting.lengths import limits_for
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.posting.announcer import ChatAnnouncer
from bot.core.posting.records import PostState
from bot.core.posting.service import PostingService
from bot.settings import DEFAULT_PROMPTS_DIR
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.fakes.llm import ScriptedLLM
from tests.fakes.members import FakeMembers
from tests.fakes.publisher import FakePublisher
from tests.fakes.samples import GOOD_DRAFTS, NEWS

ANNA, BERT, CARLA = 1, 2, 3
CHANNEL, GUILD = 500, 600
ALL = (Network.X, Network.BLUESKY, Network.MASTODON)
X, BSKY, MASTO = "🐦", "🦋", "🐘"

# 282 characters: over X's 280, within Bluesky's 300 and Mastodon's 500.
LONG = ("Wer zahlt am Ende für die gestiegenen Energiekosten, wenn der Senat die Preise im Nahverkehr um "
        "durchschnittlich 9,5 Prozent erhöht, obwohl Bürgermeister Tschentscher im Wahlkampf stabile "
        "Ticketpreise versprochen hatte, und warum sollen ausgerechnet die Fahrgäste das allein tragen?")
LONG_DRAFT = (LONG, "Der Senat begründet den Schritt mit gestiegenen Energiekosten.")


class Rig:
    def __init__(self, engine, networks=ALL, *, undo=0, limits=None, chat=None) -> None:
        self.clock = FakeClock()
        self.llm = ScriptedLLM()
        self.chat = chat or FakeChat()
        self.store = SqlWorkflowStore(engine, self.clock)
        self.posts = SqlPostStore(engine)
        self.audit = SqlAuditLog(engine, self.clock)
        self.publishers = {network: FakePublisher(self.clock, network) for network in networks}
        board = SetBoard(self.store, self.posts, self.chat, networks=networks)
        self.announcer = ChatAnnouncer(self.store, board, self.chat, summary_channel_id=900)
        self.posting = PostingService(self.posts, self.publishers, self.audit, self.announcer, self.clock)
        drafting = DraftingService(self.llm, PromptLibrary.load(DEFAULT_PROMPTS_DIR), max_attempts=1,
                                   network_limits=limits_for(networks, **(limits or {})))
        self.workflow = Workflow(
            drafting=drafting, articles=None, store=self.store, posts=self.posts, posting=self.posting,
            audit=self.audit, chat=self.chat, members=FakeMembers(), board=board,
            policy=ApprovalPolicy(approver_user_ids=frozenset({ANNA, BERT})), undo_seconds=undo, default_count=4,
        )
        self.posting.still_approved = self.workflow.still_approved

    async def start(self, *drafts):
        self.llm.drafts(*(drafts or GOOD_DRAFTS))
        news = await self.workflow.read_news(NEWS)
        self.case = await self.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD,
                                                  channel_id=CHANNEL, anchor_message_id=1)
        return self.chat.carrying(self.case.channel_id, "1️⃣")

    def react(self, message, emoji, user, *, added=True):
        return self.workflow.on_reaction(ReactionEvent(message.id, message.channel_id, emoji, Reactor(user), added))

    def posted(self, network: Network) -> list[str]:
        return [text for _, _, text in self.publishers[network].timeline]

    def status(self) -> str:
        first = self.chat.carrying(self.case.channel_id, "1️⃣")
        return next(line for line in self.chat.messages[first.id].text.splitlines() if line.startswith("Status:"))

    def texts(self) -> list[str]:
        return self.chat.texts(self.case.channel_id)


async def test_a_drafts_message_carries_one_reaction_per_network_after_the_numbers(engine):
    rig = Rig(engine)
    message = await rig.start()
    assert message.reactions == ["1️⃣", "2️⃣", "3️⃣", "4️⃣", X, BSKY, MASTO, "🔁", "🗑️"]
    assert rig.status() == "Status: **offen — geht an: X, Bluesky, Mastodon**"
    assert "🐦 🦋 🐘 lässt das Netzwerk" in message.text
    assert "81/280 X · 81/300 Bluesky · 81/500 Mastodon" in message.text


async def test_with_x_alone_nothing_changes(engine):
    rig = Rig(engine, (Network.X,))
    message = await rig.start()
    assert message.reactions == ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "🔁", "🗑️"]
    assert rig.status() == "Status: **offen**" and "X · " not in message.text and "Netzwerke" not in message.text


async def test_a_network_left_out_before_approval_gets_nothing(engine):
    rig = Rig(engine)
    message = await rig.start()
    await rig.react(message, X, ANNA)
    assert rig.status() == "Status: **offen — geht an: Bluesky, Mastodon**"
    await rig.react(message, "2️⃣", BERT)
    await rig.posting.run_due()
    assert rig.posted(Network.X) == []
    assert rig.posted(Network.BLUESKY) == rig.posted(Network.MASTODON) == [GOOD_DRAFTS[1][0]]
    assert any(text.startswith("✅ Entwurf 2 ist freigegeben") and "Geht an: Bluesky, Mastodon" in text
               for text in rig.texts())


async def test_removing_the_reaction_takes_the_network_in_again(engine):
    rig = Rig(engine)
    message = await rig.start()
    await rig.react(message, MASTO, ANNA)
    await rig.react(message, MASTO, ANNA, added=False)
    assert rig.status() == "Status: **offen — geht an: X, Bluesky, Mastodon**"
    await rig.react(message, "1️⃣", BERT)
    await rig.posting.run_due()
    assert all(rig.posted(network) == [GOOD_DRAFTS[0][0]] for network in ALL)


async def test_a_network_stays_out_while_any_approver_left_it_out(engine):
    rig = Rig(engine)
    message = await rig.start()
    await rig.react(message, BSKY, ANNA)
    await rig.react(message, BSKY, BERT)
    await rig.react(message, BSKY, ANNA, added=False)
    assert rig.status() == "Status: **offen — geht an: X, Mastodon**"


async def test_a_toggle_by_a_non_approver_is_refused(engine):
    rig = Rig(engine)
    message = await rig.start()
    await rig.react(message, X, CARLA)
    assert rig.chat.removed == [(message.id, X, CARLA)]
    assert any("nur Freigebende" in text for text in rig.texts())
    assert rig.status() == "Status: **offen — geht an: X, Bluesky, Mastodon**"
    await rig.react(message, X, CARLA, added=False)  # the bot removed it: nothing changes
    await rig.react(message, "1️⃣", ANNA)
    await rig.posting.run_due()
    assert all(rig.posted(network) for network in ALL)


async def test_after_approval_the_toggles_change_nothing(engine):
    rig = Rig(engine, undo=30)
    message = await rig.start()
    await rig.react(message, "1️⃣", ANNA)
    await rig.react(message, X, BERT)
    rig.clock.advance(31)
    await rig.posting.run_due()
    assert all(rig.posted(network) for network in ALL)


async def test_with_every_network_left_out_nothing_is_approved_and_the_thread_hears_why(engine):
    rig = Rig(engine, (Network.X, Network.BLUESKY))
    message = await rig.start(LONG_DRAFT, *GOOD_DRAFTS[1:])
    await rig.react(message, BSKY, ANNA)
    await rig.react(message, "1️⃣", BERT)
    assert await rig.posts.for_set(rig.case.current_set_id) == []
    assert rig.texts()[-1].startswith("Entwurf 1 kann an kein Netzwerk gehen: Bluesky abgewählt, für X zu lang.")
    await rig.react(message, BSKY, ANNA, added=False)  # in again: the waiting vote approves it
    await rig.posting.run_due()
    assert rig.posted(Network.BLUESKY) == [LONG] and rig.posted(Network.X) == []


async def test_a_draft_too_long_for_x_goes_to_the_others_and_says_so(engine):
    rig = Rig(engine)
    message = await rig.start(LONG_DRAFT, *GOOD_DRAFTS[1:])
    assert "282/280 X · 282/300 Bluesky · 282/500 Mastodon" in message.text
    assert "⚠️ zu lang für X \\(282/280\\) — geht nur an Bluesky, Mastodon" in message.text  # escaped for the chat
    assert rig.status() == "Status: **offen — geht an: X, Bluesky, Mastodon (Entwurf 1: Bluesky, Mastodon)**"
    await rig.react(message, "1️⃣", ANNA)
    await rig.posting.run_due()
    assert rig.posted(Network.X) == [] and rig.posted(Network.BLUESKY) == rig.posted(Network.MASTODON) == [LONG]


async def test_a_draft_too_long_for_every_network_is_dropped(engine):
    rig = Rig(engine, (Network.X, Network.BLUESKY))
    too_long = LONG.replace("Wer zahlt", "Wer zahlt denn nun wirklich und ganz am Ende")
    rig.llm.drafts((too_long, LONG_DRAFT[1]), *GOOD_DRAFTS[1:])  # the repair round gives the same
    message = await rig.start((too_long, LONG_DRAFT[1]), *GOOD_DRAFTS[1:])
    assert "1 Entwurf verworfen: Zu lang für jedes Netzwerk \\(317/280 X · 317/300 Bluesky\\)" in message.text, \
        message.text


async def test_one_network_failing_does_not_stop_the_others_and_retry_repeats_only_it(engine):
    rig = Rig(engine)
    message = await rig.start()
    rig.publishers[Network.BLUESKY].failures.append(PublishError("Bluesky antwortet nicht.", retryable=True))
    await rig.react(message, "3️⃣", ANNA)
    await rig.posting.run_due()
    assert rig.posted(Network.X) == rig.posted(Network.MASTODON) == [GOOD_DRAFTS[2][0]]
    assert rig.posted(Network.BLUESKY) == []
    failure = rig.chat.carrying(rig.case.channel_id, "❌")
    assert failure.text.startswith("⚠️ Entwurf 3 konnte nicht auf Bluesky gepostet werden: Bluesky antwortet nicht.")
    assert failure.text.endswith("🔁 versucht es erneut, nur wo es fehlgeschlagen ist; ❌ gibt es dort auf. "
                                 "Die anderen Netzwerke bleiben, wie sie sind.")
    assert "Bluesky: fehlgeschlagen" in rig.status() and "X: gepostet" in rig.status()
    await rig.react(failure, "🔁", ANNA)
    await rig.posting.run_due()
    assert [rig.publishers[network].calls for network in ALL] == [1, 2, 1]
    assert rig.posted(Network.BLUESKY) == [GOOD_DRAFTS[2][0]]
    assert rig.status() == "Status: **gepostet (Entwurf 3)**"
    links = [text for text in rig.texts() if text.startswith("✅ Entwurf 3 ist auf")]
    assert sorted(link.split(":")[0] for link in links) == ["✅ Entwurf 3 ist auf Bluesky gepostet",
                                                            "✅ Entwurf 3 ist auf Mastodon gepostet",
                                                            "✅ Entwurf 3 ist auf X gepostet"]
    assert links[-1].startswith("✅ Entwurf 3 ist auf Bluesky")  # the retried one came last


async def test_giving_up_a_failed_network_leaves_the_posted_ones(engine):
    rig = Rig(engine)
    message = await rig.start()
    rig.publishers[Network.MASTODON].failures.append(PublishError("Mastodon lehnt ab.", retryable=True))
    await rig.react(message, "1️⃣", ANNA)
    await rig.posting.run_due()
    failure = rig.chat.carrying(rig.case.channel_id, "❌")
    await rig.react(failure, "❌", BERT)
    states = {post.network: post.state for post in await rig.posts.for_set(rig.case.current_set_id)}
    assert states == {Network.X: PostState.POSTED, Network.BLUESKY: PostState.POSTED,
                      Network.MASTODON: PostState.CANCELLED}
    assert any(text.startswith("🛑 Abgebrochen von") and "auf Mastodon nicht gepostet" in text
               for text in rig.texts())


async def test_toggles_survive_a_restart(engine):
    rig = Rig(engine)
    message = await rig.start()
    await rig.react(message, MASTO, ANNA)
    again = Rig(engine)  # a new process on the same database
    again.case = rig.case
    await again.react(message, "4️⃣", BERT)
    await again.posting.run_due()
    assert [post.network for post in await again.posts.for_set(rig.case.current_set_id)] == [Network.X,
                                                                                             Network.BLUESKY]


async def test_a_hand_edit_is_measured_per_network_and_its_message_carries_the_network_reactions(engine):
    rig = Rig(engine, limits=dict(mastodon_limit=100))
    await rig.start()
    await rig.workflow.hand_edit(rig.case, "anna", 2, LONG[:120].rstrip() + "?", GOOD_DRAFTS[0][1])
    edit = rig.chat.last(rig.case.channel_id)
    assert edit.reactions == ["2️⃣", X, BSKY, MASTO]
    assert "121/280 X · 121/300 Bluesky · 121/100 Mastodon" in edit.text and "zu lang für Mastodon" in edit.text
    await rig.react(edit, BSKY, ANNA)
    assert rig.status() == "Status: **offen — geht an: X, Bluesky, Mastodon (Entwurf 2: X)**"
    await rig.react(edit, "2️⃣", BERT)
    await rig.posting.run_due()
    assert rig.posted(Network.X) == [LONG[:120].rstrip() + "?"] and rig.posted(Network.BLUESKY) == []


async def test_two_processes_toggling_at_once_lose_nothing(engine):
    first = Rig(engine)
    message = await first.start()
    second = Rig(engine, chat=first.chat)  # another process on the same database and the same chat
    await asyncio.gather(first.react(message, X, ANNA), second.react(message, MASTO, BERT))
    assert await first.store.networks_off(first.case.current_set_id) == {
        number: frozenset({Network.X, Network.MASTODON}) for number in (1, 2, 3, 4)}
