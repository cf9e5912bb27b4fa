"""The Notifier for chat front ends: posting events and announcements, said in the draft set's thread."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from bot.core.conversation.board import SetBoard
from bot.core.conversation.ports import Chat, WorkflowStore
from bot.core.conversation.records import MessageKind, ShownMessage
from bot.core.notices import (
    AmplifierSpotted,
    Announcement,
    ApprovalWithdrawn,
    Notice,
    PostCancelled,
    PostEvent,
    PostFailed,
    PostPublished,
    PostScheduled,
)
from bot.core.reach.alerts import spotted_text
from bot.core.text.rendering import (
    CANCEL,
    PLAN,
    RENEW,
    cancelled_text,
    failed_text,
    plan_label,
    plan_missed,
    planned_text,
    published_text,
    scheduled_text,
    withdrawn_text,
)

log = logging.getLogger(__name__)


class ChatAnnouncer:
    def __init__(self, store: WorkflowStore, board: SetBoard, chat: Chat, summary_channel_id: int | None) -> None:
        """A planned post's time is shown in the board's time zone (the account's)."""
        self._store = store
        self._board = board
        self._chat = chat
        self._summary_channel_id = summary_channel_id

    async def notify(self, notice: Notice) -> None:
        if isinstance(notice, Announcement) and notice.must_arrive:
            await self._announce(notice)  # failures go back to the sender, which tries again later
            return
        # A chat outage must not break posting: the state is already stored, only the notice is lost.
        try:
            if isinstance(notice, Announcement):
                await self._announce(notice)
            elif isinstance(notice, AmplifierSpotted):
                await self._announce(Announcement(spotted_text(notice), set_id=notice.set_id))
            else:
                await self._post_event(notice)
        except Exception:
            log.exception("could not show %s in the chat", type(notice).__name__)

    async def _announce(self, announcement: Announcement) -> None:
        if announcement.set_id is None:
            channel_id = self._summary_channel_id
            if channel_id is None:
                log.warning("announcement dropped: SUMMARY_CHANNEL_ID is not set")
                return
        else:
            case = await self._store.case_for_set(announcement.set_id)
            if case is None:
                log.warning("announcement dropped: set %d has no conversation", announcement.set_id)
                return
            channel_id = case.channel_id
        await self._chat.send(channel_id, announcement.text, attachment=announcement.attachment)

    async def _post_event(self, event: PostEvent) -> None:
        posts = list(event.posts) if isinstance(event, PostScheduled | PostCancelled | ApprovalWithdrawn) \
            else [event.post]
        post = posts[0]
        case = await self._store.case_for_set(post.set_id)
        if case is None:
            return  # a post made outside a conversation (e.g. from the command line)
        number = await self._store.draft_number(post.draft_id) or 0
        reactions: list[str] = []
        match event:
            case PostScheduled() if post.planned:
                text = planned_text(number, plan_label(post.due_at, self._tz), posts,
                                    [self._who(by) for by in post.approved_by])
                reactions = [CANCEL]
            case PostScheduled():
                undo = round((post.due_at - post.approved_at).total_seconds())
                text = scheduled_text(number, undo, posts, [self._who(by) for by in post.approved_by])
                reactions = [CANCEL] if undo > 0 else []
            case PostCancelled(by=by):
                text = cancelled_text(number, self._who(by), posts)
            case ApprovalWithdrawn(reason=reason):
                text = withdrawn_text(number, reason)
                log.info("approval withdrawn: set %d, post %d", post.set_id, post.id)
            case PostPublished(notice=notice):
                text = published_text(number, post) + (f"\n⚠️ {notice}" if notice else "")
                log.info("posted: set %d, post %d on %s%s", post.set_id, post.id, post.network.value,
                         " (simulated)" if post.simulated else "")
            case PostFailed():
                alone = len(await self._board.posts_of(post.set_id)) < 2
                text = failed_text(number, post, alone=alone)
                reactions = ([RENEW] + ([] if post.uncertain else [CANCEL])) if post.retryable else []
                if plan_missed(post):
                    reactions.append(PLAN)
                log.info("post failed: set %d, post %d on %s", post.set_id, post.id, post.network.value)
        message_id = await self._chat.send(case.channel_id, text)
        await self._store.remember_message(
            ShownMessage(message_id, case.channel_id, case.id, MessageKind.ANNOUNCEMENT, post.set_id))
        if reactions:
            await self._chat.add_reactions(case.channel_id, message_id, reactions)
        await self._board.refresh(post.set_id)

    @property
    def _tz(self) -> ZoneInfo:
        return self._board.tz

    def _who(self, by: str) -> str:
        return self._chat.mention(int(by)) if by.isdigit() else by
