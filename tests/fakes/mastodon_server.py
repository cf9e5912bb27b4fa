"""A fake Mastodon instance on 127.0.0.1: the endpoints Spitzfeder uses, scripted faults, every request recorded.

Statuses are kept per Idempotency-Key as Mastodon does (the same key gives the same status, never a second one);
content comes back as HTML the way Mastodon renders it (paragraphs, shortened links, mention h-cards).
"""

from __future__ import annotations

import html
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer
from tests.fakes.x_server import Hold

TOKEN = "test-mastodon-token"
ACCOUNT_ID = "109000000000000001"
USERNAME = "spitzfeder"
INVALID_TOKEN = {"error": "The access token is invalid"}
OUTSIDE_SCOPES = {"error": "This action is outside the authorized scopes"}
_URL = re.compile(r"https?://[^\s<]+")
_MENTION = re.compile(r"@([A-Za-z0-9_]+)(@[A-Za-z0-9.-]+)?")


@dataclass
class Fault:
    status: int
    body: Any  # dict -> JSON, str -> raw text (e.g. an HTML error page)
    headers: dict[str, str] = field(default_factory=dict)
    accept_first: bool = False  # store the status, then answer with the fault
    drop: bool = False  # store the status, then close the connection without an answer


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    idempotency_key: str | None
    form: dict[str, str] = field(default_factory=dict)


@dataclass
class StoredStatus:
    id: str
    text: str
    created_at: datetime
    visibility: str = "public"
    language: str | None = None
    in_reply_to_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)  # reblogs, favourites, replies, quotes


def account(account_id: str, acct: str, followers: int = 100, display_name: str | None = None) -> dict[str, Any]:
    """An account as Mastodon returns it; ``acct`` is ``user`` (local) or ``user@instance`` (remote)."""
    username = acct.split("@")[0]
    return {"id": account_id, "username": username, "acct": acct, "display_name": display_name or username.title(),
            "locked": False, "bot": False, "note": "", "url": f"https://example.social/@{acct}",
            "avatar": "", "header": "", "created_at": "2023-01-01T00:00:00.000Z", "followers_count": followers,
            "following_count": 10, "statuses_count": 5, "emojis": [], "fields": []}


def render(text: str) -> str:
    """Plain text as Mastodon's HTML: paragraphs, line breaks, links shortened with hidden spans, mention cards."""
    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        scheme, rest = url.split("://", 1)
        shown, hidden = rest[:30], rest[30:]
        ellipsis = "ellipsis" if hidden else ""
        return (f'<a href="{url}" target="_blank" rel="nofollow noopener"><span class="invisible">{scheme}://</span>'
                f'<span class="{ellipsis}">{shown}</span><span class="invisible">{hidden}</span></a>')

    def mention(match: re.Match[str]) -> str:
        return (f'<span class="h-card"><a href="https://example.social/@{match.group(1)}" class="u-url mention">'
                f'@<span>{match.group(1)}</span></a></span>')

    paragraphs = []
    for paragraph in text.split("\n\n"):
        escaped = html.escape(paragraph, quote=False)
        escaped = _URL.sub(link, escaped)
        escaped = _MENTION.sub(mention, escaped)
        paragraphs.append("<p>" + escaped.replace("\n", "<br />") + "</p>")
    return "".join(paragraphs)


