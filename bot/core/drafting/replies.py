"""The model's one reply format, and a tolerant reader for it."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.core.errors import LLMTransientError


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


def parse_reply(raw: str) -> DraftsReply:
    """Read the JSON object even when a model wraps it in prose or a code fence."""
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
