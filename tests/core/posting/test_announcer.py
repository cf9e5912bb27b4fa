"""The chat announcer: where each notice goes, how it reads, its reactions, and what a chat outage does."""

from datetime import timedelta

import pytest

from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.posts import SqlPostStore
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.board import SetBoard
from bot.core.conversation.records import MessageKind
from bot.core.drafting.checks import check_draft
from bot.core.drafting.models import DraftSet, NewsItem
from bot.core.networks import Network
from bot.core.notices import AmplifierSpotted, Announcement, PostCancelled, PostFailed, PostPublished, PostScheduled
from bot.core.posting.announcer import ChatAnnouncer
from bot.core.posting.records import PostState
from bot.core.text.rendering import CANCEL, RENEW, cancelled_text, failed_text, published_text, set_header
from tests.fakes.chat import FakeChat
from tests.fakes.samples import GOOD_DRAFTS, NEWS

THREAD, SUMMARY = 500, 900
NEWS_ITEM = NewsItem(NEWS)
CHART = ("chart.png", b"\x89PNG")


class AttachmentChat(FakeChat):
    """Remembers the attachment sent with each message."""

    def __init__(self) -> None:
        super().__init__()
        self.attachments: dict[int, tuple[str, bytes] | None] = {}

    async def send(self, channel_id: int, text: str, *, attachment=None) -> int:
        message_id = await super().send(channel_id, text)
        self.attachments[message_id] = attachment
        return message_id


class Rig:
    def __init__(self, engine, clock, summary_channel_id: int | None = SUMMARY) -> None:
        self.clock = clock
        self.chat = AttachmentChat()
        self.store = SqlWorkflowStore(engine, clock)
        self.posts = SqlPostStore(engine)
        self.board = SetBoard(self.store, self.posts, self.chat)
        self.announcer = ChatAnnouncer(self.store, self.board, self.chat, summary_channel_id)

    async def shown_set(self) -> int:
        """A conversation in THREAD with a draft set on show; returns the set's id."""
        case = await self.store.create_case(NEWS_ITEM, origin="test", requester_id=1, guild_id=None,
                                            channel_id=THREAD, count=4)
        drafts = [check_draft(text, evidence, NEWS_ITEM) for text, evidence in GOOD_DRAFTS]
        set_id = (await self.store.add_set(case, DraftSet(NEWS_ITEM, drafts))).id
        await self.board.show_set(case, set_id)
        return set_id

    async def post(self, set_id: int, number: int = 2, *, undo: int = 30, state: PostState = PostState.SCHEDULED,
                   **fields):
        """The set's post for draft ``number``, moved to ``state`` with ``fields``."""
        draft = (await self.store.set_record(set_id)).draft(number)
        [post] = await self.posts.create_scheduled(set_id=set_id, draft_id=draft.id, text=draft.text,
                                                   source_url=None, approved_by=["anna"],
                                                   approved_at=self.clock.now(), networks=[Network.X],
                                                   due_at=self.clock.now() + timedelta(seconds=undo))
        if state is PostState.SCHEDULED:
            return post
        return await self.posts.transition(post.id, {PostState.SCHEDULED}, state, **fields)

    def header_line(self) -> str:
        """The state line of the set's first message."""
        return self.chat.texts(THREAD)[0].splitlines()[2]


@pytest.fixture
def rig(engine, clock) -> Rig:
    return Rig(engine, clock)


# --- announcements ---

async def test_an_announcement_for_a_set_goes_to_its_thread(rig):
    set_id = await rig.shown_set()
    await rig.announcer.notify(Announcement("📈 Zahlen nach 24 h", set_id=set_id, attachment=CHART))
    message = rig.chat.last(THREAD)
    assert message.text == "📈 Zahlen nach 24 h" and rig.chat.attachments[message.id] == CHART


async def test_a_notable_amplifier_is_told_in_the_posts_thread(rig):
    set_id = await rig.shown_set()
    await rig.announcer.notify(AmplifierSpotted(set_id, "presse_1", "quote", 12_100, "Journalistin", "Na **so** was",
                                                "https://x.com/presse_1/status/9"))
    assert rig.chat.last(THREAD).text == ("💬 Zitiert von @presse\\_1 (Journalistin, 12.100 Follower): "
                                          "„Na \\*\\*so\\*\\* was“ <https://x.com/presse_1/status/9>")


