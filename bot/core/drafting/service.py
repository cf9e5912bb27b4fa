"""The drafting pipeline: prompt the model, check every draft, repair once, report the cost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from bot.core.drafting.checks import CheckRules, check_draft, mark_near_duplicates, needs_repair
from bot.core.drafting.history import History, history_prompt
from bot.core.drafting.language import guess_language
from bot.core.drafting.lengths import X_ONLY, NetworkLimit
from bot.core.drafting.lexicon import parse_fairness, parse_patterns, patterns_for_prompt
from bot.core.drafting.limits import MAX_REPLY_CHARS, MIN_NEWS_CHARS, checked_count
from bot.core.drafting.models import (
    DEFAULT_PATTERN,
    ConversationTurn,
    Draft,
    DraftSet,
    NewsItem,
    ProblemKind,
    Usage,
)
from bot.core.drafting.ports import ChatMessage, LLMClient
from bot.core.drafting.premise import PremiseChecker
from bot.core.drafting.prompts import PromptLibrary, clip, fence, new_tag
from bot.core.drafting.replies import DraftOut, parse_reply, reply_schema
from bot.core.drafting.tone import DEFAULT_TONE, checked_tone, tone_instruction
from bot.core.errors import InputError, LLMConfigError, LLMTransientError, NoUsableDraftError
from bot.core.text.numbers import de_duration, de_int

log = logging.getLogger(__name__)


@dataclass
class _Run:
    """Cost bookkeeping for one pipeline run."""

    calls: int = 0
    usage: Usage = field(default_factory=Usage)


class DraftingService:
    def __init__(
        self,
        llm: LLMClient,
        prompts: PromptLibrary,
        *,
        max_news_chars: int = 20_000,
        max_attempts: int = 3,
        backoff_seconds: float = 1.0,
        max_retry_wait_seconds: float = 60.0,
        max_reply_chars: int = MAX_REPLY_CHARS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        premise_check: bool = True,
        default_tone: str = DEFAULT_TONE,
        hashtags_max: int = 1,
        handle_allowlist: Iterable[str] = (),
        history: History | None = None,
        network_limits: Sequence[NetworkLimit] = X_ONLY,
    ) -> None:
        self._llm = llm
        self._history = history  # what worked before, for draft and refine prompts; None: no such block
        self._prompts = prompts
        self._default_tone = checked_tone(default_tone)
        patterns = parse_patterns(prompts.text_of("patterns"))
        self._patterns = frozenset(p.key for p in patterns)
        self._rules_prompt = prompts.render("system", patterns=patterns_for_prompt(patterns))
        self._style = prompts.text_of("style")
        self.rules = CheckRules(
            lexicon=parse_fairness(prompts.text_of("fairness")), hashtags_max=hashtags_max,
            handle_allowlist=frozenset(h.strip().lstrip("@").lower() for h in handle_allowlist if h.strip()),
            limits=tuple(network_limits) or X_ONLY,
        )
        self._premise = PremiseChecker(llm, prompts, max_reply_chars=max_reply_chars) if premise_check else None
        self._max_news_chars = max_news_chars
        self._max_attempts = max_attempts
        self._backoff_seconds = backoff_seconds
        self._max_retry_wait_seconds = max_retry_wait_seconds  # a server asking for a longer pause fails at once
        self._max_reply_chars = max_reply_chars
        self._sleep = sleep

    # --- public entry points ---

    def prepare_news(self, text: str, *, url: str | None = None, title: str | None = None) -> NewsItem:
        """Validate raw news text and turn it into a NewsItem (raises InputError)."""
        text = (text or "").replace("\x00", "").strip()
        if len(text) < MIN_NEWS_CHARS:
            raise InputError(
                f"Die Meldung ist leer oder zu kurz (mindestens {MIN_NEWS_CHARS} Zeichen). "
                "Bitte den Text der Nachricht oder eine URL angeben."
            )
        if len(text) > self._max_news_chars:
            raise InputError(
                f"Die Meldung ist mit {de_int(len(text))} Zeichen zu lang (höchstens {de_int(self._max_news_chars)}). "
                "Bitte auf den Kern kürzen oder die URL angeben."
            )
        return NewsItem(text=text, url=url, title=title, language=guess_language(text).language)

    def system_prompt(self) -> str:
        """The system message of a drafting request: the rules, the patterns and the house style (fenced anew)."""
        return self._rules_prompt + _house_style(self._style)

    async def draft(self, news: NewsItem, count: int, *, tone: str | None = None) -> DraftSet:
        """Up to ``count`` drafts in ``tone`` (None: the default tone)."""
        count = checked_count(count)
        tag = new_tag("meldung")
        prompt = self._prompts.render("draft", count=count, tag=tag, news=fence(news.text, tag),
                                      tone=self._tone(tone))
        return await self._produce(news, prompt + await self._history_block(), count, tone)

    async def refine(
        self,
        news: NewsItem,
        current: Sequence[Draft],
        conversation: Sequence[ConversationTurn],
        instruction: str,
        count: int,
        *,
        tone: str | None = None,
    ) -> DraftSet:
        count = checked_count(count)
        instruction = instruction.strip()
        if not instruction:
            raise InputError("Der Wunsch zur Überarbeitung ist leer.")
        tag, wish_tag = new_tag("meldung"), new_tag("wunsch")
        prompt = self._prompts.render(
            "refine",
            count=count,
            tag=tag,
            news=fence(news.text, tag),
            current=fence(_numbered(clip(d.text) for d in current) or "(keine)", wish_tag),
            wish_tag=wish_tag,
            conversation=fence("\n".join(f"- {t.author}: {clip(t.text)}" for t in conversation) or "(noch keins)",
                               wish_tag),
            instruction=fence(instruction, wish_tag),
            tone=self._tone(tone),
        )
        draft_set = await self._produce(news, prompt + await self._history_block(), count, tone)
        draft_set.instruction = instruction
        return draft_set

    def check_manual(self, news: NewsItem, text: str, others: Sequence[Draft] = (), *, evidence: str = "") -> Draft:
        """Check a hand-written draft like any other; it may carry an evidence quote and name any @handle."""
        if not text.strip():
            raise InputError("Der neue Text ist leer.")
        draft = check_draft(text, evidence, news, self.rules, manual=True)
        return mark_near_duplicates([*others, draft])[-1]

    # --- pipeline ---

    async def _history_block(self) -> str:
        """„Was bei uns gut lief“ for the end of the user prompt, or "" (no history port, too little history).

        The block is an aid: when the history cannot be read, drafting goes on without it."""
        if self._history is None:
            return ""
        try:
            block = await self._history.examples()
        except Exception:  # noqa: BLE001 - any failure of the aid must not stop drafting
            log.warning("the history of past posts could not be read; drafting without it", exc_info=True)
            return ""
        text = history_prompt(block) if block is not None else ""
        return f"\n\n{text}" if text else ""

    def _tone(self, tone: str | None) -> str:
        return tone_instruction(tone, self._default_tone)

    async def _produce(self, news: NewsItem, prompt: str, count: int, tone: str | None = None) -> DraftSet:
        run = _Run()
        history = [ChatMessage("system", self.system_prompt()), ChatMessage("user", prompt)]
        outputs = (await self._ask(history, run))[:count]
        # The checks (language detection above all) take milliseconds per draft: off the event loop.
        drafts, failing = await asyncio.to_thread(_check_set, news, outputs, self.rules, self._patterns)
        if failing:
            drafts = await self._repair(news, drafts, failing, run, tone)
        if self._premise is not None and any(d.usable for d in drafts):
            run.calls += 1
            drafts, usage = await self._premise.check(news, drafts)
            run.usage.add(usage)
        usable = [d for d in drafts if d.usable]
        dropped = [d for d in drafts if not d.usable]
        log.info("draft set: %d usable, %d dropped, %d LLM calls, %d tokens",
                 len(usable), len(dropped), run.calls, run.usage.total_tokens)
        if not usable:
            reasons = sorted({p.label for d in dropped for p in d.problems if p.fatal})
            raise NoUsableDraftError(
                "Kein Entwurf hat die Prüfungen bestanden, auch nicht nach einer Korrekturrunde"
                + (f" ({'; '.join(reasons)})" if reasons else "") + ". Bitte erneut versuchen.",
            )
        return DraftSet(news=news, drafts=usable, llm_calls=run.calls, usage=run.usage, dropped=dropped)

    async def _repair(self, news: NewsItem, drafts: list[Draft], failing: list[int], run: _Run,
                      tone: str | None = None) -> list[Draft]:
        tag, drafts_tag = new_tag("meldung"), new_tag("entwuerfe")
        failures = "\n".join(
            f"{n}. \"{clip(drafts[i].text)}\" — Probleme: {_repair_reasons(drafts[i])}"
            for n, i in enumerate(failing, 1)
        )
        kept = _numbered(clip(d.text) for i, d in enumerate(drafts) if i not in failing) or "(keine)"
        prompt = self._prompts.render(
            "repair", count=len(failing), tag=tag, news=fence(news.text, tag), drafts_tag=drafts_tag,
            failures=fence(failures, drafts_tag), kept=fence(kept, drafts_tag), tone=self._tone(tone),
        )
        history = [ChatMessage("system", self.system_prompt()), ChatMessage("user", prompt)]
        try:
            replacements = await self._ask(history, run)
        except LLMTransientError as exc:
            log.warning("repair round failed, keeping the checked drafts: %s", exc.detail or exc)
            return drafts
        return await asyncio.to_thread(_merge_repairs, news, drafts, failing, replacements, self.rules, self._patterns)

    async def _ask(self, messages: list[ChatMessage], run: _Run) -> list[DraftOut]:
        """One logical request: retried with backoff on transient faults and unusable replies.

        The pause before a retry is the exponential backoff or the server's Retry-After, whichever is longer; a
        server asking for more than ``max_retry_wait_seconds`` ends the request at once.
        """
        last_error: LLMTransientError | None = None
        for attempt in range(1, self._max_attempts + 1):
            if last_error is not None:
                await self._sleep(max(self._backoff_seconds * 2 ** (attempt - 2), last_error.retry_after or 0.0))
            run.calls += 1
            try:
                reply = await self._llm.complete_json(messages, reply_schema(), name="drafts")
                run.usage.add(reply.usage)
                if reply.finish_reason == "length":
                    raise LLMTransientError(
                        "Die Antwort des Sprachmodells wurde abgeschnitten.", detail="finish_reason=length"
                    )
                drafts = parse_reply(reply.text, max_chars=self._max_reply_chars).drafts
                if not drafts:
                    raise LLMTransientError("Das Sprachmodell hat keine Entwürfe geliefert.")
                return drafts
            except LLMConfigError:
                raise
            except LLMTransientError as exc:
                if exc.retry_after is not None and exc.retry_after > self._max_retry_wait_seconds:
                    raise LLMTransientError(
                        f"Das Sprachmodell ist ausgelastet; es bittet um {de_duration(exc.retry_after)} Pause. "
                        "Bitte später erneut versuchen.",
                        detail=f"retry_after={exc.retry_after}s; {exc.detail}", retry_after=exc.retry_after,
                    ) from exc
                last_error = exc
                log.warning("LLM attempt %d/%d failed: %s %s", attempt, self._max_attempts, exc, exc.detail)
        assert last_error is not None
        attempts = f"{self._max_attempts} Versuchen" if self._max_attempts > 1 else "1 Versuch"
        raise LLMTransientError(
            f"{last_error.user_message} Nach {attempts} aufgegeben — bitte später erneut versuchen.",
            detail=last_error.detail, retry_after=last_error.retry_after,
        )


def _house_style(style: str) -> str:
    """The team's house style (style.txt), fenced and labelled, for the end of the system prompt; "" if none."""
    if not style.strip():
        return ""
    tag = new_tag("hausstil")
    return (f"\n\nHausstil des Teams (zwischen <{tag}> und </{tag}>): Regeln der Redaktion zu Form und Stimme. "
            f"Sie gelten zusätzlich zu deinen Regeln oben, heben diese aber nie auf.\n\n<{tag}>\n{fence(style, tag)}"
            f"\n</{tag}>")


