"""tweepy set-up for X API v2: host redirect, request counting, and X's errors in German (XError).

tweepy's sync ``Client`` runs in a worker thread (``asyncio.to_thread``), so the event
loop never blocks. Requests go in two lanes, each with its own tweepy client, HTTP session
and lock: posting (writes, and the reads a post needs: the account before it, the lookup
for reconciliation) and reading (metrics, follower counts, doctor). Each lane makes one
call at a time; a post never waits behind tracking reads. ``wait_on_rate_limit`` stays
off: it would sleep in the thread; a 429 becomes an XError that names the reset time instead.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import requests
import tweepy

from bot.core.drafting.xlength import extract_urls
from bot.core.errors import PublishError
from bot.core.reach.prices import Resource, cost
from bot.core.reach.read_budget import UsageRecorder

log = logging.getLogger(__name__)

TWEEPY_HOST = "https://api.twitter.com"  # tweepy hard-codes it; X_API_BASE_URL replaces it
DEFAULT_TIMEOUT = 20.0


class _RedirectingSession(requests.Session):
    """Sends tweepy's requests to ``base_url`` (a compatible server or proxy) with a timeout."""

    def __init__(self, base_url: str | None, timeout: float) -> None:
        super().__init__()
        self._base_url = base_url.rstrip("/") if base_url else None
        self._timeout = timeout
        self.last_headers: dict[str, str] = {}

    def request(self, method, url, *args, **kwargs):
        if self._base_url and url.startswith(TWEEPY_HOST):
            url = self._base_url + url[len(TWEEPY_HOST):]
        kwargs.setdefault("timeout", self._timeout)
        response = super().request(method, url, *args, **kwargs)
        self.last_headers = dict(response.headers)
        return response


class XError(PublishError):
    """An X failure in German. ``problem`` says what is wrong and how to fix it, for any use of X;
    ``user_message`` adds what 🔁 does for a post, as the draft's thread shows it."""

    def __init__(self, problem: str, *, when_posting: str = "", **kwargs: Any) -> None:
        super().__init__(f"{problem} {when_posting}".strip(), **kwargs)
        self.problem = problem

    def without_posting_hints(self) -> XError:
        """The same failure for reading numbers or for doctor, where there is no post to retry with 🔁."""
        return type(self)(self.problem, detail=self.detail, retryable=self.retryable,
                          maybe_posted=self.maybe_posted, duplicate=self.duplicate)


class XNotFound(XError):
    """X answered 404 (a single post that is gone, or a wrong X_API_BASE_URL)."""


Lane = Literal["post", "read"]


@dataclass
class _Lane:
    tweepy: Any  # tweepy.Client
    session: _RedirectingSession
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    followers: int | None
    access_level: str | None  # X-Access-Level of the tokens: "read", "read-write", … (None if not sent)


class XClient:
    def __init__(self, *, api_key: str, api_secret: str, access_token: str, access_token_secret: str,
                 bearer_token: str | None = None, base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 tz: ZoneInfo | None = None, usage: UsageRecorder | None = None) -> None:
        def lane() -> _Lane:
            client = tweepy.Client(bearer_token=bearer_token or None, consumer_key=api_key,
                                   consumer_secret=api_secret, access_token=access_token,
                                   access_token_secret=access_token_secret, return_type=dict,
                                   wait_on_rate_limit=False)
            client.session = _RedirectingSession(base_url, timeout)
            return _Lane(client, client.session)

        self._lanes: dict[Lane, _Lane] = {"post": lane(), "read": lane()}
        self._tz = tz or ZoneInfo("Europe/Berlin")
        self.usage = usage

    @classmethod
    def from_settings(cls, settings, usage: UsageRecorder | None = None) -> XClient:
        return cls(
            api_key=settings.x_api_key.get_secret_value(), api_secret=settings.x_api_secret.get_secret_value(),
            access_token=settings.x_access_token.get_secret_value(),
            access_token_secret=settings.x_access_token_secret.get_secret_value(),
            bearer_token=settings.x_bearer_token.get_secret_value(), base_url=settings.x_api_base_url,
            tz=ZoneInfo(settings.timezone), usage=usage,
        )

    async def call(self, method: str, *, kind: str = "read", lane: Lane | None = None,
                   resource: Resource | None = None, **params: Any) -> dict:
        """One X request through tweepy (user context); raises XError.

        ``lane``: writes always go in the posting lane; reads in the reading lane unless a post needs them.
        Every request is counted; for reads, the posts or users returned (what X bills). ``resource``: what
        X bills them as (bot.core.reach.prices); by default our own posts and account (owned reads), and for
        writes a created post (with or without a URL). Failed requests cost nothing.
        """
        chosen = self._lanes["post" if kind == "write" else lane or "read"]
        async with chosen.lock:
            body: dict = {}
            succeeded = False
            try:
                body = await asyncio.to_thread(getattr(chosen.tweepy, method), user_auth=True, **params)
                succeeded = True
                return body
            except tweepy.HTTPException as exc:
                raise x_error(exc, self._tz) from None
            except requests.RequestException as exc:
                raise XError(
                    "X ist nicht erreichbar (Netzwerk oder Zeitüberschreitung).",
                    when_posting="Später mit 🔁 erneut versuchen; vorher wird geprüft, ob der Post schon existiert.",
                    detail=type(exc).__name__, retryable=True, maybe_posted=True,
                ) from None
            finally:
                if self.usage is not None:
                    items = _returned(body)
                    billed = resource or _default_resource(kind, params)
                    spent = cost(billed, 1 if kind == "write" else items) if succeeded else 0.0
                    await self.usage.record(kind, items=items, cost=spent)

    def last_headers(self, lane: Lane = "read") -> dict[str, str]:
        """The headers of the lane's latest answer."""
        return self._lanes[lane].session.last_headers

    async def me(self, *, lane: Lane = "read") -> Account:
        """The account behind the access token, with its current follower count (one read request)."""
        body = await self.call("get_me", lane=lane, user_fields=["public_metrics"])
        data = body.get("data") or {}
        if "id" not in data:
            raise XError("X liefert das eigene Konto nicht (GET /2/users/me). Zugangsdaten prüfen.",
                         detail=str(body.get("errors"))[:300], retryable=True)
        access = {k.lower(): v for k, v in self.last_headers(lane).items()}.get("x-access-level")
        return Account(data["id"], data.get("username", ""),
                       (data.get("public_metrics") or {}).get("followers_count"), access)