async def test_an_announcement_without_set_goes_to_the_summary_channel(rig):
    await rig.announcer.notify(Announcement("📊 Wochenzusammenfassung", attachment=CHART))
    message = rig.chat.last(SUMMARY)
    assert message.text == "📊 Wochenzusammenfassung" and rig.chat.attachments[message.id] == CHART


async def test_an_announcement_without_set_is_dropped_when_there_is_no_summary_channel(engine, clock):
    rig = Rig(engine, clock, summary_channel_id=None)
    await rig.announcer.notify(Announcement("📊 Wochenzusammenfassung"))
    await rig.announcer.notify(Announcement("📊 Monatsbericht", must_arrive=True))
    assert rig.chat.messages == {}


async def test_an_announcement_for_a_set_without_conversation_is_dropped(rig, engine):
    set_id = await SqlDraftStore(engine).save_draft_set(DraftSet(NEWS_ITEM, []), origin="cli")
    await rig.announcer.notify(Announcement("📈 Zahlen", set_id=set_id, must_arrive=True))
    assert rig.chat.messages == {}


async def test_an_announcement_that_must_arrive_raises_when_the_chat_fails(rig):
    rig.chat.down = True
    with pytest.raises(ConnectionError):
        await rig.announcer.notify(Announcement("📊 Wochenzusammenfassung", must_arrive=True))


async def test_an_ordinary_announcement_is_lost_quietly_when_the_chat_fails(rig):
    rig.chat.down = True
    await rig.announcer.notify(Announcement("📊 Wochenzusammenfassung"))
    assert rig.chat.messages == {}


# --- posting events ---

async def test_a_scheduled_post_with_undo_window_can_be_cancelled_with_a_reaction(rig):
    set_id = await rig.shown_set()
    await rig.announcer.notify(PostScheduled((await rig.post(set_id, 2, undo=30),)))
    message = rig.chat.last(THREAD)
    assert message.text == (f"⏳ Entwurf 2 wird in 30 s gepostet (freigegeben von anna): „{GOOD_DRAFTS[1][0]}“ "
                            f"— {CANCEL} zum Abbrechen\nOhne Quellenlink: die Meldung wurde als Text eingefügt.")
    assert message.reactions == [CANCEL]


async def test_a_scheduled_post_without_undo_window_gets_no_reaction(rig):
    set_id = await rig.shown_set()
    await rig.announcer.notify(PostScheduled((await rig.post(set_id, 3, undo=0),)))
    message = rig.chat.last(THREAD)
    assert message.text.startswith("✅ Entwurf 3 ist freigegeben (von anna) und wird jetzt gepostet: „Wohin")
    assert message.reactions == []


async def test_a_scheduled_post_refreshes_the_sets_state_line(rig):
    set_id = await rig.shown_set()
    await rig.announcer.notify(PostScheduled((await rig.post(set_id, 2),)))
    assert rig.header_line() == "Status: **freigegeben (Entwurf 2)**"


async def test_a_post_event_is_remembered_as_an_announcement(rig):
    set_id = await rig.shown_set()
    await rig.announcer.notify(PostScheduled((await rig.post(set_id, 2),)))
    message = rig.chat.last(THREAD)
    shown = await rig.store.message(message.id)
    case = await rig.store.case_for_set(set_id)
    assert (shown.kind, shown.set_id, shown.case_id, shown.channel_id, shown.numbers) == (
        MessageKind.ANNOUNCEMENT, set_id, case.id, THREAD, {})


async def test_a_cancellation_by_a_user_id_mentions_the_user(rig):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 2, state=PostState.CANCELLED)
    await rig.announcer.notify(PostCancelled((post,), by="2"))
    assert rig.chat.last(THREAD).text == cancelled_text(2, "<@2>", [post])
    assert rig.header_line() == "Status: **abgebrochen (Entwurf 2)**"


async def test_a_cancellation_by_a_name_shows_the_name(rig):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 2, state=PostState.CANCELLED)
    await rig.announcer.notify(PostCancelled((post,), by="Kommandozeile"))
    assert rig.chat.last(THREAD).text == "🛑 Abgebrochen von Kommandozeile: Entwurf 2 wird nicht gepostet."


async def test_a_published_post_links_it_and_updates_the_state_line(rig):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 1, state=PostState.POSTED, remote_id="1000",
                          url="https://x.com/acct/status/1000")
    await rig.announcer.notify(PostPublished(post))
    message = rig.chat.last(THREAD)
    assert message.text == "✅ Entwurf 1 ist auf X gepostet: https://x.com/acct/status/1000" and message.reactions == []
    assert rig.header_line() == "Status: **gepostet (Entwurf 1)**"


