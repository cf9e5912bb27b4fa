"""The workflow core with an in-memory chat, the SQL store on SQLite, a scripted LLM and a fake publisher."""

import asyncio
from datetime import time
from zoneinfo import ZoneInfo

import pytest

from bot.adapters.storage.database import StorageError
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.summaries import SqlSummaryStore
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.approval import ApprovalPolicy, Reactor
from bot.core.conversation.board import SetBoard
from bot.core.conversation.intents import Intent, hand_edit, in_case, in_dm, outside_case
from bot.core.conversation.records import DraftEntry, Pending
from bot.core.conversation.workflow import ReactionEvent, Workflow
from bot.core.drafting.models import NewsItem
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.core.errors import LLMTransientError, PublishError, SpitzfederError
from bot.core.notices import Announcement
from bot.core.posting.announcer import ChatAnnouncer
from bot.core.posting.service import PostingService
from bot.core.reach.summary import SummaryService
from bot.core.text.rendering import NUMBERS, draft_block, split_blocks, thread_name
from bot.settings import DEFAULT_PROMPTS_DIR
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.fakes.llm import ScriptedLLM
from tests.fakes.members import FakeMembers
from tests.fakes.publisher import FakePublisher, single
from tests.fakes.samples import GOOD_DRAFTS, NEWS

ANNA, BERT, CARLA, ROBOT = 1, 2, 3, 4
CHANNEL, GUILD = 500, 600


class GatedPublisher(FakePublisher):
    """Holds every publish until the test opens the gate."""

    def __init__(self, clock) -> None:
        super().__init__(clock)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def publish(self, text, *, key=None, source_line=None):
        self.entered.set()
        await self.gate.wait()
        return await super().publish(text, key=key, source_line=source_line)


class Rig:
    def __init__(self, engine, *, undo=30, publisher=None, source_as_reply=False, llm=None, store=None,
                 **policy) -> None:
        self.clock = FakeClock()
        self.llm = llm or ScriptedLLM()
        self.chat = FakeChat()
        self.members = FakeMembers()
        self.store = store(engine, self.clock) if store else SqlWorkflowStore(engine, self.clock)
        self.posts = SqlPostStore(engine)
        self.audit = SqlAuditLog(engine, self.clock)
        self.publisher = publisher or FakePublisher(self.clock)
        board = SetBoard(self.store, self.posts, self.chat,  # ✅ buttons as bot/wiring.py puts them
                         needs_confirmation=lambda entry: self.workflow.policy.needs_source_check(
                             entry.needs_source_check))
        self.announcer = ChatAnnouncer(self.store, board, self.chat, summary_channel_id=900)
        self.wakes: list[str] = []  # the scheduler's posting lane, woken on every approval and retry
        self.posting = PostingService(self.posts, self.publisher, self.audit, self.announcer, self.clock,
                                      wake=lambda: self.wakes.append("posting"))
        drafting = DraftingService(self.llm, PromptLibrary.load(DEFAULT_PROMPTS_DIR), max_attempts=1)
        self.workflow = Workflow(
            drafting=drafting, articles=None, store=self.store, posts=self.posts, posting=self.posting,
            audit=self.audit, chat=self.chat, members=self.members, board=board,
            policy=ApprovalPolicy(approver_user_ids=frozenset({ANNA, BERT}), **policy),
            undo_seconds=undo, default_count=4, source_as_reply=source_as_reply,
        )
        self.posting.still_approved = self.workflow.still_approved  # as bot/wiring.py does

    async def start(self, requester=CARLA):
        self.llm.drafts(*GOOD_DRAFTS)
        news = await self.workflow.read_news(NEWS)
        case = await self.workflow.take_news(news, origin="test", requester_id=requester, guild_id=GUILD,
                                             channel_id=CHANNEL, anchor_message_id=1)
        return case, self.chat.last(case.channel_id)

    async def run_due(self):
        """What the woken posting lane does: publish what is due."""
        assert self.wakes, "nothing woke the posting lane"
        self.wakes.clear()
        await self.posting.run_due()

    def react(self, message, emoji, user, *, added=True, bot=False):
        return self.workflow.on_reaction(ReactionEvent(message.id, message.channel_id, emoji,
                                                       Reactor(user, is_bot=bot), added))