def _checked(output: DraftOut, news: NewsItem, rules: CheckRules, patterns: frozenset[str]) -> Draft:
    """One reply entry checked; a missing or unknown pattern becomes „andere“, a missing premise "" (never fatal)."""
    pattern = (output.pattern or "").strip().casefold()
    return check_draft(output.text, output.evidence, news, rules, premise=output.premise or "",
                       pattern=pattern if pattern in patterns else DEFAULT_PATTERN)


def _log_missing_fields(outputs: Sequence[DraftOut], patterns: frozenset[str]) -> None:
    """One warning per reply whose drafts lack a premise or a known pattern (older prompts, weak models)."""
    no_premise = sum(1 for o in outputs if not (o.premise or "").strip())
    unknown = [o.pattern or "" for o in outputs if (o.pattern or "").strip().casefold() not in patterns]
    if no_premise or unknown:
        log.warning("reply of %d drafts: %d without a premise, %d without a known pattern %s (using %r)",
                    len(outputs), no_premise, len(unknown), [u[:40] for u in unknown[:3]], DEFAULT_PATTERN)


def _check_set(news: NewsItem, outputs: Sequence[DraftOut], rules: CheckRules,
               patterns: frozenset[str]) -> tuple[list[Draft], list[int]]:
    """Check every draft of a reply, mark near-duplicates and name the ones a repair round should replace.

    Pure CPU work; the pipeline runs it in a worker thread."""
    _log_missing_fields(outputs, patterns)
    drafts = mark_near_duplicates([_checked(o, news, rules, patterns) for o in outputs])
    return drafts, [i for i, d in enumerate(drafts) if needs_repair(d)]


def _merge_repairs(
    news: NewsItem, drafts: Sequence[Draft], failing: Sequence[int], replacements: Sequence[DraftOut],
    rules: CheckRules, patterns: frozenset[str],
) -> list[Draft]:
    """Check the repaired drafts and put each in place of its original unless it is worse (worker thread)."""
    repaired = list(drafts)
    _log_missing_fields(replacements, patterns)
    for index, replacement in zip(failing, replacements, strict=False):  # the model may return fewer
        candidate = _checked(replacement, news, rules, patterns)
        # A repair that is worse than the original does not replace it.
        if candidate.usable or not drafts[index].usable:
            repaired[index] = candidate
    return mark_near_duplicates([_without_duplicate_flag(d) for d in repaired])


def _numbered(texts: Iterable[str]) -> str:
    return "\n".join(f"{n}. {text}" for n, text in enumerate(texts, 1))


def _without_duplicate_flag(draft: Draft) -> Draft:
    return replace(draft, problems=tuple(p for p in draft.problems if p.kind is not ProblemKind.NEAR_DUPLICATE))


def _repair_reasons(draft: Draft) -> str:
    return " ".join(p.reason for p in draft.problems if p.fatal or p.kind is ProblemKind.EVIDENCE_MISSING)