async def test_a_published_post_with_a_notice_adds_it_as_a_warning(rig):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 1, state=PostState.POSTED, remote_id="1000", url="https://x.com/acct/status/1000")
    await rig.announcer.notify(PostPublished(post, notice="Der Link wurde von X gekürzt."))
    assert rig.chat.last(THREAD).text == published_text(1, post) + "\n⚠️ Der Link wurde von X gekürzt."


async def test_a_dry_run_post_says_it_was_simulated(rig):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 1, state=PostState.POSTED, remote_id="sim-1", simulated=True)
    await rig.announcer.notify(PostPublished(post))
    assert rig.chat.last(THREAD).text.startswith("🧪 Entwurf 1: simuliert (Dry Run)")
    assert rig.header_line() == "Status: **gepostet (Entwurf 1) — simuliert (Dry Run)**"


@pytest.mark.parametrize(("retryable", "uncertain", "reactions"), [
    (True, False, [RENEW, CANCEL]),  # surely not on X: try again or give up
    (True, True, [RENEW]),  # may be on X: only a retry, which looks first
    (False, False, []),  # final: new drafts are the way on
])
async def test_a_failed_post_offers_the_reactions_that_fit(rig, retryable, uncertain, reactions):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 2, state=PostState.FAILED, error="X ist gerade gestört.", retryable=retryable,
                          uncertain=uncertain)
    await rig.announcer.notify(PostFailed(post))
    message = rig.chat.last(THREAD)
    assert message.text == failed_text(2, post) and message.reactions == reactions


async def test_a_failed_post_updates_the_state_line(rig):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 2, state=PostState.FAILED, error="X ist gerade gestört.", retryable=True)
    await rig.announcer.notify(PostFailed(post))
    assert rig.header_line() == (f"Status: **freigegeben (Entwurf 2) — Posten fehlgeschlagen, "
                                 f"{RENEW} versucht es erneut**")


async def test_a_post_event_outside_a_conversation_is_not_shown(rig, engine, clock):
    drafts = [check_draft(text, evidence, NEWS_ITEM) for text, evidence in GOOD_DRAFTS]
    set_id = await SqlDraftStore(engine).save_draft_set(DraftSet(NEWS_ITEM, drafts), origin="cli")
    posts = await rig.posts.create_scheduled(set_id=set_id, draft_id=1, text="Frage?", source_url=None,
                                             approved_by=["cli"], approved_at=clock.now(), due_at=clock.now(),
                                             networks=[Network.X])
    await rig.announcer.notify(PostScheduled(tuple(posts)))
    assert rig.chat.messages == {}


async def test_a_post_event_is_lost_quietly_when_the_chat_fails(rig):
    set_id = await rig.shown_set()
    post = await rig.post(set_id, 2)
    rig.chat.down = True
    await rig.announcer.notify(PostScheduled((post,)))
    assert len(rig.chat.messages) == 1  # only the set itself
    assert rig.chat.texts(THREAD)[0].startswith(set_header(NEWS_ITEM, "offen"))


async def test_a_failure_on_one_of_several_networks_says_retry_and_giving_up_act_only_there(rig):
    set_id = await rig.shown_set()
    draft = (await rig.store.set_record(set_id)).entry(2)
    x, bluesky = await rig.posts.create_scheduled(
        set_id=set_id, draft_id=draft.id, text=draft.text, source_url=None, approved_by=["anna"],
        approved_at=rig.clock.now(), due_at=rig.clock.now(), networks=[Network.X, Network.BLUESKY])
    await rig.announcer.notify(PostScheduled((x, bluesky)))
    assert "\nGeht an: X, Bluesky\n" in rig.chat.last(THREAD).text
    failed = await rig.posts.transition(bluesky.id, {PostState.SCHEDULED}, PostState.FAILED,
                                        error="Bluesky antwortet nicht.", retryable=True)
    await rig.announcer.notify(PostFailed(failed))
    message = rig.chat.last(THREAD)
    assert message.text == failed_text(2, failed, alone=False) and message.reactions == [RENEW, CANCEL]
    assert "nur wo es fehlgeschlagen ist" in message.text
    assert rig.header_line() == "Status: **freigegeben (Entwurf 2) — X: wartet, Bluesky: fehlgeschlagen**"
