"""An in-memory LLMClient for testing the core directly."""

from __future__ import annotations

from collections import deque

from bot.core.drafting.models import Usage
from bot.core.drafting.ports import ChatMessage, LLMReply
from bot.core.errors import LLMError
from tests.fakes.openai_server import ALL_SUPPORTED, drafts_json, full_drafts_json, verdicts_json


class ScriptedLLM:
    def __init__(self) -> None:
        self.replies: deque[LLMReply | LLMError] = deque()
        self.calls: list[list[ChatMessage]] = []  # drafting requests (draft, refine, repair)
        # Premise checks have their own script and record; with none scripted every premise is supported.
        self.premise_replies: deque[LLMReply | LLMError] = deque()
        self.premise_calls: list[list[ChatMessage]] = []
        self.schema_names: list[str] = []

    def drafts(self, *pairs: tuple[str, str], finish_reason: str = "stop") -> ScriptedLLM:
        self.replies.append(LLMReply(drafts_json(*pairs), Usage(100, 50), finish_reason))
        return self

    def full(self, *drafts: tuple[str, str, str, str]) -> ScriptedLLM:
        """Drafts with all four fields: text, evidence, premise, pattern."""
        self.replies.append(LLMReply(full_drafts_json(*drafts), Usage(100, 50)))
        return self

    def verdicts(self, *verdicts: tuple[str, str]) -> ScriptedLLM:
        """The next premise check's answer: (supported, reason) for drafts 1, 2, …"""
        self.premise_replies.append(LLMReply(verdicts_json(*verdicts), Usage(20, 10)))
        return self

    def premise_fails(self, error: Exception | str) -> ScriptedLLM:
        """The next premise check raises ``error`` or answers with this text."""
        self.premise_replies.append(error if isinstance(error, Exception) else LLMReply(error, Usage(20, 10)))
        return self

    def text(self, content: str) -> ScriptedLLM:
        self.replies.append(LLMReply(content, Usage(10, 5)))
        return self

    def fail(self, error: Exception) -> ScriptedLLM:
        self.replies.append(error)
        return self

    async def complete_json(self, messages: list[ChatMessage], schema: dict, *, name: str = "drafts") -> LLMReply:
        self.schema_names.append(name)
        if name == "premise_check":
            self.premise_calls.append(messages)
            reply = self.premise_replies.popleft() if self.premise_replies else LLMReply(ALL_SUPPORTED, Usage(0, 0))
        else:
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
