"""An in-memory LLMClient for testing the core directly."""

from __future__ import annotations

from collections import deque

from bot.core.drafting.models import Usage
from bot.core.drafting.ports import ChatMessage, LLMReply
from bot.core.errors import LLMError
from tests.fakes.openai_server import drafts_json


class ScriptedLLM:
    def __init__(self) -> None:
        self.replies: deque[LLMReply | LLMError] = deque()
        self.calls: list[list[ChatMessage]] = []

    def drafts(self, *pairs: tuple[str, str], finish_reason: str = "stop") -> ScriptedLLM:
        self.replies.append(LLMReply(drafts_json(*pairs), Usage(100, 50), finish_reason))
        return self

    def text(self, content: str) -> ScriptedLLM:
        self.replies.append(LLMReply(content, Usage(10, 5)))
        return self

    def fail(self, error: Exception) -> ScriptedLLM:
        self.replies.append(error)
        return self

    async def complete_json(self, messages: list[ChatMessage], schema: dict) -> LLMReply:
        self.calls.append(messages)
        reply = self.replies.popleft()
        if isinstance(reply, Exception):
            raise reply
        return reply


class RecordingSleep:
    """Stands in for asyncio.sleep: records the delays, waits for nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
