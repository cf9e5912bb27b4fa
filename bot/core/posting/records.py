"""A post (one approved draft on one network) and the states it moves through (see bot.core.posting.service)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.networks import Network


class PostState(str, enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"
    IN_FLIGHT = "in_flight"
    POSTED = "posted"
    FAILED = "failed"


@dataclass
class Post:
    id: int
    set_id: int
    draft_id: int
    text: str
    state: PostState
    approved_at: datetime
    due_at: datetime  # scheduled: end of the undo window; in flight: when it is looked up on X if still in flight
    approved_by: list[str] = field(default_factory=list)
    source_url: str | None = None
    source_line: str | None = None  # the reply under the post („Quelle: …"); None: no reply
    attempts: int = 0
    attempted_at: datetime | None = None
    posted_at: datetime | None = None
    remote_id: str | None = None  # the network's id of the post (X: the post id; Bluesky: the at:// URI)
    url: str | None = None
    simulated: bool = False
    followers_at_post: int | None = None
    error: str | None = None  # failed: why (German); in flight: X's duplicate answer, awaiting a second lookup
    retryable: bool = True
    uncertain: bool = False  # the last attempt may have reached the network: look before trying again
    network: Network = Network.X
    planned: bool = False  # due at a planned time (⏰), not at the end of the undo window


def overall_state(posts: list[Post]) -> PostState | None:
    """One state for an approved draft's posts on all its networks: work still to do first, then failures."""
    states = {post.state for post in posts}
    for state in (PostState.IN_FLIGHT, PostState.SCHEDULED, PostState.FAILED, PostState.POSTED):
        if state in states:
            return state
    return PostState.CANCELLED if states else None


def never_posted(post: Post) -> bool:
    """A post that will not reach its network: cancelled, or failed for a reason 🔁 cannot fix."""
    if post.state is PostState.CANCELLED:
        return True
    return post.state is PostState.FAILED and not post.retryable and not post.uncertain
