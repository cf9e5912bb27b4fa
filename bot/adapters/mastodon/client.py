"""Mastodon.py set-up: two lanes, answers' headers kept, Mastodon's errors in German (MastodonFailure).

Mastodon.py is synchronous (on requests), so each call runs in a worker thread (``asyncio.to_thread``) and
the event loop never blocks. Requests go in two lanes, each with its own ``Mastodon`` object, HTTP session
and lock: posting (writes, and the reads a post needs) and reading (metrics, amplifiers, doctor); a post never
waits behind tracking reads. ``ratelimit_method="throw"``: Mastodon.py never sleeps on a rate limit, a 429
becomes a MastodonFailure that names the reset time instead. ``version_check_mode="none"``: no version probe.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import requests
from mastodon import Mastodon, MastodonError

from bot.adapters.mastodon.errors import MastodonFailure, mastodon_failure

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
DEFAULT_MAX_CHARACTERS = 500  # when /api/v2/instance does not say
DEFAULT_URL_CHARACTERS = 23
USER_AGENT = "spitzfeder"

Lane = Literal["post", "read"]


class _RecordingSession(requests.Session):
    """Keeps the status and headers of the latest answer (Mastodon.py's exceptions carry no headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.last_status: int | None = None
        self.last_headers: dict[str, str] = {}

    def request(self, method, url, *args, **kwargs):
        self.last_status, self.last_headers = None, {}
        response = super().request(method, url, *args, **kwargs)
        self.last_status, self.last_headers = response.status_code, dict(response.headers)
        return response


@dataclass
class _Lane:
    api: Mastodon
    session: _RecordingSession
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class Account:
    id: str
    acct: str
    url: str
    followers: int | None


class MastodonClient:
    def __init__(self, *, base_url: str, access_token: str, visibility: str = "public",
                 timeout: float = DEFAULT_TIMEOUT, tz: ZoneInfo | None = None) -> None:
        def lane() -> _Lane:
            session = _RecordingSession()
            api = Mastodon(access_token=access_token, api_base_url=base_url.rstrip("/"), request_timeout=timeout,
                           ratelimit_method="throw", version_check_mode="none", session=session,
                           user_agent=USER_AGENT)
            return _Lane(api, session)

        self._lanes: dict[Lane, _Lane] = {"post": lane(), "read": lane()}
        self.visibility = visibility
        self.host = urlsplit(base_url if "://" in base_url else f"https://{base_url}").netloc or base_url
        self._tz = tz or ZoneInfo("Europe/Berlin")
        self._limits: tuple[int, int] | None = None
        self._account_id: str | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> MastodonClient:
        return cls(base_url=settings.mastodon_base_url.strip(),
                   access_token=settings.mastodon_access_token.get_secret_value(),
                   visibility=settings.mastodon_visibility, tz=ZoneInfo(settings.timezone))

    async def call(self, method: str, *args: Any, lane: Lane = "read", **params: Any) -> Any:
        """One Mastodon.py call (``method`` of ``Mastodon``) in the lane's thread; raises MastodonFailure."""
        chosen = self._lanes[lane]
        async with chosen.lock:
            try:
                return await asyncio.to_thread(getattr(chosen.api, method), *args, **params)
            except MastodonError as exc:
                failure = mastodon_failure(exc, status=chosen.session.last_status,
                                           headers=chosen.session.last_headers, tz=self._tz)
                log.info("Mastodon %s failed: %s", method, failure.detail)
                raise failure from None

    async def me(self, *, lane: Lane = "read") -> Account:
        """The account behind the token, with its current follower count (GET /api/v1/accounts/verify_credentials)."""
        raw = await self.call("account_verify_credentials", lane=lane)
        if not isinstance(raw, dict) or not raw.get("id"):
            raise MastodonFailure("Die Mastodon-Instanz liefert das eigene Konto nicht (verify_credentials). "
                                  "MASTODON_BASE_URL und MASTODON_ACCESS_TOKEN prüfen.", detail=str(type(raw)))
        followers = raw.get("followers_count")
        account = Account(str(raw["id"]), str(raw.get("acct") or raw.get("username") or ""), str(raw.get("url") or ""),
                          followers if isinstance(followers, int) else None)
        self._account_id = account.id
        return account

    async def account_id(self, *, lane: Lane = "read") -> str:
        """Our account's id (asked once, then kept)."""
        if self._account_id is None:
            await self.me(lane=lane)
        assert self._account_id is not None
        return self._account_id

    async def instance_limits(self) -> tuple[int, int]:
        """(max_characters, characters_reserved_per_url) from /api/v2/instance; 500/23 where it says nothing.

        Asked once and kept; a failure is not kept (the next call asks again)."""
        if self._limits is None:
            raw = await self.call("instance_v2")
            statuses = ((raw or {}).get("configuration") or {}).get("statuses") or {}
            chars, per_url = statuses.get("max_characters"), statuses.get("characters_reserved_per_url")
            self._limits = (chars if isinstance(chars, int) and chars > 0 else DEFAULT_MAX_CHARACTERS,
                            per_url if isinstance(per_url, int) and per_url >= 0 else DEFAULT_URL_CHARACTERS)
        return self._limits
