"""The atproto client for one Bluesky account: session, refresh, and Bluesky's errors in German (BlueskyError).

One ``AsyncClient`` per account, shared by publisher, metrics and amplifiers. The session is created on first
use (``com.atproto.server.createSession`` with handle and app password) and follows the account to the PDS its
DID document names. atproto refreshes the access token ahead of its expiry; a token the PDS still calls
expired or invalid is refreshed (``refreshSession``), else the session is created anew, and the request is
made once more. Tokens and the password are never logged nor put into a message (atproto's ``Session`` hides
them in its repr).

A PDS that moved: when the account migrates, its old PDS deactivates it there and the DID document points to
the new host. createSession then answers ``active: false, status: deactivated`` (and requests
``AccountDeactivated``): the message names the host the DID document gives, to put into BLUESKY_PDS_URL.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from bot.core.errors import PublishError

if TYPE_CHECKING:
    from atproto_client import AsyncClient, Session

log = logging.getLogger(__name__)


@cache
def _lib() -> SimpleNamespace:
    """atproto, loaded when Bluesky is first used: it builds every lexicon model on import (about a second)."""
    import httpx
    from atproto_client import AsyncClient, Session, models
    from atproto_client.client.session import get_session_pds_endpoint
    from atproto_client.exceptions import InvokeTimeoutError, ModelError, RateLimitExceededError, RequestErrorBase
    from atproto_client.models.common import XrpcError
    from atproto_client.request import AsyncRequest
    from atproto_core.exceptions import AtProtocolError

    return SimpleNamespace(
        httpx=httpx, AsyncClient=AsyncClient, Session=Session, models=models, pds_endpoint=get_session_pds_endpoint,
        InvokeTimeoutError=InvokeTimeoutError, ModelError=ModelError, RateLimit=RateLimitExceededError,
        RequestError=RequestErrorBase, XrpcError=XrpcError, AsyncRequest=AsyncRequest, AtProtocolError=AtProtocolError)

DEFAULT_TIMEOUT = 20.0
T = TypeVar("T")

_SESSION_ERRORS = {"ExpiredToken", "InvalidToken"}
_FIX_LOGIN = ("BLUESKY_HANDLE und BLUESKY_APP_PASSWORD in .env prüfen (ein App-Passwort legt man in Bluesky unter "
              "Einstellungen → Datenschutz und Sicherheit → App-Passwörter an; ein widerrufenes neu anlegen) und den "
              "Bot neu starten.")
_HOW_TO_RETRY = "Danach 🔁 am Entwurf; der Entwurf bleibt freigegeben, nichts geht verloren."
_MAYBE_POSTED = "Später mit 🔁 erneut versuchen; vorher wird geprüft, ob der Post schon existiert."


class BlueskyError(PublishError):
    """A Bluesky failure in German. ``problem`` says what is wrong and how to fix it, for any use of Bluesky;
    ``user_message`` adds what 🔁 does for a post, as the draft's thread shows it."""

    def __init__(self, problem: str, *, when_posting: str = "", **kwargs: Any) -> None:
        super().__init__(f"{problem} {when_posting}".strip(), **kwargs)
        self.problem = problem
        self.when_posting = when_posting

    def without_posting_hints(self) -> BlueskyError:
        """The same failure for reading numbers or for doctor, where there is no post to retry with 🔁."""
        return type(self)(self.problem, detail=self.detail, retryable=self.retryable,
                          maybe_posted=self.maybe_posted, duplicate=self.duplicate)

    def before_posting(self) -> BlueskyError:
        """The same failure met before anything was sent to be posted: nothing can have been posted."""
        when = self.when_posting if not self.maybe_posted else "Später mit 🔁 erneut versuchen."
        return type(self)(self.problem, when_posting=when, detail=self.detail, retryable=self.retryable,
                          maybe_posted=False, duplicate=self.duplicate)


class BlueskyNotFound(BlueskyError):
    """The record asked for does not exist (``RecordNotFound``)."""


@dataclass(frozen=True)
class Account:
    did: str
    handle: str
    followers: int | None


