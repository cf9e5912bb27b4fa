"""What posting needs from outside: a publisher per network (or the dry run), a post store and an audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.networks import Network
from bot.core.posting.records import Post, PostState


@dataclass(frozen=True)
class PostKey:
    """What identifies one post record (one draft on one network) to the network, so a retry cannot post twice.

    Mastodon gets ``idempotency_key`` as its Idempotency-Key header; Bluesky derives the record key (a TID)
    from ``post_id`` and ``approved_at``."""

    post_id: int
    approved_at: datetime

    @property
    def idempotency_key(self) -> str:
        return f"spitzfeder-{self.post_id}-{int(self.approved_at.timestamp() * 1_000_000)}"


@dataclass(frozen=True)
class PublishedPost:
    post_id: str
    url: str | None
    simulated: bool = False
    followers: int | None = None  # the account's follower count when it posted, if known
    notice: str | None = None  # something the team should know about an otherwise good post (German)


class Publisher(Protocol):
    network: Network
    simulated: bool  # True for the dry-run publisher: nothing reaches the network

    async def publish(self, text: str, *, key: PostKey, source_line: str | None = None) -> PublishedPost:
        """Post ``text``, and ``source_line`` (if any) as a reply under it; raises PublishError.

        A failed reply does not fail the post: the returned ``notice`` says so."""

    async def find_existing(self, text: str, *, key: PostKey, since: datetime) -> PublishedPost | None:
        """Our own post for ``key`` (or with exactly ``text``, created after ``since``), if any (reconciliation)."""


@dataclass(frozen=True)
class Withdrawal:
    """Approvals that no longer hold when a post's undo window ends, so the post must not go out."""

    voters: tuple[str, ...]  # the approvers (as in ``Post.approved_by``) whose approval no longer counts
    reason: str  # German, for the thread: whose approval lapsed and why
    detail: str = ""  # for the audit log


# Checks a post's approvals once more before it is published; None: they still hold.
StillApproved = Callable[[Post], Awaitable[Withdrawal | None]]


class AuditLog(Protocol):
    async def record(self, action: str, *, actor: str | None, set_id: int | None = None,
                     post_id: int | None = None, detail: str | None = None) -> None:
        """Append who did what and when."""


class PostStore(Protocol):
    async def create_scheduled(self, *, set_id: int, draft_id: int, text: str, source_url: str | None,
                               approved_by: list[str], approved_at: datetime, due_at: datetime,
                               networks: list[Network], source_line: str | None = None,
                               planned: bool = False) -> list[Post]:
        """Create the set's posts, one per network, all or none; [] if the set has posts already.

        ``planned``: ``due_at`` is a planned time (⏰), not the end of the undo window."""

    async def transition(self, post_id: int, from_states: set[PostState], to_state: PostState,
                         **fields: object) -> Post | None:
        """Move the post only if it is in one of ``from_states``; returns it updated, or None."""

    async def for_set(self, set_id: int) -> list[Post]:
        """The set's posts, one per network, in the usual order of networks."""

    async def due(self, now: datetime) -> list[Post]:
        """Scheduled posts whose undo window is over, and posts in flight due to be looked up, earliest first."""

    async def next_due_at(self) -> datetime | None:
        """The earliest due time of a scheduled or in-flight post; None when there is none."""

    async def in_state(self, state: PostState) -> list[Post]: ...
