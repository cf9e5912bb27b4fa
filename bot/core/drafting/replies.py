"""The model's one reply format, and a tolerant reader for it."""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from bot.core.drafting.limits import MAX_REPLY_CHARS
from bot.core.errors import LLMTransientError
from bot.core.text.numbers import de_int


class DraftOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: str
    evidence: str
    premise: str | None = None  # missing in replies of older prompts or weak models: tolerated
    pattern: str | None = None

    @field_validator("premise", "pattern", mode="before")
    @classmethod
    def _text_or_none(cls, value: object) -> str | None:
        return value if isinstance(value, str) else None  # a number or a list where text belongs: as missing


class DraftsReply(BaseModel):
    model_config = ConfigDict(extra="ignore")
    drafts: list[DraftOut]


def reply_schema() -> dict:
    """JSON schema for structured output (strict: every field required, nothing extra)."""
    draft = {
        "type": "object",
        "properties": {"text": {"type": "string"}, "evidence": {"type": "string"},
                       "premise": {"type": "string"}, "pattern": {"type": "string"}},
        "required": ["text", "evidence", "premise", "pattern"],
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
    data = _json_object(raw, max_chars)
    try:
        return DraftsReply.model_validate(data)
    except ValidationError as exc:
        raise _unusable(exc, raw) from exc


SUPPORT_VALUES = ("ja", "teilweise", "nein")


class VerdictOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    number: int
    supported: str
    reason: str = ""

    @field_validator("reason", mode="before")
    @classmethod
    def _reason_text(cls, value: object) -> str:
        return value if isinstance(value, str) else ""


class PremiseReply(BaseModel):
    model_config = ConfigDict(extra="ignore")
    verdicts: list[VerdictOut]

    def by_number(self) -> dict[int, VerdictOut]:
        """The first known verdict for each draft number; an unknown „supported“ value counts as no verdict."""
        found: dict[int, VerdictOut] = {}
        for verdict in self.verdicts:
            supported = verdict.supported.strip().casefold()
            if supported in SUPPORT_VALUES and verdict.number not in found:
                found[verdict.number] = verdict.model_copy(update={"supported": supported})
        return found


def premise_schema() -> dict:
    """JSON schema of the premise check's reply (strict)."""
    verdict = {
        "type": "object",
        "properties": {"number": {"type": "integer"}, "supported": {"type": "string", "enum": list(SUPPORT_VALUES)},
                       "reason": {"type": "string"}},
        "required": ["number", "supported", "reason"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"verdicts": {"type": "array", "items": verdict}},
        "required": ["verdicts"],
        "additionalProperties": False,
    }


def parse_premise_reply(raw: str, *, max_chars: int = MAX_REPLY_CHARS) -> PremiseReply:
    data = _json_object(raw, max_chars)
    try:
        return PremiseReply.model_validate(data)
    except ValidationError as exc:
        raise _unusable(exc, raw) from exc


def _json_object(raw: str, max_chars: int) -> object:
    """The first JSON object in ``raw`` (prose or a code fence around it is skipped); LLMTransientError if none."""
    if len(raw) > max_chars:
        raise reply_too_long(max_chars, len(raw))
    fenced = _FENCE.search(raw)
    candidate = fenced.group(1) if fenced else raw
    start = candidate.find("{")
    if start < 0:
        raise LLMTransientError("Das Sprachmodell hat kein JSON geliefert.", detail=f"reply: {raw[:200]!r}")
    try:
        data, _ = json.JSONDecoder().raw_decode(candidate[start:])
    except json.JSONDecodeError as exc:
        raise _unusable(exc, raw) from exc
    return data


def _unusable(exc: Exception, raw: str) -> LLMTransientError:
    return LLMTransientError("Die Antwort des Sprachmodells war unbrauchbar.", detail=f"{exc}; reply: {raw[:200]!r}")
