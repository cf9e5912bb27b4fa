"""Showing draft sets in the chat and keeping their state line current."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot.core.conversation.ports import Chat, WorkflowStore
from bot.core.conversation.records import Case, DraftEntry, MessageKind, SetRecord, SetState, ShownMessage
from bot.core.conversation.targets import targets
from bot.core.networks import ORDER, Network
from bot.core.posting.ports import PostStore
from bot.core.posting.records import Post, PostState
from bot.core.text.rendering import (
    CONFIRM,
    DISCARD,
    NUMBERS,
    RENEW,
    VOTE_HINT,
    confirm_hint,
    draft_block,
    dropped_line,
    first_message,
    header_reserve,
    network_hint,
    plan_line,
    set_header,
    split_blocks,
    status_label,
    targets_status,
)


def _never(entry: DraftEntry) -> bool:
    return False


class SetBoard:
    """``needs_confirmation``: whether a draft needs an approver's ✅ before approval (then the message showing it
    gets a ✅ button and the hint says so).

    ``tz``: the account's time zone, in which a plan (⏰) is shown in the state line.

    ``networks``: the active networks; with more than one, each message showing drafts carries a reaction per
    network (an approver's reaction leaves it out), and an open set's state line says where its drafts go."""

    def __init__(self, store: WorkflowStore, posts: PostStore, chat: Chat, *,
                 needs_confirmation: Callable[[DraftEntry], bool] = _never,
                 networks: Sequence[Network] = (Network.X,), tz: ZoneInfo | None = None) -> None:
        self._store = store
        self._posts = posts
        self._chat = chat
        self._needs_confirmation = needs_confirmation
        self.tz = tz or ZoneInfo("UTC")
        self.networks = [network for network in ORDER if network in networks]
        self._toggles = [network.emoji for network in self.networks] if len(self.networks) > 1 else []
        # Edits of one set's header run one at a time, each rendering the state read inside the lock,
        # so the last edit always shows the newest state.
        self._render_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def show_set(self, case: Case, set_id: int) -> None:
        await self.show_new_set(case, await self._store.set_record(set_id), new=False)

    async def show_new_set(self, case: Case, record: SetRecord, *, new: bool = True) -> None:
        """Show a set; ``new``: it was just stored (as ``record``), so it has no plan and no network left out."""
        set_id = record.id
        gated = {d.number for d in record.drafts if self._needs_confirmation(d)}
        # A draft that needs ✅ stands in a message of its own, its hint beside it: that ✅ means this one draft.
        blocks: list[tuple[int | None, str]] = [
            (d.number, draft_block(d) + (f"\n{confirm_hint(d.number)}" if d.number in gated else ""))
            for d in record.drafts]
        if record.dropped:
            blocks.append((None, dropped_line(record.dropped)))
        hints: list[tuple[int | None, str]] = [(None, VOTE_HINT)]
        if self._toggles:
            hints.append((None, network_hint(self.networks)))
        header = set_header(case.news, await self._label(record, [], new=new))
        chunks = split_blocks([*blocks, *hints], limit=self._chat.max_message_chars,
                              first_reserve=header_reserve(header), alone=frozenset(gated))
        for index, chunk in enumerate(chunks):
            first, last = index == 0, index == len(chunks) - 1
            text = first_message(header, chunk.body) if first else chunk.body
            message_id = await self._chat.send(case.channel_id, text)
            # Remembered before the reactions go on, so no vote can arrive for an unknown message.
            await self._store.remember_message(ShownMessage(
                message_id, case.channel_id, case.id, MessageKind.DRAFTS, set_id,
                {n: record.entry(n).id for n in chunk.numbers}, chunk.body, first,
            ))
            toggles = self._toggles if chunk.numbers else []
            reactions = ([NUMBERS[n - 1] for n in chunk.numbers] + toggles
                         + ([CONFIRM] if gated & set(chunk.numbers) else []) + ([RENEW, DISCARD] if last else []))
            await self._chat.add_reactions(case.channel_id, message_id, reactions)

    async def show_edit(self, case: Case, set_id: int, entry: DraftEntry) -> None:
        text = (f"✏️ Neue Fassung von Entwurf {entry.number} (die obige zählt nicht mehr):\n\n"
                + draft_block(entry, edited=True))
        if self._needs_confirmation(entry):
            text += "\n\n" + confirm_hint(entry.number)
        message_id = await self._chat.send(case.channel_id, text)
        await self._store.remember_message(ShownMessage(
            message_id, case.channel_id, case.id, MessageKind.EDIT, set_id, {entry.number: entry.id}))
        confirm = [CONFIRM] if self._needs_confirmation(entry) else []
        await self._chat.add_reactions(case.channel_id, message_id,
                                       [NUMBERS[entry.number - 1], *self._toggles, *confirm])

    async def posts_of(self, set_id: int) -> list[Post]:
        return await self._posts.for_set(set_id)

    async def status(self, set_id: int) -> str:
        record = await self._store.set_record(set_id)
        posts = await self._posts.for_set(set_id)
        number = await self._store.draft_number(posts[0].draft_id) if posts else None
        return await self._label(record, posts, number)

    async def _label(self, record: SetRecord, posts: list[Post], number: int | None = None, *,
                     new: bool = False) -> str:
        """The state line; an open set with several networks also says where its drafts go; a plan (⏰) still
        ahead says when. A ``new`` set has neither plan nor networks left out: nothing to read."""
        label = status_label(record.state, posts, number) + ("" if new else await self._plan_part(record, posts))
        if posts or record.state is not SetState.OPEN or len(self.networks) < 2 or not record.drafts:
            return label
        off = {} if new else await self._store.networks_off(record.id)
        going = {entry.number: targets(entry, self.networks, off.get(entry.number, frozenset()))
                 for entry in record.drafts}
        return f"{label} — {targets_status(going)}"

    async def _plan_part(self, record: SetRecord, posts: list[Post]) -> str:
        if record.state is SetState.DISCARDED or (posts and not any(p.state is PostState.SCHEDULED for p in posts)):
            return ""
        plan = await self._store.plan(record.id)
        if plan is None or plan.planned_at is None:
            return ""
        if posts:  # approved: the time the posts wait for (a plan may have moved them)
            waiting = [p.due_at for p in posts if p.state is PostState.SCHEDULED and p.planned]
            return f" — {plan_line(min(waiting), self.tz)}" if waiting else ""
        return f" — {plan_line(plan.planned_at, self.tz)}"

    async def refresh(self, set_id: int) -> None:
        """Rewrite the state line of the set's first message."""
        async with self._render_locks[set_id]:
            case = await self._store.case_for_set(set_id)
            if case is None:
                return  # a set made outside a conversation is shown nowhere
            status = await self.status(set_id)
            for shown in await self._store.messages_of_set(set_id, MessageKind.DRAFTS):
                if shown.first:
                    text = first_message(set_header(case.news, status), shown.body)
                    await self._chat.edit(shown.channel_id, shown.message_id, text)