async def test_drafting_shows_the_set_with_reactions_in_a_new_thread(engine):
    rig = Rig(engine)
    case, message = await rig.start()
    assert rig.chat.threads == {case.channel_id: "Die Stadt Hamburg erhöht zum 1. Januar die Preise im Nahverkehr "
                                                 "um durchschnittlich 9,5 Prozent."}
    assert message.reactions == [*NUMBERS[:4], "🔁", "🗑️"] and rig.chat.busy == [case.channel_id]


class AskedLLM(ScriptedLLM):
    """Tells when the model was first asked."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()

    async def complete_json(self, messages, schema, *, name="drafts"):
        self.asked.set()
        return await super().complete_json(messages, schema, name=name)


class StoreWaitingForTheModel(SqlWorkflowStore):
    """Stores a case only once the model was asked (it would wait for ever if drafting waited for the case)."""

    llm: AskedLLM
    fails = False

    async def create_case(self, *args, **kwargs):
        await asyncio.wait_for(self.llm.asked.wait(), 10)
        if self.fails:
            raise StorageError("Die Datenbank hat keinen Speicherplatz mehr.")
        return await super().create_case(*args, **kwargs)


@pytest.mark.parametrize("fails", [False, True])
async def test_the_model_drafts_while_the_case_is_stored_and_an_unstored_case_gets_no_drafts(engine, fails):
    llm = AskedLLM().drafts(*GOOD_DRAFTS)
    store = type("Store", (StoreWaitingForTheModel,), {"llm": llm, "fails": fails})
    rig = Rig(engine, llm=llm, store=store)
    news = await rig.workflow.read_news(NEWS)
    if fails:
        with pytest.raises(StorageError):
            await rig.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD,
                                         channel_id=CHANNEL, anchor_message_id=1)
        assert [m.text for m in rig.chat.messages.values()] == []  # no drafts for a news item not stored
        assert await rig.store.unshown_sets() == []
    else:
        case = await rig.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD,
                                            channel_id=CHANNEL, anchor_message_id=1)
        assert GOOD_DRAFTS[0][0] in rig.chat.last(case.channel_id).text


async def test_news_whose_thread_cannot_be_opened_is_not_stored_and_gets_no_drafts(engine):
    rig = Rig(engine)
    rig.llm.drafts(*GOOD_DRAFTS)
    rig.chat.thread_error = SpitzfederError("Ich kann hier keinen Thread öffnen.")
    news = await rig.workflow.read_news(NEWS)
    with pytest.raises(SpitzfederError):
        await rig.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD, channel_id=CHANNEL,
                                     anchor_message_id=1)
    assert rig.chat.messages == {} and await rig.store.latest_case_in(CHANNEL) is None
    for _ in range(20):  # the drafting task had every chance to run: it was cancelled, the model never asked
        await asyncio.sleep(0)
    assert rig.llm.calls == []


async def test_two_approvers_at_the_same_instant_give_one_post(engine):
    rig = Rig(engine, undo=0)
    _, message = await rig.start()
    await asyncio.gather(rig.react(message, "1️⃣", ANNA), rig.react(message, "2️⃣", BERT),
                         rig.react(message, "1️⃣", BERT), rig.react(message, "1️⃣", ANNA))
    assert rig.wakes == ["posting"]  # approved once
    await asyncio.gather(rig.run_due(), rig.posting.run_due())  # the lane and a stray second round
    assert rig.publisher.calls == 1 and len(rig.publisher.timeline) == 1


async def test_a_reaction_while_posting_does_not_post_again(engine):
    publisher = GatedPublisher(FakeClock())
    rig = Rig(engine, undo=0, publisher=publisher)
    _, message = await rig.start()
    await rig.react(message, "1️⃣", ANNA)
    lane = asyncio.create_task(rig.run_due())
    await publisher.entered.wait()
    second = asyncio.create_task(rig.react(message, "2️⃣", BERT))
    another_round = asyncio.create_task(rig.posting.run_due())
    publisher.gate.set()
    await asyncio.gather(lane, second, another_round)
    assert publisher.calls == 1


async def test_a_refusal_is_explained_once_and_the_reaction_removed(engine):
    rig = Rig(engine)
    case, message = await rig.start()
    await rig.react(message, "1️⃣", CARLA)
    await rig.react(message, "2️⃣", CARLA)
    notices = [t for t in rig.chat.texts(case.channel_id) if "nur Freigebende" in t]
    assert len(notices) == 1 and len(rig.chat.removed) == 2


async def test_where_reactions_cannot_be_removed_the_refusal_still_holds(engine):
    rig = Rig(engine, undo=0)
    rig.chat.may_remove = False  # e.g. in a DM
    _, message = await rig.start()
    await rig.react(message, "1️⃣", ROBOT, bot=True)
    await rig.posting.run_due()
    assert rig.publisher.calls == 0 and rig.wakes == []


async def test_withdrawal_before_approval_is_recorded(engine):
    rig = Rig(engine, required=2)
    case, message = await rig.start()
    await rig.react(message, "3️⃣", ANNA)
    await rig.react(message, "3️⃣", ANNA, added=False)
    await rig.react(message, "3️⃣", BERT)
    assert single(await rig.posts.for_set(case.current_set_id)) is None
    actions = [(e.action, e.actor) for e in await rig.audit.entries()]
    assert actions == [("vote", "1"), ("vote_withdrawn", "1"), ("vote", "2")]


async def test_announcements_go_to_the_thread_or_the_summary_channel(engine):
    rig = Rig(engine)
    case, _ = await rig.start()
    await rig.announcer.notify(Announcement("Zahlen für den Thread", set_id=case.current_set_id))
    await rig.announcer.notify(Announcement("Tageszusammenfassung", attachment=("chart.png", b"png")))
    assert rig.chat.texts(case.channel_id)[-1] == "Zahlen für den Thread"
    assert rig.chat.texts(900) == ["Tageszusammenfassung"]


async def test_a_failed_post_is_retried_with_the_renew_reaction(engine):
    rig = Rig(engine, undo=0)
    case, message = await rig.start()
    rig.publisher.failures.append(PublishError("X ist gerade gestört (HTTP 503).", retryable=True))
    await rig.react(message, "1️⃣", ANNA)
    await rig.run_due()
    failure = rig.chat.last(case.channel_id)
    assert failure.text.startswith("⚠️ Entwurf 1 konnte nicht auf X gepostet werden: X ist gerade gestört")
    assert failure.reactions == ["🔁", "❌"] and failure.text.endswith("🔁 versucht es erneut, ❌ gibt ihn auf.")
    await rig.react(failure, "🔁", ANNA)
    await rig.run_due()
    assert len(rig.publisher.timeline) == 1
    assert rig.chat.last(case.channel_id).text.startswith("✅ Entwurf 1 ist auf X gepostet")


async def test_a_failed_post_can_be_given_up_with_cancel(engine):
    rig = Rig(engine, undo=0)
    case, message = await rig.start()
    rig.publisher.failures.append(PublishError("X ist gerade gestört (HTTP 503).", retryable=True))
    await rig.react(message, "1️⃣", ANNA)
    await rig.run_due()
    await rig.react(rig.chat.last(case.channel_id), "❌", BERT)
    assert single(await rig.posts.for_set(case.current_set_id)).state.value == "cancelled"
    assert rig.publisher.calls == 1 and rig.publisher.timeline == []


class HeldLLM:
    """LLM calls wait until ``calls_to_wait_for`` of them have arrived, or until ``release`` is set."""

    def __init__(self, rig: Rig, calls_to_wait_for: int | None = None) -> None:
        self.entered, self.release = asyncio.Event(), asyncio.Event()
        self._arrived, self._wanted, self._answer = 0, calls_to_wait_for, rig.llm.complete_json
        rig.llm.complete_json = self._held

    async def _held(self, messages, schema, **options):
        self._arrived += 1
        self.entered.set()
        if self._arrived == self._wanted:
            self.release.set()
        await self.release.wait()
        return await self._answer(messages, schema, **options)


async def test_two_news_items_at_once_are_drafted_side_by_side(engine):
    rig = Rig(engine)
    HeldLLM(rig, calls_to_wait_for=2)  # the first answer comes only once the second request is in
    (first, _), (second, _) = await asyncio.wait_for(asyncio.gather(rig.start(), rig.start()), 10)
    assert first.channel_id != second.channel_id
    for case in (first, second):
        assert rig.chat.texts(case.channel_id)[0].startswith("📰")


async def test_renew_while_a_wish_is_drafted_waits_for_it_and_then_asks_for_nothing_more(engine):
    rig = Rig(engine)
    case, message = await rig.start()
    llm = HeldLLM(rig)
    rig.llm.drafts(*GOOD_DRAFTS[1:])
    wish = asyncio.create_task(rig.workflow.wish(case, "bert", "kürzer"))
    await llm.entered.wait()
    renew = asyncio.create_task(rig.react(message, "🔁", CARLA))  # on the set the wish is replacing
    llm.release.set()
    await asyncio.gather(wish, renew)
    assert len(rig.llm.calls) == 2  # the first drafts and the wish; 🔁 on the replaced set asks for nothing
    assert sum(t.startswith("📰") for t in rig.chat.texts(case.channel_id)) == 2


async def test_only_drafting_jobs_without_a_shown_failure_count_as_interrupted(engine):
    rig = Rig(engine)
    failed, _ = await rig.start()
    rig.llm.fail(LLMTransientError("Der LLM-Server hat einen Fehler gemeldet (HTTP 500)."))
    await rig.workflow.wish(failed, "bert", "kürzer")  # failed, and the failure shown with 🔁
    cut_short, _ = await rig.start()
    await rig.store.set_pending(cut_short.id, Pending.REFINE, "schärfer")  # what a stop mid-job leaves
    assert [case.id for case in await rig.store.interrupted_cases()] == [cut_short.id]
    await rig.workflow.report_interrupted()
    assert rig.chat.last(cut_short.channel_id).reactions == ["🔁"]
    assert await rig.store.interrupted_cases() == []


# --- rendering and reading messages ---

def _entry(number: int, evidence_chars: int = 600) -> DraftEntry:
    text = f"Wer trägt am Ende die Kosten für Vorhaben Nummer {number}, und warum sagt das niemand offen?"
    return DraftEntry(number, number, text, "Beleg " * (evidence_chars // 6), True, 90,
                      ("Prämisse nicht belegt", "Enthält Link (Post mit Link kostet bei X mehr)"))


MESSAGE_LIMIT = 2000


def test_long_sets_are_split_between_drafts_never_inside_one():
    blocks = [(n, draft_block(_entry(n))) for n in range(1, 9)]
    chunks = split_blocks([*blocks, (None, "Hinweis")], limit=MESSAGE_LIMIT)
    assert len(chunks) > 1
    assert [n for chunk in chunks for n in chunk.numbers] == list(range(1, 9))
    assert len(chunks[0].body) <= MESSAGE_LIMIT - 260 and all(len(c.body) <= MESSAGE_LIMIT for c in chunks)
    for chunk in chunks:
        for number in chunk.numbers:
            assert draft_block(_entry(number)) in chunk.body


def test_thread_names_fit_discord():
    news = NewsItem("Ein sehr langer Satz " * 20 + ". Noch einer.")
    assert len(thread_name(news)) <= 100 and thread_name(news).endswith("…")
    assert thread_name(NewsItem("x" * 30, title="Kurzer Titel")) == "Kurzer Titel"


@pytest.mark.parametrize("text, intent", [
    ("hallo", Intent.HELP),
    ("Was kannst du eigentlich alles?", Intent.HELP),
    ("Welche Frage lief diese Woche am besten?", Intent.STATS),
    ("https://example.org/artikel", Intent.NEWS),
    (NEWS, Intent.NEWS),
])
def test_reading_a_message_outside_a_thread(text, intent):
    assert outside_case(text) is intent


def test_reading_messages_in_a_thread_and_in_a_dm():
    assert in_case("kürzer") is Intent.REFINE
    assert in_case("2: Warum eigentlich?") is Intent.HAND_EDIT
    assert hand_edit("2: Warum eigentlich?") == (2, "Warum eigentlich?", "")
    assert hand_edit("2: Warum eigentlich? | Beleg: „Der Senat begründet“") == (2, "Warum eigentlich?",
                                                                               "„Der Senat begründet“")
    # quote marks stay as written (the evidence search ignores them; the draft shows one pair)
    assert hand_edit("2: Warum? | Beleg: Der Senat nennt es „alternativlos“")[2] == "Der Senat nennt es „alternativlos“"
    assert hand_edit("3: Wer zahlt?|beleg:Energiekosten ") == (3, "Wer zahlt?", "Energiekosten")
    assert in_dm("schärfer bitte", has_case=True) is Intent.REFINE
    assert in_dm(NEWS, has_case=True) is Intent.NEWS
    assert in_dm("schärfer bitte", has_case=False) is Intent.HELP


async def test_a_summary_the_chat_could_not_take_is_sent_again_later(engine):
    """Posting notices may be lost in a chat outage; the daily summary may not."""
    rig = Rig(engine)
    store = SqlSummaryStore(engine)
    await store.claim_summary(rig.clock.now().date().replace(year=2025), at=rig.clock.now())  # not a new install
    summary = SummaryService(store, rig.announcer, rig.clock, summary_time=time(9, 0), tz=ZoneInfo("UTC"))
    rig.chat.down = True
    with pytest.raises(ConnectionError):
        await summary.run_due()
    rig.chat.down = False
    assert await summary.run_due() is None  # a pause before the next try
    rig.clock.advance(60)
    assert await summary.run_due() is not None
    assert rig.chat.texts(900)[0].startswith("📊")
    assert await summary.run_due() is None


async def test_a_deciding_vote_stored_just_before_a_stop_is_approved_at_start(engine):
    rig = Rig(engine, required=2)
    case, _ = await rig.start()
    record = await rig.store.set_record(case.current_set_id)
    first, second = record.drafts[0], record.drafts[1]
    await rig.store.add_vote(record.id, first.id, ANNA)
    await rig.store.add_vote(record.id, first.id, BERT)  # the stop came before the approval was stored
    await rig.store.add_vote(record.id, second.id, ANNA)  # one vote short: stays open
    await rig.workflow.resume_approvals()
    post = single(await rig.posts.for_set(record.id))
    assert post.draft_id == first.id and post.approved_by == [str(ANNA), str(BERT)]
    await rig.workflow.resume_approvals()  # once
    assert "wird in 30 s gepostet" in rig.chat.texts(case.channel_id)[-1]


async def test_votes_are_checked_again_when_the_quorum_would_be_reached(engine):
    rig = Rig(engine, required=2)
    case, message = await rig.start()
    await rig.react(message, "1️⃣", ANNA)
    rig.workflow.policy = ApprovalPolicy(approver_user_ids=frozenset({BERT, CARLA}), required=2)  # after a restart
    await rig.react(message, "1️⃣", BERT)
    assert single(await rig.posts.for_set(case.current_set_id)) is None
    assert "Die Stimme von <@1> für Entwurf 1 zählt nicht mehr (keine Freigabe-Berechtigung mehr)." \
        in rig.chat.texts(case.channel_id)
    actions = [(e.action, e.actor) for e in await rig.audit.entries()]
    assert actions == [("vote", "1"), ("vote", "2"), ("vote_dropped", "1")]
    await rig.react(message, "1️⃣", CARLA)  # a second approver who still is one
    assert (single(await rig.posts.for_set(case.current_set_id))).approved_by == ["2", "3"]


async def test_resumed_approvals_drop_votes_that_no_longer_qualify(engine):
    rig = Rig(engine, required=2)
    case, message = await rig.start()
    await rig.react(message, "1️⃣", ANNA)
    rig.workflow.policy = ApprovalPolicy(approver_user_ids=frozenset({ANNA, BERT}), required=1)
    rig.members.gone.add(ANNA)  # left the server while the bot was down
    await rig.workflow.resume_approvals()
    assert single(await rig.posts.for_set(case.current_set_id)) is None
    assert any("nicht mehr auf dem Server" in t for t in rig.chat.texts(case.channel_id))


async def test_a_new_set_is_shown_before_the_old_one_is_marked_replaced(engine):
    rig = Rig(engine)
    case, first = await rig.start()
    rig.llm.drafts(*GOOD_DRAFTS[1:])
    rig.chat.failing_sends = 1  # showing the new set times out
    await rig.workflow.wish(case, "bert", "kürzer")
    assert "ersetzt" not in rig.chat.messages[first.id].text  # the old set is not sent away to nothing
    failure = rig.chat.last(case.channel_id)
    assert "ließen sich aber nicht anzeigen" in failure.text and failure.reactions == ["🔁"]
    await rig.react(failure, "🔁", BERT)
    assert len(rig.llm.calls) == 2  # 🔁 shows the stored set; it does not draft again
    assert rig.chat.last(case.channel_id).text.startswith("📰") and "ersetzt" in rig.chat.messages[first.id].text


async def test_a_set_a_stop_left_unshown_is_shown_at_the_next_start(engine):
    rig = Rig(engine)
    case, _ = await rig.start()
    rig.llm.drafts(*GOOD_DRAFTS[1:])
    rig.chat.down = True  # neither the set nor the failure reaches the chat
    with pytest.raises(ConnectionError):
        await rig.workflow.wish(case, "bert", "kürzer")
    rig.chat.down = False
    assert len(await rig.store.unshown_sets()) == 1
    await rig.workflow.deliver_unshown()  # what the bot does at start
    assert rig.chat.last(case.channel_id).text.startswith("📰") and await rig.store.unshown_sets() == []
    assert await rig.store.interrupted_cases() == []


async def test_a_drafting_job_that_dies_of_anything_ends_with_a_message_and_retry(engine):
    rig = Rig(engine)
    case, _ = await rig.start()
    rig.llm.fail(AttributeError("'str' object has no attribute 'choices'"))
    await rig.workflow.wish(case, "bert", "kürzer")
    failure = rig.chat.last(case.channel_id)
    assert "unerwarteter Fehler" in failure.text and failure.reactions == ["🔁"]
    rig.llm.drafts(*GOOD_DRAFTS[1:])
    await rig.react(failure, "🔁", BERT)
    assert rig.chat.last(case.channel_id).text.startswith("📰")


# --- approvals checked again when the undo window ends ---

async def test_an_approval_that_lapsed_in_the_undo_window_cancels_the_post(engine):
    rig = Rig(engine)
    case, message = await rig.start()
    await rig.react(message, "1️⃣", ANNA)
    rig.workflow.policy = ApprovalPolicy(approver_user_ids=frozenset({BERT}))  # Anna is no approver any more
    rig.clock.advance(30)
    await rig.run_due()
    post = single(await rig.posts.for_set(case.current_set_id))
    assert post.state.value == "cancelled" and rig.publisher.calls == 0
    notice = rig.chat.last(case.channel_id).text
    assert notice.startswith("🛑 Entwurf 1 wird nicht gepostet: Die Freigabe von <@1> gilt nicht mehr "
                             "(keine Freigabe-Berechtigung mehr). Bitte neu abstimmen")
    assert ("approval_withdrawn", "1") in [(e.action, e.actor) for e in await rig.audit.entries()]
    assert "abgebrochen" in rig.chat.messages[message.id].text  # the set's status line
    rig.llm.drafts(*GOOD_DRAFTS[1:])
    await rig.react(message, "🔁", BERT)  # new drafts to vote on
    assert rig.chat.last(case.channel_id).text.startswith("📰") and len(rig.llm.calls) == 2


async def test_self_approval_forbidden_in_the_undo_window_cancels_the_post(engine):
    rig = Rig(engine)
    case, message = await rig.start(requester=ANNA)
    await rig.react(message, "2️⃣", ANNA)  # allowed when she voted
    rig.workflow.policy = ApprovalPolicy(approver_user_ids=frozenset({ANNA, BERT}), allow_self_approval=False)
    rig.clock.advance(30)
    await rig.run_due()
    assert single(await rig.posts.for_set(case.current_set_id)).state.value == "cancelled" and rig.publisher.calls == 0
    assert "Die Freigabe von <@1> gilt nicht mehr (wer die Meldung eingebracht hat, darf sie nicht selbst " \
           "freigeben)." in rig.chat.last(case.channel_id).text


async def test_approvals_that_still_hold_post_as_usual(engine):
    rig = Rig(engine, required=2)
    case, message = await rig.start()
    await rig.react(message, "1️⃣", ANNA)
    await rig.react(message, "1️⃣", BERT)
    rig.clock.advance(30)
    await rig.run_due()
    assert single(await rig.posts.for_set(case.current_set_id)).state.value == "posted" and rig.publisher.calls == 1


async def test_a_retry_of_a_failed_post_is_not_checked_again(engine):
    rig = Rig(engine, undo=0)
    case, message = await rig.start()
    rig.publisher.failures.append(PublishError("X ist gerade gestört (HTTP 503).", retryable=True))
    await rig.react(message, "1️⃣", ANNA)
    await rig.run_due()
    rig.workflow.policy = ApprovalPolicy(approver_user_ids=frozenset({BERT}))
    await rig.react(rig.chat.last(case.channel_id), "🔁", BERT)  # an approver asked for it
    await rig.run_due()
    assert single(await rig.posts.for_set(case.current_set_id)).state.value == "posted" and rig.publisher.calls == 2
