"""The model's one reply format, and a tolerant reader for it."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.drafting.limits import MAX_REPLY_CHARS
from bot.core.errors import LLMTransientError
from bot.core.text.numbers import de_int


class DraftOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str
    evidence: str


class DraftsReply(BaseModel):
    model_config = ConfigDict(extra="ignore")
    drafts: list[DraftOut]


def reply_schema() -> dict:
    """JSON schema for structured output (strict: every field required, nothing extra)."""
    draft = {
        "type": "object",
        "properties": {"text": {"type": "string"}, "evidence": {"type": "string"}},
        "required": ["text", "evidence"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"drafts": {"type": "array", "items": draft}},
        "required": ["drafts"],
        "additionalProperties": False,
    }


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def reply_too_long(limit: int, size: int | None = None) -> LLMTransientError:
    """The error for a reply over LLM_MAX_REPLY_CHARS (worth a retry: the next answer is usually normal)."""
    return LLMTransientError(
        f"Die Antwort des Sprachmodells war zu lang (mehr als {de_int(limit)} Zeichen) und wurde nicht "
        "ausgewertet. Höchstgrenze: LLM_MAX_REPLY_CHARS.",
        detail=f"reply of {size if size is not None else 'more than ' + str(limit)} characters",
    )


def parse_reply(raw: str, *, max_chars: int = MAX_REPLY_CHARS) -> DraftsReply:
    """Read the JSON object even when a model wraps it in prose or a code fence.

    A reply longer than ``max_chars`` is refused unread: no model writes that much for a few short questions.
    """
    if len(raw) > max_chars:
        raise reply_too_long(max_chars, len(raw))
    fenced = _FENCE.search(raw)
    candidate = fenced.group(1) if fenced else raw
    start = candidate.find("{")
    if start < 0:
        raise LLMTransientError("Das Sprachmodell hat kein JSON geliefert.", detail=f"reply: {raw[:200]!r}")
    try:
        data, _ = json.JSONDecoder().raw_decode(candidate[start:])
        return DraftsReply.model_validate(data)
    except (json.JSONDecodeError, ValidationError) as exc:
        raise LLMTransientError(
            "Die Antwort des Sprachmodells war unbrauchbar.", detail=f"{exc}; reply: {raw[:200]!r}"
        ) from exc
