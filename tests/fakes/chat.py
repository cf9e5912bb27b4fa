"""An in-memory chat for the workflow: messages, reactions, threads."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class FakeMessage:
    id: int
    channel_id: int
    text: str
    reactions: list[str] = field(default_factory=list)


class FakeChat:
    max_message_chars = 2000

    def __init__(self) -> None:
        self.messages: dict[int, FakeMessage] = {}
        self.threads: dict[int, str] = {}
        self.removed: list[tuple[int, str, int]] = []
        self.busy: list[int] = []
        self.may_remove = True
        self.down = False  # True: every send fails as in a chat outage
        self.failing_sends = 0  # the next n sends fail (a timeout, as when the chat hangs)
        self.thread_error: Exception | None = None  # opening a thread fails with this
        self._next_id = 1000

    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def mention(self, user_id: int) -> str:
        return f"<@{user_id}>"

    async def send(self, channel_id: int, text: str, *, attachment=None) -> int:
        if self.down:
            raise ConnectionError("chat unreachable")
        if self.failing_sends:
            self.failing_sends -= 1
            raise TimeoutError("the chat did not answer")
        message = FakeMessage(self._id(), channel_id, text)
        self.messages[message.id] = message
        return message.id

    async def edit(self, channel_id: int, message_id: int, text: str) -> None:
        self.messages[message_id].text = text

    async def add_reactions(self, channel_id: int, message_id: int, emojis) -> None:
        self.messages[message_id].reactions.extend(emojis)

    async def remove_reaction(self, channel_id: int, message_id: int, emoji: str, user_id: int) -> bool:
        if self.may_remove:
            self.removed.append((message_id, emoji, user_id))
        return self.may_remove

    async def open_thread(self, channel_id: int, message_id: int, name: str) -> int:
        if self.thread_error is not None:
            raise self.thread_error
        thread_id = self._id()
        self.threads[thread_id] = name
        return thread_id

    @asynccontextmanager
    async def working(self, channel_id: int):
        self.busy.append(channel_id)
        yield

    def texts(self, channel_id: int) -> list[str]:
        return [m.text for m in self.messages.values() if m.channel_id == channel_id]

    def last(self, channel_id: int) -> FakeMessage:
        return [m for m in self.messages.values() if m.channel_id == channel_id][-1]

    def carrying(self, channel_id: int, emoji: str) -> FakeMessage:
        """The newest message in the channel with this reaction button (e.g. the one showing draft 1)."""
        return [m for m in self.messages.values() if m.channel_id == channel_id and emoji in m.reactions][-1]
