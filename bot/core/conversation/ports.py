"""What the conversation workflow needs from a chat front end and from storage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Protocol

from bot.core.conversation.records import (
    Case,
    DraftEntry,
    MessageKind,
    Pending,
    Plan,
    SetRecord,
    SetState,
    ShownMessage,
)
from bot.core.drafting.models import ConversationTurn, Draft, DraftSet, NewsItem
from bot.core.networks import Network
from bot.core.planning.best_time import PostFigures

# The account's posts since an instant with their engagement rate (for „zur besten Zeit").
FiguresSince = Callable[[datetime], Awaitable[list[PostFigures]]]


class Chat(Protocol):
    """The few things the workflow does in a chat (Discord, or an in-memory fake)."""

    max_message_chars: int  # the longest message the chat accepts

    def mention(self, user_id: int) -> str: ...

    async def send(self, channel_id: int, text: str, *, attachment: tuple[str, bytes] | None = None) -> int:
        """Post a message; returns its id."""

    async def edit(self, channel_id: int, message_id: int, text: str) -> None: ...

    async def add_reactions(self, channel_id: int, message_id: int, emojis: Sequence[str]) -> None: ...

    async def remove_reaction(self, channel_id: int, message_id: int, emoji: str, user_id: int) -> bool:
        """Remove someone's reaction; False when not allowed (e.g. in a DM)."""

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> int:
        """Start a thread on a message; returns the thread's id."""

    def working(self, channel_id: int) -> AbstractAsyncContextManager[None]:
        """Show that the bot is busy (typing) while the block runs."""


class Members(Protocol):
    """Who someone is now: approval rights can change between a vote and the quorum."""

    async def roles(self, user_id: int, guild_id: int | None) -> frozenset[int] | None:
        """The user's current roles in the guild (in a DM: across the bot's servers); None if they left it."""


class WorkflowStore(Protocol):
    async def create_case(self, news: NewsItem, *, origin: str, requester_id: int, guild_id: int | None,
                          channel_id: int, count: int, tone: str | None = None) -> Case:
        """Store the news item and its case; the case starts with its first drafts pending.

        ``tone``: the tone asked for (None: the default), used by every draft and refinement of the case."""

    async def case(self, case_id: int) -> Case:
        """The case; raises MissingRecord if there is none."""

    async def latest_case_in(self, channel_id: int) -> Case | None: ...

    async def interrupted_cases(self) -> list[Case]:
        """Cases with a drafting job pending whose failure was never shown: a stop cut the job short."""

    async def case_for_set(self, set_id: int) -> Case | None: ...

    async def shown_sets(self, case_id: int) -> list[int]:
        """The case's sets that a message shows, oldest first."""

    async def unshown_sets(self) -> list[int]:
        """Current sets of cases that have no message showing them (a stop or a chat failure came between)."""

    async def voted_open_sets(self) -> list[int]:
        """Current, open sets with votes and no post: a stop may have come between the deciding vote and approval."""

    async def add_set(self, case: Case, draft_set: DraftSet) -> SetRecord:
        """Store a new set for the case's news item; it becomes current, an open predecessor is REPLACED.
        Returns the set as `set_record` would read it."""

    async def reopen_set(self, case: Case, set_id: int) -> int:
        """Copy the set's current drafts (checks included) and left-out networks into a new open set that becomes
        current; the set is REPLACED (its votes stay behind: the workflow carries over those of the drafts the edit
        did not change). For a hand edit that withdraws an approval."""

    async def set_record(self, set_id: int) -> SetRecord:
        """The set with its current drafts; raises MissingRecord if there is none."""

    async def change_set_state(self, set_id: int, from_state: SetState, to_state: SetState) -> bool: ...

    async def add_draft_version(self, set_id: int, number: int, draft: Draft) -> DraftEntry: ...

    async def draft_number(self, draft_id: int) -> int | None: ...

    async def set_pending(self, case_id: int, pending: Pending | None, instruction: str | None = None) -> None: ...

    async def set_tone(self, case_id: int, tone: str) -> None:
        """A wish named another tone: the case's drafts use it from now on."""

    async def remember_message(self, message: ShownMessage) -> None: ...

    async def message(self, message_id: int) -> ShownMessage | None: ...

    async def messages_of_set(self, set_id: int, kind: MessageKind) -> list[ShownMessage]: ...

    async def add_vote(self, set_id: int, draft_id: int, voter_id: int) -> bool:
        """True when the vote is new."""

    async def remove_vote(self, draft_id: int, voter_id: int) -> bool: ...

    async def voters(self, draft_id: int) -> list[int]: ...

    async def add_confirmation(self, draft_id: int, user_id: int) -> bool:
        """Store an approver's ✅ „Quelle geprüft" for a draft (with the time); True when it is new."""

    async def remove_confirmation(self, draft_id: int, user_id: int) -> bool: ...

    async def confirmers(self, draft_id: int) -> list[int]:
        """Who confirmed the draft's source, earliest first."""

    async def add_network_toggle(self, set_id: int, number: int, network: Network, user_id: int) -> bool:
        """An approver leaves ``network`` out for draft ``number`` of the set; True when it is new."""

    async def remove_network_toggle(self, set_id: int, number: int, network: Network, user_id: int) -> bool:
        """The approver takes their reaction back; the network is on again unless another approver left it out."""

    async def networks_off(self, set_id: int) -> dict[int, frozenset[Network]]:
        """Per draft number, the networks approvers left out (numbers without any are missing)."""

    async def add_turn(self, case_id: int, turn: ConversationTurn) -> None: ...

    async def turns(self, case_id: int) -> list[ConversationTurn]: ...

    async def first_notice(self, case_id: int, user_id: int, kind: str) -> bool:
        """True the first time this notice goes to this user in this case."""

    async def plan(self, set_id: int) -> Plan | None:
        """The set's plan (⏰), if any."""

    async def save_plan(self, plan: Plan) -> None:
        """Store the set's plan, replacing an earlier one."""
