"""A post and the states it moves through (see bot.core.posting.service)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


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
    x_post_id: str | None = None
    url: str | None = None
    simulated: bool = False
    followers_at_post: int | None = None
    error: str | None = None  # failed: why (German); in flight: X's duplicate answer, awaiting a second lookup
    retryable: bool = True
    uncertain: bool = False  # the last attempt may have reached X: look before trying again
