"""Everything the core tells the team, as a closed set of typed notices, and the port that delivers them.

The chat front end decides where each goes (the draft set's thread, or the summary channel)
and how it reads; services only say what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.core.networks import Network
from bot.core.posting.records import Post


@dataclass(frozen=True)
class Announcement:
    """A message for the team: into a draft set's thread, or (set_id None) into the summary channel."""

    text: str
    set_id: int | None = None
    attachment: tuple[str, bytes] | None = None  # (file name, content), e.g. a PNG chart
    must_arrive: bool = False  # the notifier raises if it cannot deliver, so the sender can try again


@dataclass(frozen=True)
class PostScheduled:
    """A draft was approved: its posts, one per network it goes to."""

    posts: tuple[Post, ...]

    @property
    def set_id(self) -> int:
        return self.posts[0].set_id


@dataclass(frozen=True)
class PostCancelled:
    posts: tuple[Post, ...]  # the posts ❌ stopped (one per network)
    by: str

    @property
    def set_id(self) -> int:
        return self.posts[0].set_id


@dataclass(frozen=True)
class PostPublished:
    post: Post
    notice: str | None = None

    @property
    def set_id(self) -> int:
        return self.post.set_id


@dataclass(frozen=True)
class PostFailed:
    post: Post

    @property
    def set_id(self) -> int:
        return self.post.set_id


@dataclass(frozen=True)
class ApprovalWithdrawn:
    """The undo window ended, but the approval no longer holds: the posts were cancelled."""

    posts: tuple[Post, ...]
    reason: str  # German: whose approval lapsed and why

    @property
    def set_id(self) -> int:
        return self.posts[0].set_id


@dataclass(frozen=True)
class AmplifierSpotted:
    """A notable account reposted or quoted a post on ``network`` (said once per account and post, in the set's
    thread)."""

    set_id: int
    handle: str
    kind: str  # "repost" or "quote"
    followers: int
    label: str | None = None  # e.g. „MdB“ from the watchlist
    quote_text: str | None = None  # untrusted: shown escaped
    quote_url: str | None = None
    network: Network = Network.X


PostEvent = PostScheduled | PostCancelled | PostPublished | PostFailed | ApprovalWithdrawn
Notice = Announcement | PostEvent | AmplifierSpotted


class Notifier(Protocol):
    async def notify(self, notice: Notice) -> None:
        """Tell the people concerned (the front end decides where and how)."""
