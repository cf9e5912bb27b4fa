"""An in-memory Publisher: an account timeline and scripted failures."""

from __future__ import annotations

from collections import deque
from datetime import datetime

from bot.core.errors import PublishError
from bot.core.networks import Network
from bot.core.posting.ports import PostKey, PublishedPost


class FakePublisher:
    simulated = False

    def __init__(self, clock, network: Network = Network.X) -> None:
        self._clock = clock
        self.network = network
        self.keys: list[PostKey] = []  # the key of every publish call
        self.timeline: list[tuple[datetime, PublishedPost, str]] = []
        self.failures: deque[BaseException] = deque()
        self.calls = 0
        self.source_lines: list[str | None] = []  # the source reply asked for with each publish
        self.crash_after_posting = False
        self.lookup_fails = False

    async def publish(self, text: str, *, key: PostKey | None = None, source_line: str | None = None) -> PublishedPost:
        self.calls += 1
        if key is not None:
            self.keys.append(key)
        self.source_lines.append(source_line)
        if self.failures:
            raise self.failures.popleft()
        post_id = str(1000 + len(self.timeline))
        post = PublishedPost(post_id=post_id, url=f"https://x.com/acct/status/{post_id}", followers=500)
        self.timeline.append((self._clock.now(), post, text))
        if self.crash_after_posting:
            raise TimeoutError("connection lost after X accepted the post")
        return post

    async def find_existing(self, text: str, *, key: PostKey | None = None, since: datetime) -> PublishedPost | None:
        if self.lookup_fails:
            raise PublishError("X antwortet nicht.", detail="timeline read failed")
        return next((post for at, post, posted in self.timeline if posted == text and at >= since), None)


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[object] = []

    async def notify(self, event: object) -> None:
        self.events.append(event)


def single(posts: list) -> object:
    """The one post of a set approved for one network, or None before approval."""
    assert len(posts) <= 1, f"expected at most one post, got {len(posts)}"
    return posts[0] if posts else None
