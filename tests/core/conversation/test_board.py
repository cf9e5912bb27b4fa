"""The set board: a draft set shown in the chat, its reactions, and its state line kept current."""

import asyncio
from datetime import timedelta

import pytest

from bot.adapters.storage.posts import SqlPostStore
from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.board import SetBoard
from bot.core.conversation.records import MessageKind, SetState
from bot.core.drafting.checks import check_draft
from bot.core.drafting.models import Draft, DraftSet, NewsItem
from bot.core.networks import Network
from bot.core.posting.records import PostState
from bot.core.text.rendering import (
    DISCARD,
    NUMBERS,
    RENEW,
    VOTE_HINT,
    draft_block,
    first_message,
    set_header,
)
from tests.fakes.chat import FakeChat
from tests.fakes.samples import GOOD_DRAFTS, NEWS

THREAD = 500
NEWS_ITEM = NewsItem(NEWS)

MESSAGE_LIMIT = 2000  # the chat's limit (FakeChat and Discord)


def header(status: str) -> str:
    return set_header(NEWS_ITEM, status)


def good_drafts() -> list[Draft]:
    return [check_draft(text, evidence, NEWS_ITEM) for text, evidence in GOOD_DRAFTS]


def long_drafts(count: int = 4) -> list[Draft]:
    """Drafts so long that a set of them needs more than one message."""
    return [Draft(f"Frage {n}: " + "sehr lang " * 70 + "?", "Der Senat", 280, "de", True) for n in range(1, count + 1)]