def _default_resource(kind: str, params: dict[str, Any]) -> Resource:
    if kind != "write":
        return "owned"
    return "create_url" if extract_urls(str(params.get("text") or "")) else "create"


def _returned(body: dict) -> int:
    data = body.get("data") if isinstance(body, dict) else None
    return len(data) if isinstance(data, list) else int(data is not None)


# --- error translation ---

_HOW_TO_RETRY = "Danach 🔁 am Entwurf; der Entwurf bleibt freigegeben, nichts geht verloren."


def _body(exc: tweepy.HTTPException) -> dict:
    try:
        body = exc.response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _headers(exc: tweepy.HTTPException) -> dict[str, str]:
    return {k.lower(): v for k, v in exc.response.headers.items()}


def _when(epoch: str | int | None, tz: ZoneInfo) -> str:
    if epoch is None:
        return "später"
    try:
        moment = datetime.fromtimestamp(int(epoch), UTC).astimezone(tz)
    except (TypeError, ValueError, OverflowError):
        return "später"
    return f"ab {moment.strftime('%d.%m.')} {moment.strftime('%H:%M')} Uhr"


def x_error(exc: tweepy.HTTPException, tz: ZoneInfo) -> XError:
    """X's answer as a German message that says what to do (no secrets: X never echoes them)."""
    status = getattr(exc.response, "status_code", 0)
    body, headers = _body(exc), _headers(exc)
    text = " ".join([str(body.get("detail", "")), str(body.get("title", "")), str(body.get("reason", "")),
                     str(body.get("type", "")), *map(str, exc.api_messages)]).lower()
    detail = f"HTTP {status}: {str(exc)[:300]}"

    if status == 401:
        return XError(
            "X lehnt die Zugangsdaten ab (401). X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN und X_ACCESS_TOKEN_SECRET "
            "prüfen (alle vier aus derselben App) und den Bot neu starten.", when_posting=_HOW_TO_RETRY,
            detail=detail, retryable=True)
    if status == 403 and "duplicate" in text:
        return XError(
            "X lehnt den Text als Duplikat ab: ein gleichlautender Post existiert schon, aber nicht unter den "
            "neuesten Posts des Kontos. Eine andere Formulierung ist nötig.",
            detail=detail, retryable=False, duplicate=True)
    if status == 403 and ("oauth1-permissions" in text or "oauth1 app permissions" in text):
        return XError(
            "Die X-App darf nur lesen. Im X-Entwicklerportal unter „User authentication settings“ die "
            "App-Berechtigung auf „Read and write“ stellen, danach Access Token und Secret neu erzeugen, in .env "
            "eintragen und den Bot neu starten.", when_posting=_HOW_TO_RETRY, detail=detail, retryable=True)
    if status == 403 and ("client-not-enrolled" in text or "client-forbidden" in text):
        return XError(
            "Die X-App gehört zu keinem Projekt mit passendem API-Zugang (client-not-enrolled). Im "
            "X-Entwicklerportal die App einem Projekt zuordnen und den Tarif bzw. das Guthaben prüfen.",
            when_posting=_HOW_TO_RETRY, detail=detail, retryable=True)
    if status == 403:
        reason = body.get("detail") or (exc.api_messages[0] if exc.api_messages else "ohne Begründung")
        return XError(f"X verweigert den Post (403): {reason}", detail=detail, retryable=False)
    if status == 429:
        for scope in ("user", "app"):
            if headers.get(f"x-{scope}-limit-24hour-remaining") == "0":
                limit = headers.get(f"x-{scope}-limit-24hour-limit")
                cap = f" ({limit} Posts in 24 Stunden)" if limit else ""
                owner = "des Kontos" if scope == "user" else "der App"
                return XError(
                    f"Das Tageslimit {owner} für Posts bei X ist erreicht{cap}. Wieder möglich "
                    f"{_when(headers.get(f'x-{scope}-limit-24hour-reset'), tz)}.", when_posting="Dann 🔁.",
                    detail=detail, retryable=True)
        return XError(f"Zu viele Anfragen an X (429). Wieder möglich {_when(headers.get('x-rate-limit-reset'), tz)}.",
                      when_posting="Dann 🔁.", detail=detail, retryable=True)
    if status >= 500:
        return XError(
            f"X ist gerade gestört (HTTP {status}).",
            when_posting="Später mit 🔁 erneut versuchen; vorher wird geprüft, ob der Post trotzdem angekommen ist.",
            detail=detail, retryable=True, maybe_posted=True)
    if status == 404:
        return XNotFound("X kennt die angefragte Adresse nicht (404). Ist X_API_BASE_URL richtig?",
                         detail=detail, retryable=False)
    reason = body.get("detail") or (exc.api_messages[0] if exc.api_messages else f"HTTP {status}")
    return XError(f"X lehnt die Anfrage ab ({status}): {reason}", detail=detail, retryable=False)
