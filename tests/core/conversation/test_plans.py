"""Planned posts: ⏰ asks for a time, an approver's answer (or /planen) plans the set, the approved draft waits for
that time; a restart keeps the plan, a plan missed by more than PLAN_STALE_HOURS asks again."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.approval import ApprovalPolicy, Reactor, SourceRule
from bot.core.conversation.board import SetBoard
from bot.core.conversation.workflow import ReactionEvent, Workflow
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.core.planning.best_time import PostFigures
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
BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


class PlanRig:
    """The workflow as bot/wiring.py builds it, on a database that outlives the rig (a restart is a new rig)."""

    def __init__(self, engine, *, clock=None, undo=30, stale_hours=6, figures=None, **policy) -> None:
        self.clock = clock or FakeClock(WEDNESDAY)
        self.llm = ScriptedLLM()
        self.chat = FakeChat()
        self.store = SqlWorkflowStore(engine, self.clock)
        self.posts = SqlPostStore(engine)
        self.audit = SqlAuditLog(engine, self.clock)
        self.publisher = FakePublisher(self.clock)
        board = SetBoard(self.store, self.posts, self.chat, tz=BERLIN)
        self.announcer = ChatAnnouncer(self.store, board, self.chat, summary_channel_id=900)
        self.posting = PostingService(self.posts, self.publisher, self.audit, self.announcer, self.clock,
                                      plan_stale=timedelta(hours=stale_hours))
        self.workflow = Workflow(
            drafting=DraftingService(self.llm, PromptLibrary.load(DEFAULT_PROMPTS_DIR), max_attempts=1),
            articles=None, store=self.store, posts=self.posts, posting=self.posting, audit=self.audit,
            chat=self.chat, members=FakeMembers(), board=board,
            policy=ApprovalPolicy(approver_user_ids=frozenset({ANNA, BERT}), **policy), undo_seconds=undo,
            default_count=4,
            clock=self.clock, best_time="Di 08:00", figures=figures)
        self.posting.still_approved = self.workflow.still_approved

    async def start(self):
        self.llm.drafts(*GOOD_DRAFTS)
        news = await self.workflow.read_news(NEWS)
        case = await self.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD,
                                             channel_id=CHANNEL, anchor_message_id=1)
        return case, self.chat.carrying(case.channel_id, "1️⃣")

    def react(self, message, emoji, user):
        return self.workflow.on_reaction(ReactionEvent(message.id, message.channel_id, emoji, Reactor(user), True))

    async def say(self, case, user, text):
        """A message in the thread: the time ⏰ asked for, else a wish."""
        case = await self.store.case(case.id)
        if not await self.workflow.answer_plan(case, Reactor(user), text):
            await self.workflow.wish(case, str(user), text)

    def advance_to(self, instant: datetime) -> None:
        self.clock.current = instant


async def _plan(rig: PlanRig, case, message, text: str) -> str:
    await rig.react(message, "⏰", ANNA)
    assert rig.chat.texts(case.channel_id)[-1].startswith("⏰ Wann soll gepostet werden?")
    await rig.say(case, BERT, text)
    return rig.chat.texts(case.channel_id)[-1]


async def test_a_plan_before_the_votes_makes_the_approved_draft_wait_for_its_time(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    answer = await _plan(rig, case, message, "morgen 8:00")
    assert answer.startswith("⏰ Geplant für morgen, 08:00 Uhr (Do, 26.11.).")
    assert "⏰ geplant für Do, 26.11., 08:00 Uhr" in rig.chat.carrying(case.channel_id, "1️⃣").text
    await rig.react(message, "1️⃣", ANNA)
    [post] = await rig.posts.for_set((await rig.store.case(case.id)).current_set_id)
    assert post.planned and post.due_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    notice = rig.chat.last(case.channel_id)
    assert "geplant für Do, 26.11., 08:00 Uhr" in notice.text and notice.reactions == ["❌"]
    rig.advance_to(datetime(2026, 11, 26, 6, 59, tzinfo=UTC))
    await rig.posting.run_due()
    assert rig.publisher.calls == 0
    rig.advance_to(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    await rig.posting.run_due()
    await rig.posting.run_due()
    assert rig.publisher.calls == 1


async def test_a_non_approver_cannot_plan_and_their_message_stays_a_wish(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    await rig.react(message, "⏰", CARLA)
    assert rig.chat.removed == [(message.id, "⏰", CARLA)]
    assert not any(text.startswith("⏰ Wann") for text in rig.chat.texts(case.channel_id))
    await rig.react(message, "⏰", ANNA)
    case = await rig.store.case(case.id)
    assert not await rig.workflow.answer_plan(case, Reactor(CARLA), "morgen 8:00")  # a wish, not the time
    plan = await rig.store.plan(case.current_set_id)
    assert plan is not None and plan.asking and plan.planned_at is None


async def test_an_unreadable_time_keeps_the_question_open(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    answer = await _plan(rig, case, message, "irgendwann bald")
    assert "verstehe ich nicht als Zeitpunkt" in answer and "Die Frage bleibt offen" in answer
    await rig.say(case, ANNA, "in 2 Stunden")
    assert rig.chat.texts(case.channel_id)[-1].startswith("⏰ Geplant: in 2 Stunden (12:00 Uhr).")
    plan = await rig.store.plan((await rig.store.case(case.id)).current_set_id)
    assert plan is not None and not plan.asking and plan.planned_at == WEDNESDAY + timedelta(hours=2)
    assert len(rig.llm.calls) == 1  # neither answer was taken as a wish


async def test_a_plan_after_approval_holds_the_undo_window_and_moves_the_posts(engine):
    rig = PlanRig(engine, undo=30)
    case, message = await rig.start()
    await rig.react(message, "1️⃣", ANNA)
    await rig.react(message, "⏰", BERT)
    assert "Bis dahin geht nichts raus" in rig.chat.texts(case.channel_id)[-1]
    rig.clock.advance(60)  # the undo window is over: the draft waits for the answer
    await rig.posting.run_due()
    assert rig.publisher.calls == 0
    await rig.say(case, ANNA, "heute 14:30")
    assert "Der freigegebene Entwurf wartet bis dahin" in rig.chat.texts(case.channel_id)[-1]
    [post] = await rig.posts.for_set((await rig.store.case(case.id)).current_set_id)
    assert post.state is PostState.SCHEDULED and post.due_at == datetime(2026, 11, 25, 13, 30, tzinfo=UTC)
    rig.advance_to(post.due_at)
    await rig.posting.run_due()
    assert rig.publisher.calls == 1


async def test_cancel_stops_a_planned_post(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    await _plan(rig, case, message, "morgen 8:00")
    await rig.react(message, "1️⃣", ANNA)
    notice = rig.chat.last(case.channel_id)
    await rig.react(notice, "❌", BERT)
    rig.advance_to(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))
    await rig.posting.run_due()
    assert rig.publisher.calls == 0
    [post] = await rig.posts.for_set((await rig.store.case(case.id)).current_set_id)
    assert post.state is PostState.CANCELLED


async def test_a_plan_survives_a_restart_and_posts_once_at_its_time(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    await _plan(rig, case, message, "morgen 8:00")
    await rig.react(message, "1️⃣", ANNA)
    clock = FakeClock(datetime(2026, 11, 26, 6, 0, tzinfo=UTC))
    restarted = PlanRig(engine, clock=clock)  # new services on the same database
    await restarted.posting.reconcile()
    assert restarted.publisher.calls == 0
    assert await restarted.posting.next_due() == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    clock.current = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # down over the planned time, two hours late
    again = PlanRig(engine, clock=clock)
    await again.posting.reconcile()
    await again.posting.run_due()
    assert again.publisher.calls == 1 and rig.publisher.calls == 0


async def test_a_stale_plan_is_not_posted_but_asks_again(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    await _plan(rig, case, message, "morgen 8:00")
    await rig.react(message, "1️⃣", ANNA)
    clock = FakeClock(datetime(2026, 11, 26, 13, 1, tzinfo=UTC))  # more than 6 hours late
    restarted = PlanRig(engine, clock=clock)
    await restarted.posting.reconcile()
    assert restarted.publisher.calls == 0
    notice = restarted.chat.last(case.channel_id)
    assert "mehr als 6 Stunden verpasst" in notice.text and "⏰ oder `/planen` setzt eine neue Zeit" in notice.text
    assert notice.reactions == ["🔁", "❌", "⏰"]
    [post] = await restarted.posts.for_set((await restarted.store.case(case.id)).current_set_id)
    assert post.state is PostState.FAILED and post.retryable
    await restarted.react(notice, "⏰", BERT)  # a new plan schedules it again
    await restarted.say(case, ANNA, "heute 16:00")
    [post] = await restarted.posts.for_set(post.set_id)
    assert post.state is PostState.SCHEDULED and post.due_at == datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
    clock.current = post.due_at
    await restarted.posting.run_due()
    assert restarted.publisher.calls == 1


async def test_planen_command_and_the_queue(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    assert await rig.workflow.queue_text() == "Nichts geplant."
    refused = await rig.workflow.plan_by_command(case.channel_id, Reactor(CARLA), 1, "morgen 8:00")
    assert "nur Freigebende" in refused
    assert "gibt es nicht" in await rig.workflow.plan_by_command(case.channel_id, Reactor(ANNA), 9, "morgen 8:00")
    answer = await rig.workflow.plan_by_command(case.channel_id, Reactor(ANNA), 1, "Mo 7:30")
    assert answer.startswith("⏰ Geplant für Mo, 30.11., 07:30 Uhr")
    await rig.react(message, "2️⃣", BERT)
    queue = await rig.workflow.queue_text()
    assert queue.startswith("⏰ Geplante Posts:\n• Mo, 30.11., 07:30 Uhr — „")
    assert "freigegeben von <@2> — X" in queue


async def test_best_time_uses_the_default_and_says_why(engine):
    async def figures(since: datetime) -> list[PostFigures]:
        return [PostFigures(WEDNESDAY - timedelta(days=1), 0.02)]

    rig = PlanRig(engine, figures=figures)
    case, message = await rig.start()
    answer = await _plan(rig, case, message, "zur besten Zeit")
    assert answer.startswith("⏰ Geplant für Di, 1.12., 08:00 Uhr")
    assert "Standardzeit des Kontos (erst 1 Post mit Zahlen, ab 10 wird gelernt)" in answer


async def test_a_plan_across_the_daylight_saving_change(engine):
    clock = FakeClock(datetime(2027, 3, 27, 12, 0, tzinfo=UTC))  # Saturday 13:00 CET
    rig = PlanRig(engine, clock=clock)
    case, message = await rig.start()
    answer = await _plan(rig, case, message, "morgen 8:00")
    assert answer.startswith("⏰ Geplant für morgen, 08:00 Uhr (So, 28.3.).")
    await rig.react(message, "1️⃣", ANNA)
    [post] = await rig.posts.for_set((await rig.store.case(case.id)).current_set_id)
    assert post.due_at == datetime(2027, 3, 28, 6, 0, tzinfo=UTC)  # 08:00 CEST
    clock.current = datetime(2027, 3, 28, 5, 59, tzinfo=UTC)
    await rig.posting.run_due()
    assert rig.publisher.calls == 0
    clock.current = datetime(2027, 3, 28, 6, 0, tzinfo=UTC)
    await rig.posting.run_due()
    assert rig.publisher.calls == 1


async def test_an_approval_while_the_question_is_open_waits_for_the_answer(engine):
    rig = PlanRig(engine, undo=30)
    case, message = await rig.start()
    await rig.react(message, "⏰", ANNA)
    await rig.react(message, "1️⃣", BERT)
    rig.clock.advance(600)
    await rig.posting.run_due()
    assert rig.publisher.calls == 0
    assert "⏰ wartet auf eine Zeit" in rig.chat.carrying(case.channel_id, "1️⃣").text
    await rig.say(case, ANNA, "in 30 Minuten")
    rig.clock.advance(1800)
    await rig.posting.run_due()
    assert rig.publisher.calls == 1


async def test_a_hand_edit_of_a_planned_approved_draft_withdraws_the_approval(engine):
    rig = PlanRig(engine)
    case, message = await rig.start()
    await _plan(rig, case, message, "morgen 8:00")
    await rig.react(message, "2️⃣", ANNA)
    old_set = (await rig.store.case(case.id)).current_set_id
    await rig.workflow.hand_edit(await rig.store.case(case.id), "anna", 2,
                                 "Warum steigen die Preise im Nahverkehr um 9,5 Prozent?",
                                 "erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich 9,5 Prozent")
    [post] = await rig.posts.for_set(old_set)
    assert post.state is PostState.CANCELLED and post.attempts == 0
    assert any("die Freigabe ist zurückgezogen" in text for text in rig.chat.texts(case.channel_id))
    case = await rig.store.case(case.id)
    assert case.current_set_id != old_set
    record = await rig.store.set_record(case.current_set_id)
    assert record.entry(2).text == "Warum steigen die Preise im Nahverkehr um 9,5 Prozent?"
    assert await rig.store.voters(record.entry(2).id) == []  # the votes must be given again
    new_message = rig.chat.carrying(case.channel_id, "2️⃣")
    assert "⏰ geplant für Do, 26.11., 08:00 Uhr" in rig.chat.carrying(case.channel_id, "1️⃣").text
    await rig.react(new_message, "2️⃣", BERT)
    [post] = await rig.posts.for_set(case.current_set_id)
    assert post.planned and post.due_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert post.text == "Warum steigen die Preise im Nahverkehr um 9,5 Prozent?"
    rig.advance_to(post.due_at)
    await rig.posting.run_due()
    assert [text for _, _, text in rig.publisher.timeline] == [post.text]


async def test_a_hand_edit_withdraws_only_the_edited_drafts_votes(engine):
    rig = PlanRig(engine, required=2)
    case, message = await rig.start()
    await _plan(rig, case, message, "morgen 8:00")
    await rig.react(message, "1️⃣", ANNA)  # 1/2 for draft 1
    await rig.react(message, "2️⃣", ANNA)
    await rig.react(message, "2️⃣", BERT)  # draft 2 approved, planned
    old_set = (await rig.store.case(case.id)).current_set_id
    await rig.workflow.hand_edit(await rig.store.case(case.id), "anna", 2,
                                 "Warum steigen die Preise im Nahverkehr um 9,5 Prozent?",
                                 "erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich 9,5 Prozent")
    assert "Stimmen für die anderen Entwürfe gelten weiter" in rig.chat.texts(case.channel_id)[-2]
    case = await rig.store.case(case.id)
    record = await rig.store.set_record(case.current_set_id)
    assert case.current_set_id != old_set
    assert await rig.store.voters(record.entry(2).id) == []  # the new text needs its votes again
    assert await rig.store.voters(record.entry(1).id) == [ANNA]  # the other drafts keep theirs
    assert [await rig.store.voters(record.entry(n).id) for n in (3, 4)] == [[], []]
    new_message = rig.chat.carrying(case.channel_id, "2️⃣")
    await rig.react(new_message, "1️⃣", BERT)  # completes draft 1: ANNA's vote from before still counts
    [post] = await rig.posts.for_set(case.current_set_id)
    assert post.draft_id == record.entry(1).id and post.approved_by == [str(ANNA), str(BERT)]
    assert post.planned and post.due_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


async def test_a_hand_edit_keeps_the_source_confirmation_of_the_other_drafts(engine):
    rig = PlanRig(engine, source_rule=SourceRule.ALWAYS)
    case, message = await rig.start()
    await _plan(rig, case, message, "morgen 8:00")
    await rig.react(message, "✅", ANNA)  # „Quelle geprüft" for all drafts of the message
    await rig.react(message, "2️⃣", BERT)  # draft 2 approved, planned
    await rig.workflow.hand_edit(await rig.store.case(case.id), "anna", 2,
                                 "Warum steigen die Preise im Nahverkehr um 9,5 Prozent?",
                                 "erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich 9,5 Prozent")
    case = await rig.store.case(case.id)
    record = await rig.store.set_record(case.current_set_id)
    assert await rig.store.confirmers(record.entry(2).id) == []  # the new text is checked anew
    assert [await rig.store.confirmers(record.entry(n).id) for n in (1, 3, 4)] == [[ANNA]] * 3
    assert await rig.store.voters(record.entry(2).id) == []
    await rig.react(rig.chat.carrying(case.channel_id, "2️⃣"), "1️⃣", BERT)  # needs no second ✅
    [post] = await rig.posts.for_set(case.current_set_id)
    assert post.draft_id == record.entry(1).id and post.planned


async def test_a_plan_that_passed_before_the_approval_falls_back_to_the_undo_window(engine):
    rig = PlanRig(engine, undo=30)
    case, message = await rig.start()
    await _plan(rig, case, message, "in 30 Minuten")
    rig.clock.advance(3600)
    await rig.react(message, "1️⃣", ANNA)
    assert any("ist schon vorbei: es gilt die übliche Wartezeit" in text for text in rig.chat.texts(case.channel_id))
    [post] = await rig.posts.for_set((await rig.store.case(case.id)).current_set_id)
    assert not post.planned and post.due_at == rig.clock.now() + timedelta(seconds=30)
