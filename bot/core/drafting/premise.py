"""The premise check: one more request per draft set asks whether the news backs what each question presupposes."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from bot.core.drafting.models import Draft, NewsItem, Problem, ProblemKind, Severity, Usage
from bot.core.drafting.ports import ChatMessage, LLMClient
from bot.core.drafting.prompts import PromptLibrary, clip, fence, new_tag
from bot.core.drafting.replies import VerdictOut, parse_premise_reply, premise_schema
from bot.core.errors import LLMConfigError, LLMTransientError
from bot.core.text.untrusted import one_paragraph, plain_line

SCHEMA_NAME = "premise_check"
REASON_CHARS = 160
_MARKUP_CHARACTERS = re.compile(r"[*_~`|<>\[\]#@\\]")

UNCHECKED = Problem(
    ProblemKind.PREMISE_UNCHECKED, Severity.WARNING, "Prämisse ungeprüft",
    "Die Prüfung der Prämisse ist fehlgeschlagen.",
)

log = logging.getLogger(__name__)


def clean_reason(reason: str) -> str:
    """The model's reason as one plain line: no controls, no chat markup, no mentions, at most REASON_CHARS."""
    text = _MARKUP_CHARACTERS.sub("", plain_line(one_paragraph(reason[: REASON_CHARS * 4])))
    return clip(text, REASON_CHARS) or "ohne Begründung"


def verdict_problem(verdict: VerdictOut | None) -> Problem | None:
    """The warning for one verdict: „nein“ and „teilweise“ are warnings, no verdict is „ungeprüft“."""
    if verdict is None:
        return UNCHECKED
    reason = clean_reason(verdict.reason)
    if verdict.supported == "nein":
        return Problem(ProblemKind.PREMISE_UNSUPPORTED, Severity.WARNING, f"Prämisse nicht belegt: {reason}",
                       f"Die Prämisse ist durch die Meldung nicht belegt: {reason}")
    if verdict.supported == "teilweise":
        return Problem(ProblemKind.PREMISE_PARTIAL, Severity.WARNING, f"Prämisse nur teilweise belegt: {reason}",
                       f"Die Prämisse ist durch die Meldung nur teilweise belegt: {reason}")
    return None


class PremiseChecker:
    def __init__(self, llm: LLMClient, prompts: PromptLibrary, *, max_reply_chars: int) -> None:
        self._llm = llm
        self._prompts = prompts
        self._max_reply_chars = max_reply_chars

    async def check(self, news: NewsItem, drafts: Sequence[Draft]) -> tuple[list[Draft], Usage]:
        """The usable drafts with the check's verdicts as warnings; one request, never retried.

        Any failure of that request marks every usable draft „Prämisse ungeprüft“: the drafts are still shown.
        Raises only LLMConfigError (a wrong key or model stops the whole run anyway).
        """
        checked = [i for i, draft in enumerate(drafts) if draft.usable]
        usage = Usage()
        verdicts: dict[int, VerdictOut] = {}
        try:
            reply = await self._llm.complete_json(self._messages(news, [drafts[i] for i in checked]),
                                                  premise_schema(), name=SCHEMA_NAME)
            usage.add(reply.usage)
            if reply.finish_reason == "length":
                raise LLMTransientError("Die Prüfung der Prämissen wurde abgeschnitten.", detail="finish_reason=length")
            verdicts = parse_premise_reply(reply.text, max_chars=self._max_reply_chars).by_number()
        except LLMConfigError:
            raise
        except LLMTransientError as exc:
            log.warning("premise check failed, drafts marked unchecked: %s %s", exc, exc.detail or "")
        result = list(drafts)
        for number, index in enumerate(checked, 1):
            problem = verdict_problem(verdicts.get(number))
            if problem is not None:
                result[index] = replace(result[index], problems=result[index].problems + (problem,))
        missing = sum(1 for number in range(1, len(checked) + 1) if number not in verdicts)
        if verdicts and missing:
            log.warning("premise check: no verdict for %d of %d drafts", missing, len(checked))
        return result, usage

    def _messages(self, news: NewsItem, drafts: Sequence[Draft]) -> list[ChatMessage]:
        tag, drafts_tag = new_tag("meldung"), new_tag("fragen")
        listing = "\n".join(
            f"{n}. Frage: {clip(d.text)}\n   Prämisse: {clip(d.premise) or '(nicht angegeben)'}\n"
            f"   Beleg: {clip(d.evidence) or '(keiner)'}"
            for n, d in enumerate(drafts, 1)
        )
        prompt = self._prompts.render("premise_check", tag=tag, news=fence(news.text, tag), drafts_tag=drafts_tag,
                                      drafts=fence(listing, drafts_tag))
        return [ChatMessage("user", prompt)]