class BlueskyClient:
    def __init__(self, *, handle: str, app_password: str, pds_url: str, tz: ZoneInfo | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self._identifier = handle.strip().removeprefix("@")
        self._password = app_password
        self._pds_url = pds_url.rstrip("/")
        self._tz = tz or ZoneInfo("Europe/Berlin")
        self._timeout = timeout
        self._client: AsyncClient | None = None
        self._session: Session | None = None
        self._login_lock = asyncio.Lock()
        self._renewals = 0  # sessions renewed so far (see _renew)
        self.requests: Counter[str] = Counter()  # calls made, by what they were for

    @classmethod
    def from_settings(cls, settings: Any) -> BlueskyClient:
        return cls(handle=settings.bluesky_handle, app_password=settings.bluesky_app_password.get_secret_value(),
                   pds_url=settings.bluesky_pds_url, tz=ZoneInfo(settings.timezone))

    @property
    def pds_host(self) -> str:
        return urlparse(self._pds_url).netloc or self._pds_url

    @property
    def did(self) -> str:
        if self._session is None:
            raise RuntimeError("no Bluesky session yet: call BlueskyClient.session() first")
        return self._session.did

    @property
    def handle(self) -> str:
        return self._session.handle if self._session else self._identifier

    @property
    def scope(self) -> str | None:
        """The access token's scope: com.atproto.appPass(Privileged) for an app password, com.atproto.access for
        the account's main password; None before the first session or when the token does not say."""
        if self._session is None:
            return None
        try:
            return self._session.access_jwt_payload.scope
        except Exception:  # a token we cannot read: the PDS decides what it may do
            return None

    async def session(self) -> AsyncClient:
        """The logged-in client (created on first use)."""
        async with self._login_lock:
            if self._client is None or self._session is None:
                self._client = await self._login()
            return self._client

    async def close(self) -> None:
        """Close the HTTP connections (at shutdown); the next call logs in anew."""
        client, self._client, self._session = self._client, None, None
        if client is not None:
            await client.request.close()

    async def call(self, what: str, operation: Callable[[AsyncClient], Awaitable[T]]) -> T:
        """One XRPC call; ``what`` names it for the request count. Raises BlueskyError (German)."""
        client = await self.session()
        lib = _lib()
        for attempt in (1, 2):
            self.requests[what] += 1
            renewals = self._renewals
            try:
                return await operation(client)
            except lib.RequestError as exc:
                if attempt == 1 and _xrpc_error(exc) in _SESSION_ERRORS:
                    client = await self._renew(client, _xrpc_error(exc), renewals)
                    continue
                raise bluesky_error(exc, self._tz, self.pds_host) from None
            except (lib.ModelError, lib.AtProtocolError) as exc:
                raise _not_a_pds(self.pds_host, exc) from None
            except lib.httpx.HTTPError as exc:  # what atproto passes through untranslated (e.g. a dropped connection)
                raise _unreachable(self.pds_host, exc) from None
        raise AssertionError("unreachable")

    async def account(self) -> Account:
        """Our own profile with its current follower count (app.bsky.actor.getProfile)."""
        profile = await self.call("getProfile", lambda c: c.app.bsky.actor.get_profile({"actor": self.did}))
        return Account(profile.did, profile.handle, profile.followers_count)

    # --- session ---

    async def _login(self) -> AsyncClient:
        lib = _lib()
        client = lib.AsyncClient(base_url=self._pds_url, request=lib.AsyncRequest(timeout=self._timeout))
        client.on_session_change(self._remember)
        self.requests["createSession"] += 1
        try:
            response = await client.com.atproto.server.create_session(
                lib.models.ComAtprotoServerCreateSession.Data(identifier=self._identifier, password=self._password))
        except lib.RequestError as exc:
            raise bluesky_error(exc, self._tz, self.pds_host, logging_in=True) from None
        except (lib.ModelError, lib.AtProtocolError) as exc:
            raise _not_a_pds(self.pds_host, exc) from None
        except lib.httpx.HTTPError as exc:
            raise _unreachable(self.pds_host, exc) from None
        await self._adopt(client, response)
        log.info("Bluesky session for @%s (%s) on %s", response.handle, response.did,
                 urlparse(_lib().pds_endpoint(response) or self._pds_url).netloc)
        return client

    async def _renew(self, client: AsyncClient, reason: str, renewals: int) -> AsyncClient:
        """After ExpiredToken: refreshSession; after InvalidToken (or a failed refresh): a new session.

        ``renewals``: the count when the failed call started. Calls that met the same expired session renew it
        once: the others find the count moved on and take the renewed client."""
        async with self._login_lock:
            if self._renewals != renewals and self._client is not None:
                return self._client
            self._renewals += 1
            log.info("Bluesky answered %s: renewing the session", reason)
            if reason == "ExpiredToken" and self._session is not None and await self._refreshed(client):
                return client
            self._client = await self._login()
        await client.request.close()  # the old session's connections
        return self._client

    async def _refreshed(self, client: AsyncClient) -> bool:
        assert self._session is not None
        lib = _lib()
        self.requests["refreshSession"] += 1
        try:
            response = await client.com.atproto.server.refresh_session(
                headers={"Authorization": f"Bearer {self._session.refresh_jwt}"}, ignore_session_check=True)
            await self._adopt(client, response)
        except BlueskyError:
            raise  # the account is no longer active here: logging in again cannot help
        except (lib.AtProtocolError, lib.httpx.HTTPError) as exc:
            reason = _xrpc_error(exc) if isinstance(exc, lib.RequestError) else type(exc).__name__
            log.info("refreshing the Bluesky session failed (%s): logging in anew", reason or "error")
            return False
        return True

    async def _adopt(self, client: AsyncClient, response: Any) -> None:
        """Take a createSession/refreshSession answer as the client's session, unless the account left this PDS."""
        lib = _lib()
        if response.active is False:
            raise _inactive(response.status, lib.pds_endpoint(response), self.pds_host)
        endpoint = lib.pds_endpoint(response) or self._pds_url
        session = lib.Session(handle=response.handle, did=response.did, access_jwt=response.access_jwt,
                          refresh_jwt=response.refresh_jwt, pds_endpoint=endpoint)
        await client.login(session_string=session.export(), fetch_bsky_profile=False)

    def _remember(self, event: Any, session: Session) -> None:
        self._session = session  # also atproto's own refreshes ahead of expiry


# --- error translation ---

def _xrpc_error(exc: Any) -> str:
    content = exc.response.content if exc.response is not None else None
    return content.error if isinstance(content, _lib().XrpcError) else ""


def _xrpc_message(exc: Any) -> str:
    content = exc.response.content if exc.response is not None else None
    return str(content.message or "")[:200] if isinstance(content, _lib().XrpcError) else ""


def _when(reset: datetime | None, tz: ZoneInfo) -> str:
    if reset is None:
        return "später"
    moment = reset.astimezone(tz)
    return f"ab {moment.strftime('%d.%m.')} {moment.strftime('%H:%M')} Uhr"


def _host(url: str | None) -> str:
    return (urlparse(url).netloc or url or "") if url else ""


def _inactive(status: str | None, endpoint: str | None, pds_host: str) -> BlueskyError:
    if status in ("takendown", "suspended"):
        return BlueskyError(f"Das Bluesky-Konto ist gesperrt ({status}). Im Bluesky-Konto nachsehen; solange kann "
                            "Spitzfeder dort nicht posten.", detail=f"account {status}", retryable=True)
    elsewhere = _host(endpoint)
    where = (f"; laut DID-Dokument liegt es jetzt auf {elsewhere}. BLUESKY_PDS_URL=https://{elsewhere} in .env "
             "setzen" if elsewhere and elsewhere != pds_host else
             ". Ist das Konto umgezogen? BLUESKY_PDS_URL in .env auf den neuen PDS setzen")
    return BlueskyError(f"Das Bluesky-Konto ist auf dem PDS {pds_host} nicht mehr aktiv (umgezogen oder "
                        f"deaktiviert){where} und den Bot neu starten.", when_posting=_HOW_TO_RETRY,
                        detail=f"account {status or 'inactive'}, DID document: {elsewhere or '?'}", retryable=True)


def _unreachable(pds_host: str, exc: Exception) -> BlueskyError:
    lib = _lib()
    timeout = isinstance(exc, (lib.InvokeTimeoutError, lib.httpx.TimeoutException))
    what = "Zeitüberschreitung" if timeout else "Netzwerk"
    return BlueskyError(f"Bluesky (PDS {pds_host}) ist nicht erreichbar ({what}).",
                        when_posting=_MAYBE_POSTED, detail=f"{type(exc).__name__}: {exc.__cause__ or exc}"[:300],
                        retryable=True, maybe_posted=True)


def _not_a_pds(pds_host: str, exc: Exception) -> BlueskyError:
    return BlueskyError(
        f"Bluesky (PDS {pds_host}) antwortet gerade nicht wie erwartet. Ist BLUESKY_PDS_URL richtig? Sonst später "
        "erneut versuchen.", when_posting=_MAYBE_POSTED, detail=f"{type(exc).__name__}: {str(exc)[:200]}",
        retryable=True, maybe_posted=True)


def bluesky_error(exc: Any, tz: ZoneInfo, pds_host: str, *, logging_in: bool = False) -> BlueskyError:
    """Bluesky's answer as a German message that says what to do (a PDS never echoes the password or tokens)."""
    lib = _lib()
    response = exc.response
    if response is None or isinstance(exc, lib.InvokeTimeoutError):
        return _unreachable(pds_host, exc)
    status, error, message = response.status_code, _xrpc_error(exc), _xrpc_message(exc)
    detail = f"HTTP {status} {error}: {message}"
    if isinstance(exc, lib.RateLimit) or status == 429:
        reset = exc.reset_at if isinstance(exc, lib.RateLimit) else None
        return BlueskyError(f"Zu viele Anfragen an Bluesky (429). Wieder möglich {_when(reset, tz)}.",
                            when_posting="Dann 🔁.", detail=detail, retryable=True)
    if error in ("AccountDeactivated", "AccountTakedown"):
        return _inactive("takendown" if error == "AccountTakedown" else "deactivated", None, pds_host)
    if error == "RecordNotFound":
        return BlueskyNotFound("Bluesky kennt den Eintrag nicht (RecordNotFound).", detail=detail, retryable=False)
    if error == "AuthFactorTokenRequired":
        return BlueskyError("Das Bluesky-Konto verlangt bei der Anmeldung einen E-Mail-Code: in "
                            "BLUESKY_APP_PASSWORD gehört ein App-Passwort, nicht das Hauptpasswort. " + _FIX_LOGIN,
                            when_posting=_HOW_TO_RETRY, detail=detail, retryable=True)
    if logging_in and status in (400, 401) and error in ("AuthenticationRequired", "InvalidRequest", ""):
        return BlueskyError(f"Bluesky lehnt Handle oder App-Passwort ab ({status}). {_FIX_LOGIN}",
                            when_posting=_HOW_TO_RETRY, detail=detail, retryable=True)
    if error in _SESSION_ERRORS or status in (401, 403):
        return BlueskyError(
            f"Bluesky nimmt die Sitzung nicht mehr an ({error or status}), auch nach neuer Anmeldung. Ist das "
            f"App-Passwort widerrufen oder das Konto auf einen anderen PDS umgezogen? {_FIX_LOGIN} Bei einem Umzug "
            "BLUESKY_PDS_URL auf den neuen PDS setzen.", when_posting=_HOW_TO_RETRY, detail=detail, retryable=True)
    if status >= 500 or status in (409, 413) or not isinstance(response.content, lib.XrpcError):
        return BlueskyError(f"Bluesky (PDS {pds_host}) antwortet gerade nicht (HTTP {status}).",
                            when_posting="Später mit 🔁 erneut versuchen; vorher wird geprüft, ob der Post trotzdem "
                                         "angekommen ist.", detail=detail, retryable=True, maybe_posted=True)
    if status == 404 or error in ("MethodNotImplemented", "XRPCNotSupported"):
        return BlueskyError(f"Der PDS {pds_host} kennt die Anfrage nicht ({status}). Ist BLUESKY_PDS_URL richtig?",
                            detail=detail, retryable=False)
    if "longer than" in message or "graphemes" in message or "too long" in message.lower():
        return BlueskyError("Bluesky lehnt den Text als zu lang ab (höchstens 300 Zeichen). Eine kürzere Fassung "
                            "ist nötig; 🔁 hilft hier nicht.", detail=detail, retryable=False)
    reason = message or error or f"HTTP {status}"
    return BlueskyError(f"Bluesky lehnt die Anfrage ab ({status}): {reason}", detail=detail, retryable=False)


def now_iso(moment: datetime | None = None) -> str:
    """An atproto datetime: UTC with milliseconds and a Z."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
