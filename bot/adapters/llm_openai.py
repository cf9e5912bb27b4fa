"""The LLM adapter: any OpenAI-compatible server through the `openai` package.

Structured output (json_schema) first; a server that rejects it gets JSON in
text from then on. Retries are the core's job, so the client's own are off;
the server's Retry-After travels to the core on the LLMTransientError.

The adapter reads the completion body itself: whatever answers with status 200
(a login page, a proxy's HTML, JSON of another shape, a runaway reply) becomes
a German LLMTransientError instead of a crash deep in the pipeline.

`openai` (its type tree is large: about 13 MB and a few hundred milliseconds) is imported when a client is
built, not with this module; the methods import it again, which then is a dictionary look-up.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from bot.core.drafting.limits import MAX_REPLY_CHARS
from bot.core.drafting.models import Usage
from bot.core.drafting.ports import ChatMessage, LLMReply
from bot.core.drafting.replies import reply_too_long
from bot.core.errors import LLMConfigError, LLMTransientError

if TYPE_CHECKING:
    import httpx2
    import openai
    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema

log = logging.getLogger(__name__)


class OpenAIChat:
    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_seconds: float = 60.0,
        max_reply_chars: int = MAX_REPLY_CHARS,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        self.model = model
        self._max_reply_chars = max_reply_chars
        self._options = {
            # Local servers (Ollama, llama.cpp) take any key; the client insists on one.
            "api_key": api_key or "no-key", "base_url": base_url, "timeout": timeout_seconds,
            "max_retries": 0, "http_client": http_client,
        }
        self._made: openai.AsyncOpenAI | None = None
        self._making = threading.Lock()
        self._structured = True

    def warm_up(self) -> None:
        """Everything the first request would otherwise do on the event loop, done ahead (in a worker thread):
        import `openai`, make the client (its TLS context reads the CA bundle) and load the chat resources,
        which `openai` imports only on first use (about 0.25 s); and name the platform for its headers."""
        client = self._client
        client.chat.completions  # noqa: B018 - the attribute access is the import
        _name_platform(client)

    async def _loaded(self) -> None:
        if self._made is None:
            await asyncio.to_thread(self.warm_up)

    @property
    def _client(self) -> openai.AsyncOpenAI:
        """Made on first use: `openai` takes a while to import, and a start should not wait for it."""
        with self._making:  # the warm-up thread and a first request may ask at once
            if self._made is None:
                from openai import AsyncOpenAI

                self._made = AsyncOpenAI(**self._options)  # type: ignore[arg-type]
            return self._made

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def complete_json(self, messages: list[ChatMessage], schema: dict, *, name: str = "drafts") -> LLMReply:
        await self._loaded()
        import openai

        payload = cast("list[ChatCompletionMessageParam]", [{"role": m.role, "content": m.content} for m in messages])
        if self._structured:
            response_format: ResponseFormatJSONSchema = {
                "type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True},
            }
            try:
                return await self._complete(payload, response_format)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                # Some servers do not know json_schema; their wording varies, so any 400/422 gets one plain try.
                log.warning("LLM server rejected json_schema output (%s); using JSON in text from now on",
                            exc.status_code)
                self._structured = False
        return await self._complete(payload, None)

    async def _complete(
        self, payload: list[ChatCompletionMessageParam], response_format: ResponseFormatJSONSchema | None
    ) -> LLMReply:
        import httpx2
        import openai

        body: dict[str, object] = {"model": self.model, "messages": payload}
        if response_format:
            body["response_format"] = response_format
        try:
            # Posted as the JSON it is: `chat.completions.create` would first walk the messages and the schema
            # through its typed transforms (about 1 ms of the event loop a request, 20 ms in a burst of 20) to
            # send the same body. Errors are raised as by `create`; the answer is read by `read_completion`.
            raw = await self._client.post("/chat/completions", cast_to=httpx2.Response, body=body)
        except (openai.BadRequestError, openai.UnprocessableEntityError):
            if response_format:
                raise
            raise LLMConfigError(
                "Das Sprachmodell hat die Anfrage abgelehnt (HTTP 400). Modell und Server-Einstellungen prüfen."
            ) from None
        except openai.APIError as exc:
            raise translate_error(exc, model=self.model, base_url=self.base_url) from None
        return read_completion(raw.content, raw.headers.get("content-type", ""), max_reply_chars=self._max_reply_chars)

    async def check_model(self) -> str:
        """For `doctor`: confirm the server answers and knows the model; returns a short report."""
        await self._loaded()
        import openai

        try:
            listing = await self._client.models.with_raw_response.list()
            models: list[str] | None = model_ids(listing.content, listing.headers.get("content-type", ""))
        except openai.NotFoundError:
            models = None  # some servers have no /models: ask for one token instead
        except openai.APIError as exc:
            raise translate_error(exc, model=self.model, base_url=self.base_url) from None
        if models is not None:
            if self.model not in models:
                shown = ", ".join(sorted(models)[:10]) or "keine"
                raise LLMConfigError(
                    f"Das Modell „{self.model}“ gibt es auf {self.base_url} nicht. "
                    f"OPENAI_MODEL auf eines dieser Modelle setzen: {shown}."
                )
            return f"Modell {self.model} auf {self.base_url} verfügbar"
        try:
            raw = await self._client.chat.completions.with_raw_response.create(
                model=self.model, messages=[{"role": "user", "content": "ok"}], max_tokens=1
            )
        except openai.APIError as exc:
            raise translate_error(exc, model=self.model, base_url=self.base_url) from None
        read_completion(raw.content, raw.headers.get("content-type", ""), max_reply_chars=self._max_reply_chars)
        return f"Modell {self.model} auf {self.base_url} antwortet"

    async def aclose(self) -> None:
        if self._made is not None:
            await self._made.close()


def _name_platform(client: openai.AsyncOpenAI) -> None:
    """`openai` names the operating system in its headers and looks it up at the first request, in a worker thread
    (``platform.platform()`` reads the interpreter's binary: 10–50 ms), and in a burst once for every request that
    starts before the first lookup ends, delaying each. Looked up here instead; best effort, as the attribute is
    the library's own (a version without it looks up as before)."""
    if getattr(client, "_platform", False) is not None:
        return
    try:
        from openai._base_client import get_platform
    except ImportError:
        return
    client._platform = get_platform()
    client.default_headers  # noqa: B018 - builds and caches the platform headers


# JSON escapes a character in at most 6 bytes (\uXXXX); the rest of a completion body is small.
_BODY_BYTES_PER_CHAR = 6
_BODY_OVERHEAD_BYTES = 64 * 1024
_MARKUP = re.compile(rb"\s*<[!?a-zA-Z]")  # <!DOCTYPE html>, <html>, <?xml …>


def _invalid_body(what: str, detail: str) -> LLMTransientError:
    return LLMTransientError(
        f"Der Sprachmodell-Server hat keine gültige Antwort geschickt ({what}). Vermutlich steht ein Proxy oder "
        "eine Anmeldeseite davor oder OPENAI_BASE_URL zeigt nicht auf die API (meist endet sie auf /v1).",
        detail=detail,
    )


def _shown(body: bytes, content_type: str) -> str:
    return f"content-type={content_type or '-'}; body: {body[:200]!r}"


def _decode(body: bytes, content_type: str) -> object:
    try:
        return json.loads(body)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        html = "html" in content_type.lower() or _MARKUP.match(body) is not None
        raise _invalid_body("HTML statt JSON" if html else "kein JSON", _shown(body, content_type)) from None


def model_ids(body: bytes, content_type: str) -> list[str]:
    """The model names in a /models body of status 200; LLMTransientError for anything else."""
    data = _decode(body, content_type)
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise _invalid_body("JSON ohne „data“", _shown(body, content_type))
    return [entry["id"] for entry in entries if isinstance(entry, dict) and isinstance(entry.get("id"), str)]


def read_completion(body: bytes, content_type: str, *, max_reply_chars: int = MAX_REPLY_CHARS) -> LLMReply:
    """The reply in a chat-completion body of status 200; LLMTransientError for anything else."""
    if len(body) > max_reply_chars * _BODY_BYTES_PER_CHAR + _BODY_OVERHEAD_BYTES:
        raise reply_too_long(max_reply_chars)  # not even decoded
    shown = _shown(body, content_type)
    data = _decode(body, content_type)
    choices = data.get("choices") if isinstance(data, dict) else None
    if choices == []:
        raise LLMTransientError("Das Sprachmodell hat eine leere Antwort geliefert.", detail=shown)
    first = choices[0] if isinstance(choices, list) else None
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(message, dict) or not isinstance(content, str | None):
        raise _invalid_body("JSON ohne „choices“", shown)
    assert isinstance(first, dict) and isinstance(data, dict)
    finish_reason = first.get("finish_reason")
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return LLMReply(
        text=content or "",
        usage=Usage(prompt_tokens=_count(usage.get("prompt_tokens")),
                    completion_tokens=_count(usage.get("completion_tokens"))),
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
    )


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


_GO_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_GO_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


def _go_duration(value: str) -> float | None:
    """OpenAI's x-ratelimit-reset-* values: '1s', '6m0s', '20ms', '1h2m3.5s'."""
    value = value.strip()
    parts = _GO_DURATION.findall(value)
    if not parts or "".join(number + unit for number, unit in parts) != value:
        return None
    return sum(float(number) * _GO_UNITS[unit] for number, unit in parts)


def _seconds(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """The wait in seconds a 429/5xx response asks for, or None when it names none.

    Read in this order: retry-after-ms, Retry-After (seconds or an HTTP date), and OpenAI's
    x-ratelimit-reset-requests / -tokens (the exhausted one, or the longer of the two).
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    if (ms := _seconds(lowered.get("retry-after-ms", ""))) is not None:
        return _plausible(ms / 1000)
    value = lowered.get("retry-after", "").strip()
    if (seconds := _seconds(value)) is not None:
        return _plausible(seconds)
    if value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            when = when if when.tzinfo else when.replace(tzinfo=UTC)
            return _plausible((when - (now or datetime.now(UTC))).total_seconds())
    resets = {kind: _go_duration(lowered.get(f"x-ratelimit-reset-{kind}", "")) for kind in ("requests", "tokens")}
    exhausted = [resets[kind] for kind in resets if lowered.get(f"x-ratelimit-remaining-{kind}", "").strip() == "0"]
    known = [wait for wait in (exhausted or list(resets.values())) if wait is not None]
    return _plausible(max(known)) if known else None


_LONGEST_WAIT = 7 * 24 * 3600.0  # "inf" or 1e300 from a server means "not soon"; a week says the same


def _plausible(seconds: float) -> float:
    return min(max(seconds, 0.0), _LONGEST_WAIT)


def translate_error(exc: openai.APIError, *, model: str, base_url: str) -> Exception:
    """Map an openai exception to a German error that says what to do."""
    import openai

    detail = f"{type(exc).__name__}: status={getattr(exc, 'status_code', None)}"
    wait = retry_after(exc.response.headers) if isinstance(exc, openai.APIStatusError) else None
    if wait is not None:
        detail += f", retry_after={wait}s"
    if isinstance(exc, openai.APIResponseValidationError):
        return LLMTransientError("Die Antwort des LLM-Servers war unlesbar.", detail=detail)
    if isinstance(exc, openai.APITimeoutError):
        return LLMTransientError("Das Sprachmodell hat nicht rechtzeitig geantwortet (Zeitüberschreitung).",
                                 detail=detail)
    if isinstance(exc, openai.APIConnectionError):
        return LLMTransientError(
            f"Der LLM-Server {base_url} ist nicht erreichbar. OPENAI_BASE_URL prüfen und ob der Server läuft.",
            detail=detail,
        )
    if isinstance(exc, openai.AuthenticationError):
        return LLMConfigError("Der API-Schlüssel wurde abgelehnt (HTTP 401). OPENAI_API_KEY prüfen.", detail=detail)
    if isinstance(exc, openai.PermissionDeniedError):
        return LLMConfigError(
            f"Kein Zugriff auf das Modell „{model}“ (HTTP 403). "
            "Berechtigungen des Schlüssels oder OPENAI_MODEL prüfen.",
            detail=detail,
        )
    if isinstance(exc, openai.NotFoundError):
        return LLMConfigError(
            f"Das Modell „{model}“ oder der Endpunkt ist unbekannt (HTTP 404). "
            "OPENAI_MODEL und OPENAI_BASE_URL prüfen.",
            detail=detail,
        )
    if isinstance(exc, openai.RateLimitError):
        if getattr(exc, "code", None) == "insufficient_quota":
            return LLMConfigError("Das Kontingent des API-Schlüssels ist aufgebraucht (HTTP 429). Abrechnung prüfen.",
                                  detail=detail)
        return LLMTransientError("Das Sprachmodell ist überlastet (HTTP 429, zu viele Anfragen).", detail=detail,
                                 retry_after=wait)
    status = getattr(exc, "status_code", None)
    if status is not None and status >= 500:
        return LLMTransientError(f"Der LLM-Server hat einen Fehler gemeldet (HTTP {status}).", detail=detail,
                                 retry_after=wait)
    return LLMConfigError(f"Das Sprachmodell hat die Anfrage abgelehnt (HTTP {status}).", detail=detail)