class FakeMastodon:
    def __init__(self) -> None:
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.followers = 1234
        self.max_characters: int | None = 500  # None: /api/v2/instance has no configuration
        self.url_chars = 23
        self.app_scopes: list[str] | None = ["read", "write", "follow"]  # None: the instance does not report them
        self.token_scopes = {"read", "write"}
        self.reject_replies = False  # replies are refused (422), e.g. a thread that does not allow them
        self.statuses: dict[str, StoredStatus] = {}
        self.deleted: set[str] = set()
        self.idempotency: dict[str, str] = {}  # key -> status id
        self.reblogged_by: dict[str, list[dict[str, Any]]] = {}  # status id -> accounts
        self.follower_accounts: list[dict[str, Any]] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.holds: dict[str, deque[Hold]] = {}
        self.requests: list[Request] = []
        self.stored = threading.Event()
        self._next_id = 113_000_000_000_000_001
        app = web.Application()
        app.router.add_post("/api/v1/statuses", self._create)
        app.router.add_get("/api/v1/statuses/{id}", self._status)
        app.router.add_get("/api/v1/statuses/{id}/reblogged_by", self._reblogged_by)
        app.router.add_get("/api/v1/accounts/verify_credentials", self._verify_credentials)
        app.router.add_get("/api/v1/accounts/{id}/statuses", self._account_statuses)
        app.router.add_get("/api/v1/accounts/{id}/followers", self._followers)
        app.router.add_get("/api/v1/apps/verify_credentials", self._app)
        for path in ("/api/v2/instance", "/api/v2/instance/"):
            app.router.add_get(path, self._instance_v2)
        for path in ("/api/v1/instance", "/api/v1/instance/"):
            app.router.add_get(path, self._instance_v1)
        self._server = ThreadedServer(app)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FakeMastodon:
        self._server.start()
        return self

    def stop(self) -> None:
        for queue in self.holds.values():
            for held in queue:
                held.release()
        self._server.stop()

    # --- scripting ---

    def fail(self, route: str, status: int, body: Any = None, headers: dict[str, str] | None = None, *,
             accept_first: bool = False, drop: bool = False) -> None:
        """The next request to ``route`` (e.g. "POST /api/v1/statuses", "GET /api/v1/statuses/{id}") gets this."""
        self.faults.setdefault(route, deque()).append(
            Fault(status, body if body is not None else {"error": f"HTTP {status}"}, headers or {}, accept_first,
                  drop))

    def hold(self, route: str) -> Hold:
        """The next request to ``route`` waits at the server until ``release()`` (or the server stops)."""
        held = Hold(self._server)
        self.holds.setdefault(route, deque()).append(held)
        return held

    def accept_then_drop(self) -> None:
        """The next create stores the status and then closes the connection without an answer (a crash)."""
        self.fail("POST /api/v1/statuses", 0, drop=True)

    def add_status(self, text: str, *, created_at: datetime | None = None, in_reply_to_id: str | None = None,
                   **counts: int) -> StoredStatus:
        status = StoredStatus(str(self._next_id), text, created_at or self.now(), in_reply_to_id=in_reply_to_id,
                              counts=counts)
        self._next_id += 1
        self.statuses[status.id] = status
        self.stored.set()
        return status

    def count(self, method: str, path_prefix: str = "") -> int:
        return sum(1 for r in self.requests if r.method == method and r.path.startswith(path_prefix))

    def posts(self) -> list[StoredStatus]:
        """Our statuses that are not replies, oldest first."""
        return [s for s in self.statuses.values() if s.in_reply_to_id is None]

    # --- helpers ---

    def _own(self) -> dict[str, Any]:
        return account(ACCOUNT_ID, USERNAME, self.followers, "Spitzfeder")

    def _json(self, status: StoredStatus) -> dict[str, Any]:
        counts = {"reblogs": 0, "favourites": 0, "replies": 0, "quotes": 0} | status.counts
        return {"id": status.id, "uri": f"https://example.social/users/{USERNAME}/statuses/{status.id}",
                "url": f"https://example.social/@{USERNAME}/{status.id}",
                "created_at": status.created_at.astimezone(UTC).isoformat(timespec="milliseconds").replace(
                    "+00:00", "Z"),
                "account": self._own(), "content": render(status.text), "visibility": status.visibility,
                "language": status.language, "in_reply_to_id": status.in_reply_to_id,
                "in_reply_to_account_id": ACCOUNT_ID if status.in_reply_to_id else None, "sensitive": False,
                "spoiler_text": "", "reblog": None, "media_attachments": [], "mentions": [], "tags": [],
                "emojis": [], "reblogs_count": counts["reblogs"], "favourites_count": counts["favourites"],
                "replies_count": counts["replies"], "quotes_count": counts["quotes"]}

    def _limits_headers(self) -> dict[str, str]:
        reset = (self.now() + timedelta(minutes=5)).astimezone(UTC).isoformat(timespec="milliseconds")
        return {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                "X-RateLimit-Reset": reset.replace("+00:00", "Z")}

    async def _check(self, request: web.Request, route: str, *, auth: bool = True) -> web.StreamResponse | None:
        form = dict(await request.post()) if request.method == "POST" else {}
        self.requests.append(Request(request.method, request.path, dict(request.query),
                                     request.headers.get("Idempotency-Key"), {k: str(v) for k, v in form.items()}))
        if held := self.holds.get(route):
            await held.popleft()._hold()
        if auth and request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response(INVALID_TOKEN, status=401)
        queue = self.faults.get(route)
        if queue and not (queue[0].accept_first or queue[0].drop):
            return self._fault(queue.popleft())
        return None

    @staticmethod
    def _fault(fault: Fault) -> web.Response:
        if isinstance(fault.body, str):
            return web.Response(status=fault.status, text=fault.body, content_type="text/html", headers=fault.headers)
        return web.json_response(fault.body, status=fault.status, headers=fault.headers)

    def _page(self, request: web.Request, items: list[Any], cap: int, default: int) -> web.Response:
        """Mastodon's paging: ``limit`` (at most ``cap``), ``max_id`` from the Link header's next URL."""
        size = min(int(request.query.get("limit", default)), cap)
        start = int(request.query.get("max_id", "0"))
        page = items[start:start + size]
        headers = self._limits_headers()
        if start + size < len(items):
            headers["Link"] = (f'<{self.base_url}{request.path}?limit={size}&max_id={start + size}>; rel="next", '
                               f'<{self.base_url}{request.path}?limit={size}&min_id={start}>; rel="prev"')
        return web.json_response(page, headers=headers)

    # --- handlers ---

    async def _create(self, request: web.Request) -> web.StreamResponse:
        route = "POST /api/v1/statuses"
        if answer := await self._check(request, route):
            return answer
        if "write" not in self.token_scopes and "write:statuses" not in self.token_scopes:
            return web.json_response(OUTSIDE_SCOPES, status=403)
        form = self.requests[-1].form
        key = self.requests[-1].idempotency_key
        if key and key in self.idempotency:  # Mastodon answers a repeated key with the status it made for it
            return web.json_response(self._json(self.statuses[self.idempotency[key]]), headers=self._limits_headers())
        text = form.get("status", "")
        if self.reject_replies and form.get("in_reply_to_id"):
            return web.json_response({"error": "Validation failed: Antwort nicht erlaubt"}, status=422)
        if self.max_characters is not None and len(text) > self.max_characters:
            return web.json_response(
                {"error": f"Validation failed: Text character limit of {self.max_characters} exceeded"}, status=422)
        status = self.add_status(text, in_reply_to_id=form.get("in_reply_to_id") or None)
        status.visibility, status.language = form.get("visibility", "public"), form.get("language")
        if key:
            self.idempotency[key] = status.id
        queue = self.faults.get(route)
        if queue and queue[0].drop:
            queue.popleft()
            assert request.transport is not None
            request.transport.abort()  # accepted, and the answer never arrives
            return web.Response()
        if queue and queue[0].accept_first:
            return self._fault(queue.popleft())
        return web.json_response(self._json(status), headers=self._limits_headers())

    async def _status(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v1/statuses/{id}"):
            return answer
        status = self.statuses.get(request.match_info["id"])
        if status is None or status.id in self.deleted:
            return web.json_response({"error": "Record not found"}, status=404)
        return web.json_response(self._json(status), headers=self._limits_headers())

    async def _reblogged_by(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v1/statuses/{id}/reblogged_by"):
            return answer
        status_id = request.match_info["id"]
        if status_id not in self.statuses or status_id in self.deleted:
            return web.json_response({"error": "Record not found"}, status=404)
        return self._page(request, self.reblogged_by.get(status_id, []), 80, 40)

    async def _verify_credentials(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v1/accounts/verify_credentials"):
            return answer
        return web.json_response(self._own() | {"source": {"privacy": "public", "language": "de"}},
                                 headers=self._limits_headers())

    async def _account_statuses(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v1/accounts/{id}/statuses"):
            return answer
        if request.match_info["id"] != ACCOUNT_ID:
            return web.json_response({"error": "Record not found"}, status=404)
        exclude_replies = request.query.get("exclude_replies", "").lower() in ("1", "true")
        newest_first = sorted((s for s in self.statuses.values() if s.id not in self.deleted
                               and not (exclude_replies and s.in_reply_to_id)),
                              key=lambda s: int(s.id), reverse=True)
        return self._page(request, [self._json(s) for s in newest_first], 40, 20)

    async def _followers(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v1/accounts/{id}/followers"):
            return answer
        return self._page(request, self.follower_accounts, 80, 40)

    async def _app(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v1/apps/verify_credentials"):
            return answer
        body: dict[str, Any] = {"name": "Spitzfeder", "website": None}
        if self.app_scopes is not None:
            body["scopes"] = self.app_scopes
        return web.json_response(body)

    async def _instance_v2(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v2/instance", auth=False):
            return answer
        body: dict[str, Any] = {"domain": "example.social", "title": "Example", "version": "4.5.0",
                                "source_url": "https://github.com/mastodon/mastodon", "description": ""}
        if self.max_characters is not None:
            body["configuration"] = {"statuses": {"max_characters": self.max_characters,
                                                  "max_media_attachments": 4,
                                                  "characters_reserved_per_url": self.url_chars}}
        return web.json_response(body)

    async def _instance_v1(self, request: web.Request) -> web.Response:
        if answer := await self._check(request, "GET /api/v1/instance", auth=False):
            return answer
        return web.json_response({"uri": "example.social", "title": "Example", "version": "4.5.0"})