class HeldEditChat(FakeChat):
    """Holds the next edit until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.hold_next = False
        self.held = asyncio.Event()
        self.gate = asyncio.Event()

    async def edit(self, channel_id: int, message_id: int, text: str) -> None:
        if self.hold_next:
            self.hold_next = False
            self.held.set()
            await self.gate.wait()
        await super().edit(channel_id, message_id, text)


@pytest.fixture
def chat() -> HeldEditChat:
    return HeldEditChat()


@pytest.fixture
def store(engine, clock) -> SqlWorkflowStore:
    return SqlWorkflowStore(engine, clock)


@pytest.fixture
def posts(engine) -> SqlPostStore:
    return SqlPostStore(engine)


@pytest.fixture
def board(store, posts, chat) -> SetBoard:
    return SetBoard(store, posts, chat)


@pytest.fixture
async def case(store):
    return await store.create_case(NEWS_ITEM, origin="test", requester_id=1, guild_id=None, channel_id=THREAD,
                                   count=4)


async def add_set(store, case, drafts=None) -> int:
    return (await store.add_set(case, DraftSet(NEWS_ITEM, drafts or good_drafts()))).id


async def approve(store, posts, clock, set_id: int, number: int):
    draft = (await store.set_record(set_id)).draft(number)
    [post] = await posts.create_scheduled(set_id=set_id, draft_id=draft.id, text=draft.text, source_url=None,
                                          approved_by=["anna"], approved_at=clock.now(), networks=[Network.X],
                                          due_at=clock.now() + timedelta(seconds=30))
    return post


# --- showing a set ---

async def test_a_small_set_is_one_message_with_header_drafts_and_hint(board, store, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    [message] = chat.messages.values()
    record = await store.set_record(set_id)
    body = "\n\n".join([*(draft_block(d) for d in record.drafts), VOTE_HINT])
    assert message.channel_id == THREAD
    assert message.text == first_message(header("offen"), body)


async def test_a_small_set_gets_a_number_per_draft_then_renew_and_discard(board, store, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    assert chat.last(THREAD).reactions == [*NUMBERS[:4], RENEW, DISCARD]


async def test_the_shown_set_is_remembered_with_its_draft_ids(board, store, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    message = chat.last(THREAD)
    shown = await store.message(message.id)
    record = await store.set_record(set_id)
    assert (shown.kind, shown.set_id, shown.case_id, shown.channel_id, shown.first) == (
        MessageKind.DRAFTS, set_id, case.id, THREAD, True)
    assert shown.numbers == {d.number: d.id for d in record.drafts}
    assert message.text == first_message(header("offen"), shown.body)


async def test_a_long_set_is_split_with_the_header_only_on_the_first_message(board, store, case, chat):
    set_id = await add_set(store, case, long_drafts())
    await board.show_set(case, set_id)
    messages = list(chat.messages.values())
    assert len(messages) > 1
    assert messages[0].text.startswith(header("offen"))
    assert not any(m.text.startswith("📰") for m in messages[1:])
    assert all(len(m.text) <= MESSAGE_LIMIT for m in messages)
    assert messages[-1].text.endswith(VOTE_HINT)


async def test_a_long_set_puts_each_number_on_its_draft_and_renew_discard_on_the_last(board, store, case, chat):
    set_id = await add_set(store, case, long_drafts())
    await board.show_set(case, set_id)
    messages = list(chat.messages.values())
    for message in messages:
        numbers = [r for r in message.reactions if r in NUMBERS]
        assert all(f"{emoji} Frage" in message.text for emoji in numbers)
    assert [r for m in messages for r in m.reactions if r in NUMBERS] == NUMBERS[:4]
    assert messages[-1].reactions[-2:] == [RENEW, DISCARD]
    assert not any(RENEW in m.reactions or DISCARD in m.reactions for m in messages[:-1])


async def test_of_a_long_set_only_the_first_message_is_remembered_as_first(board, store, case, chat):
    set_id = await add_set(store, case, long_drafts())
    await board.show_set(case, set_id)
    shown = await store.messages_of_set(set_id, MessageKind.DRAFTS)
    assert [s.message_id for s in shown] == list(chat.messages)
    assert [s.first for s in shown] == [True] + [False] * (len(shown) - 1)
    assert sorted(n for s in shown for n in s.numbers) == [1, 2, 3, 4]


async def test_a_hand_edit_is_shown_with_its_number_only(board, store, case, chat):
    set_id = await add_set(store, case)
    entry = await store.add_draft_version(set_id, 2, check_draft("Wer zahlt das eigentlich?", "", NEWS_ITEM))
    await board.show_edit(case, set_id, entry)
    message = chat.last(THREAD)
    assert message.text == ("✏️ Neue Fassung von Entwurf 2 (die obige zählt nicht mehr):\n\n"
                            + draft_block(entry, edited=True))
    assert message.reactions == [NUMBERS[1]]
    shown = await store.message(message.id)
    assert (shown.kind, shown.set_id, shown.numbers) == (MessageKind.EDIT, set_id, {2: entry.id})


# --- the state line ---

async def test_status_of_an_open_set_is_offen(board, store, case):
    assert await board.status(await add_set(store, case)) == "offen"


async def test_status_names_the_approved_draft(board, store, posts, clock, case):
    set_id = await add_set(store, case)
    await approve(store, posts, clock, set_id, 3)
    assert await board.status(set_id) == "freigegeben (Entwurf 3)"


async def test_refresh_shows_the_approval_in_the_first_message(board, store, posts, clock, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    await approve(store, posts, clock, set_id, 2)
    await board.refresh(set_id)
    [shown] = await store.messages_of_set(set_id, MessageKind.DRAFTS)
    assert chat.last(THREAD).text == first_message(header("freigegeben (Entwurf 2)"), shown.body)


async def test_refresh_rewrites_only_the_first_message_of_a_long_set(board, store, posts, clock, case, chat):
    set_id = await add_set(store, case, long_drafts())
    await board.show_set(case, set_id)
    before = [m.text for m in chat.messages.values()]
    await approve(store, posts, clock, set_id, 4)
    await board.refresh(set_id)
    after = [m.text for m in chat.messages.values()]
    assert after[0] == before[0].replace(header("offen"), header("freigegeben (Entwurf 4)"))
    assert after[1:] == before[1:]


async def test_refresh_shows_a_dry_run_post(board, store, posts, clock, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    post = await approve(store, posts, clock, set_id, 1)
    await posts.transition(post.id, {PostState.SCHEDULED}, PostState.POSTED, simulated=True, remote_id="sim-1")
    await board.refresh(set_id)
    assert chat.last(THREAD).text.startswith(header("gepostet (Entwurf 1) — simuliert (Dry Run)"))


async def test_refresh_shows_a_failed_post_that_can_be_retried(board, store, posts, clock, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    post = await approve(store, posts, clock, set_id, 2)
    await posts.transition(post.id, {PostState.SCHEDULED}, PostState.FAILED, error="X ist gestört.", retryable=True)
    await board.refresh(set_id)
    assert chat.last(THREAD).text.startswith(
        header(f"freigegeben (Entwurf 2) — Posten fehlgeschlagen, {RENEW} versucht es erneut"))


async def test_refresh_shows_a_discarded_set(board, store, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    await store.change_set_state(set_id, SetState.OPEN, SetState.DISCARDED)
    await board.refresh(set_id)
    assert chat.last(THREAD).text.startswith(header("verworfen"))


async def test_refresh_shows_a_set_replaced_by_newer_drafts(board, store, case, chat):
    old_set = await add_set(store, case)
    await board.show_set(case, old_set)
    first_message_id = chat.last(THREAD).id
    await add_set(store, case)
    await board.refresh(old_set)
    assert chat.messages[first_message_id].text.startswith(header("ersetzt durch neuere Entwürfe (weiter unten)"))


async def test_refresh_of_a_set_never_shown_changes_nothing(board, store, case, chat):
    set_id = await add_set(store, case)
    await board.refresh(set_id)
    assert chat.messages == {}


async def test_refresh_leaves_other_sets_alone(board, store, posts, clock, case, chat):
    first_set = await add_set(store, case)
    await board.show_set(case, first_set)
    second_set = await add_set(store, case)
    await board.show_set(case, second_set)
    await approve(store, posts, clock, second_set, 1)
    await board.refresh(second_set)
    first, second = chat.messages.values()
    assert first.text.startswith(header("offen"))  # shown before it was replaced; not refreshed since
    assert second.text.startswith(header("freigegeben (Entwurf 1)"))


async def test_overlapping_refreshes_end_with_the_newest_state(board, store, case, chat):
    set_id = await add_set(store, case)
    await board.show_set(case, set_id)
    chat.hold_next = True
    earlier = asyncio.create_task(board.refresh(set_id))
    await chat.held.wait()  # the earlier refresh rendered "offen" and waits to edit
    await store.change_set_state(set_id, SetState.OPEN, SetState.DISCARDED)
    later = asyncio.create_task(board.refresh(set_id))
    await asyncio.wait({later}, timeout=0.5)  # the later refresh must not overtake the held one
    chat.gate.set()
    await asyncio.gather(earlier, later)
    assert chat.last(THREAD).text.startswith(header("verworfen"))
