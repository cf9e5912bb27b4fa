"""The LLM adapter: any OpenAI-compatible server through the `openai` package.

Structured output (json_schema) first; a server that rejects it gets JSON in
text from then on. Retries are the core's job, so the client's own are off.

`openai` (its type tree is large: about 13 MB and a few hundred milliseconds) is imported when a client is
built, not with this module; the methods import it again, which then is a dictionary look-up.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.core.drafting.models import Usage
from bot.core.drafting.ports import ChatMessage, LLMReply
from bot.core.errors import LLMConfigError, LLMTransientError

if TYPE_CHECKING:
    import httpx2
    import openai

log = logging.getLogger(__name__)


class OpenAIChat:
    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout_seconds: float = 60.0,
        http_client: httpx2.AsyncClient | None = None,
    ) -> None:
        from openai import AsyncOpenAI

        self.model = model
        self._client = AsyncOpenAI(
            # Local servers (Ollama, llama.cpp) take any key; the client insists on one.
            api_key=api_key or "no-key",
            base_url=base_url,
            timeout=timeout_seconds,
            max_retries=0,
            http_client=http_client,
        )
        self._structured = True

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def complete_json(self, messages: list[ChatMessage], schema: dict) -> LLMReply:
        import openai

        payload = [{"role": m.role, "content": m.content} for m in messages]
        if self._structured:
            response_format = {"type": "json_schema",
                               "json_schema": {"name": "drafts", "schema": schema, "strict": True}}
            try:
                return await self._complete(payload, response_format)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
                # Some servers do not know json_schema; their wording varies, so any 400/422 gets one plain try.
                log.warning("LLM server rejected json_schema output (%s); using JSON in text from now on",
                            exc.status_code)
                self._structured = False
        return await self._complete(payload, None)

    async def _complete(self, payload: list[Any], response_format: dict | None) -> LLMReply:
        import openai

        extra: dict[str, Any] = {"response_format": response_format} if response_format else {}
        try:
            response = await self._client.chat.completions.create(model=self.model, messages=payload, **extra)
        except (openai.BadRequestError, openai.UnprocessableEntityError):
            if response_format:
                raise
            raise LLMConfigError(
                "Das Sprachmodell hat die Anfrage abgelehnt (HTTP 400). Modell und Server-Einstellungen prüfen."
            ) from None
        except openai.APIError as exc:
            raise translate_error(exc, model=self.model, base_url=self.base_url) from None
        except ValueError as exc:  # a 200 whose body is not JSON
            raise LLMTransientError("Die Antwort des LLM-Servers war unlesbar.", detail=type(exc).__name__) from None
        if not response.choices:
            raise LLMTransientError("Das Sprachmodell hat eine leere Antwort geliefert.")
        choice = response.choices[0]
        usage = Usage(
            prompt_tokens=getattr(response.usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(response.usage, "completion_tokens", 0) or 0,
        )
        return LLMReply(text=choice.message.content or "", usage=usage, finish_reason=choice.finish_reason)

    async def check_model(self) -> str:
        """For `doctor`: confirm the server answers and knows the model; returns a short report."""
        import openai

        try:
            models = [m.id async for m in self._client.models.list()]
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
            await self._client.chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": "ok"}], max_tokens=1
            )
        except openai.APIError as exc:
            raise translate_error(exc, model=self.model, base_url=self.base_url) from None
        return f"Modell {self.model} auf {self.base_url} antwortet"

    async def aclose(self) -> None:
        await self._client.close()


def translate_error(exc: openai.APIError, *, model: str, base_url: str) -> Exception:
    """Map an openai exception to a German error that says what to do."""
    import openai

    detail = f"{type(exc).__name__}: status={getattr(exc, 'status_code', None)}"
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
        return LLMTransientError("Das Sprachmodell ist überlastet (HTTP 429, zu viele Anfragen).", detail=detail)
    status = getattr(exc, "status_code", None)
    if status is not None and status >= 500:
        return LLMTransientError(f"Der LLM-Server hat einen Fehler gemeldet (HTTP {status}).", detail=detail)
    return LLMConfigError(f"Das Sprachmodell hat die Anfrage abgelehnt (HTTP {status}).", detail=detail)
