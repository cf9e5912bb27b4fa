"""Mastodon.py's exceptions as German messages that say what to do (nothing secret: the token is never echoed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from mastodon import (
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from bot.core.errors import PublishError

_HOW_TO_RETRY = "Danach 🔁 am Entwurf; der Entwurf bleibt freigegeben, nichts geht verloren."
_CHECKED_FIRST = "Später mit 🔁 erneut versuchen; vorher wird geprüft, ob der Post schon existiert."
NEW_TOKEN = ("In der Instanz unter Einstellungen → Entwicklung eine Anwendung mit den Berechtigungen read und "
             "write:statuses anlegen, ihr Zugangstoken als MASTODON_ACCESS_TOKEN in .env eintragen und den Bot "
             "neu starten.")
_TAGS = re.compile(r"<[^>]*>")


class MastodonFailure(PublishError):
    """A Mastodon failure in German. ``problem`` says what is wrong and how to fix it, for any use of Mastodon;
    ``user_message`` adds what 🔁 does for a post, as the draft's thread shows it."""

    def __init__(self, problem: str, *, when_posting: str = "", **kwargs: Any) -> None:
        super().__init__(f"{problem} {when_posting}".strip(), **kwargs)
        self.problem = problem

    def before_posting(self) -> MastodonFailure:
        """The same failure met before the status was sent: nothing can have been posted."""
        when = "Später mit 🔁 erneut versuchen." if self.maybe_posted else ""
        return type(self)(self.problem, when_posting=when, detail=self.detail, retryable=self.retryable,
                          maybe_posted=False, duplicate=self.duplicate)

    def without_posting_hints(self) -> MastodonFailure:
        """The same failure for reading numbers or for doctor, where there is no post to retry with 🔁."""
        return type(self)(self.problem, detail=self.detail, retryable=self.retryable,
                          maybe_posted=self.maybe_posted, duplicate=self.duplicate)


class MastodonGone(MastodonFailure):
    """The instance answered 404: a status that is gone (deleted), or a wrong MASTODON_BASE_URL."""


def when(reset: str | None, tz: ZoneInfo) -> str:
    """X-RateLimit-Reset (an ISO time; some servers send epoch seconds) as „ab 30.11. 12:05 Uhr“."""
    if not reset:
        return "später"
    try:
        moment = (datetime.fromtimestamp(int(reset), UTC) if reset.strip().isdigit()
                  else datetime.fromisoformat(reset.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        return "später"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    return f"ab {local.strftime('%d.%m.')} {local.strftime('%H:%M')} Uhr"


def instance_text(message: object, limit: int = 200) -> str:
    """The instance's own error text, as data: without markup, on one line, clipped."""
    text = " ".join(_TAGS.sub(" ", str(message or "")).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _status_and_message(exc: MastodonError) -> tuple[int, str]:
    """Mastodon.py raises ``('Mastodon API returned error', status, reason, error text)``."""
    args = exc.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else 0
    return status, instance_text(args[3] if len(args) > 3 else "")


def mastodon_failure(exc: MastodonError, *, status: int | None, headers: dict[str, str],
                     tz: ZoneInfo) -> MastodonFailure:
    """``status`` and ``headers`` of the answer that failed (None when none came)."""
    code, message = _status_and_message(exc)
    code = code or status or 0
    detail = f"{type(exc).__name__}, HTTP {code or '–'}" + (f": {message}" if message else "")

    if isinstance(exc, MastodonNetworkError):  # its text names the URL and the cause, never the token
        return MastodonFailure("Die Mastodon-Instanz ist nicht erreichbar (Netzwerk oder Zeitüberschreitung).",
                               when_posting=_CHECKED_FIRST, detail=f"{type(exc).__name__}: {str(exc)[:300]}",
                               retryable=True, maybe_posted=True)
    if isinstance(exc, MastodonRatelimitError) and status is not None and status < 400:
        # Mastodon.py could not read the rate-limit headers of an answer that itself went through
        return MastodonFailure("Die Antwort der Mastodon-Instanz war nicht lesbar (Rate-Limit-Angaben).",
                               when_posting=_CHECKED_FIRST, detail=detail, retryable=True, maybe_posted=True)
    if (isinstance(exc, MastodonRatelimitError) and (status is None or status == 429)) or code == 429:
        reset = {k.lower(): v for k, v in headers.items()}.get("x-ratelimit-reset")
        return MastodonFailure(f"Zu viele Anfragen an Mastodon (429). Wieder möglich {when(reset, tz)}.",
                               when_posting="Dann 🔁.", detail=detail, retryable=True)
    if isinstance(exc, MastodonUnauthorizedError) or code == 401:
        return MastodonFailure(f"Die Mastodon-Instanz lehnt das Zugangstoken ab (401: widerrufen oder falsch). "
                               f"{NEW_TOKEN}", when_posting=_HOW_TO_RETRY, detail=detail, retryable=True)
    if code == 403 and "scope" in message.lower():
        return MastodonFailure(f"Das Mastodon-Zugangstoken darf nicht posten (ihm fehlt die Berechtigung "
                               f"write:statuses). {NEW_TOKEN}", when_posting=_HOW_TO_RETRY, detail=detail,
                               retryable=True)
    if code == 403:
        return MastodonFailure(f"Die Mastodon-Instanz verweigert das (403): „{message or 'ohne Begründung'}“. "
                               "Ist das Konto gesperrt oder eingeschränkt?", detail=detail, retryable=False)
    if code == 422:
        return MastodonFailure(f"Die Mastodon-Instanz lehnt den Post ab (422): „{message or 'ohne Begründung'}“. "
                               "Der Text muss geändert werden (zu lang oder nicht erlaubt); erneut senden hilft "
                               "nicht.", detail=detail, retryable=False)
    if isinstance(exc, MastodonServerError) or code >= 500:
        return MastodonFailure(f"Die Mastodon-Instanz ist gerade gestört (HTTP {code or '5xx'}).",
                               when_posting="Später mit 🔁 erneut versuchen; vorher wird geprüft, ob der Post "
                                            "trotzdem angekommen ist.",
                               detail=detail, retryable=True, maybe_posted=True)
    if isinstance(exc, MastodonNotFoundError) or code == 404:
        return MastodonGone("Die Mastodon-Instanz kennt die angefragte Adresse nicht (404). Ist MASTODON_BASE_URL "
                            "richtig (z. B. https://mastodon.social)?", detail=detail, retryable=False)
    if isinstance(exc, MastodonAPIError) and code < 400:  # an answer that is not JSON: an HTML page
        return MastodonFailure("Die Mastodon-Instanz antwortet nicht wie eine Mastodon-API (eine Webseite statt "
                               "JSON). MASTODON_BASE_URL prüfen; bei einer Wartungsseite später erneut versuchen.",
                               when_posting=_CHECKED_FIRST, detail=f"{type(exc).__name__}, HTTP {code or '–'}",
                               retryable=True, maybe_posted=True)
    return MastodonFailure(f"Die Mastodon-Instanz lehnt die Anfrage ab (HTTP {code or '–'})"
                           + (f": „{message}“." if message else "."), detail=detail, retryable=False)
