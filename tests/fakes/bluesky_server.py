"""A fake Bluesky PDS (XRPC) on 127.0.0.1: the methods Spitzfeder uses, scripted faults, every request recorded.

Sessions are JWTs with a real ``exp`` (the client refreshes ahead of it); the fake keeps which tokens it issued
and can expire them early (``expire_sessions``) to make the client meet ``ExpiredToken``. Error bodies are
those of the reference PDS: ``{"error": "...", "message": "..."}``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import regex
from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer

HANDLE = "spitzfeder.bsky.social"
DID = "did:plc:spitzfederzzzzzzzzzzzzzz"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
POST = "app.bsky.feed.post"
AUTH_FAILED = {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
INTERNAL = {"error": "InternalServerError", "message": "Internal Server Error"}
RECORD_EXISTS = {"error": "InvalidRequest", "message": "Record already exists"}  # the clearer answer proposed
TOO_LONG = {"error": "InvalidRequest",
            "message": "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"}
DROP = 0  # a fault with this status closes the connection without an answer
HANG = -1  # a fault with this status never answers (until the server stops): the client times out
HTML_PAGE = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"


class ConnectionDropped(Exception):
    """Raised in a handler to close the connection without an answer (a crash or a cut line)."""


@dataclass
class Fault:
    status: int
    body: Any  # dict -> JSON, str -> raw text (e.g. an HTML error page)
    headers: dict[str, str] = field(default_factory=dict)
    accept_first: bool = False  # createRecord: store the record, then answer with the fault (a crash after commit)


@dataclass
class StoredRecord:
    uri: str
    cid: str
    rkey: str
    value: dict[str, Any]
    counts: dict[str, int] = field(default_factory=dict)  # likeCount, repostCount, replyCount, quoteCount


@dataclass
class User:
    did: str
    handle: str
    followers: int = 0


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _cid(seed: str) -> str:
    digest = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode().lower().rstrip("=")
    return "bafyrei" + digest[:52]


def fake_did(name: str) -> str:
    digest = base64.b32encode(hashlib.sha256(name.encode()).digest()).decode().lower()
    return "did:plc:" + digest[:24]


def xrpc_error(error: str, message: str) -> dict[str, str]:
    return {"error": error, "message": message}


class FakeBluesky:
    def __init__(self) -> None:
        self.handle, self.did, self.app_password = HANDLE, DID, APP_PASSWORD
        self.followers = 1234
        self.scope = "com.atproto.appPass"  # the access token's scope; com.atproto.access: the main password
        self.access_lifetime = 7200  # seconds of a new access JWT (real time: the client compares with its clock)
        self.duplicate_status = 500  # a create with an existing rkey: 500 like the reference PDS, or 400
        self.redirect_to: str | None = None  # answer every request with a 308 to this base URL
        self.moved_to: str | None = None  # the DID document's PDS endpoint (None: this server)
        self.deactivated = False  # the account left this PDS (migrated away): sessions say active=false
        self.reject_replies = False
        self.max_graphemes = 300  # a longer text is refused as InvalidRequest
        self.records: dict[str, StoredRecord] = {}  # rkey -> our post records
        self.deleted: set[str] = set()  # URIs whose post is gone from the AppView
        self.users: dict[str, User] = {}
        self.reposters: dict[str, list[str]] = {}  # post URI -> DIDs that reposted it
        self.quotes: dict[str, list[tuple[str, str, str]]] = {}  # post URI -> (quote URI, text, author DID)
        self.follower_dids: list[str] = []
        self.faults: dict[str, deque[Fault]] = {}
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []  # (method, nsid, params)
        self.sessions_created = 0
        self.refreshes = 0
        self._access: set[str] = set()
        self._expired: set[str] = set()
        self._refresh: set[str] = set()
        self._serial = itertools.count(1)
        @web.middleware
        async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
            return await self._middleware(request, handler)

        app = web.Application(middlewares=[middleware])
        for nsid, handler in {
            "com.atproto.server.createSession": self._create_session,
            "com.atproto.server.refreshSession": self._refresh_session,
            "com.atproto.repo.createRecord": self._create_record,
        }.items():
            app.router.add_post(f"/xrpc/{nsid}", handler)
        for nsid, handler in {
            "com.atproto.repo.getRecord": self._get_record,
            "com.atproto.identity.resolveHandle": self._resolve_handle,
            "app.bsky.feed.getPosts": self._get_posts,
            "app.bsky.feed.getRepostedBy": self._get_reposted_by,
            "app.bsky.feed.getQuotes": self._get_quotes,
            "app.bsky.feed.getAuthorFeed": self._get_author_feed,
            "app.bsky.actor.getProfile": self._get_profile,
            "app.bsky.actor.getProfiles": self._get_profiles,
            "app.bsky.graph.getFollowers": self._get_followers,
        }.items():
            app.router.add_get(f"/xrpc/{nsid}", handler)
        self._server = ThreadedServer(app)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FakeBluesky:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # --- scripting ---

    def fail(self, nsid: str, status: int, body: Any, headers: dict[str, str] | None = None, *,
             accept_first: bool = False) -> None:
        """The next request to ``nsid`` (e.g. "com.atproto.repo.createRecord") gets this answer."""
        self.faults.setdefault(nsid, deque()).append(Fault(status, body, headers or {}, accept_first))

    def expire_sessions(self) -> None:
        """Every access token issued so far is answered with ExpiredToken from now on (refresh tokens stay good)."""
        self._expired |= self._access

    def add_user(self, handle: str, followers: int = 100) -> str:
        did = fake_did(handle)
        self.users[did] = User(did, handle, followers)
        return did

    def add_reposter(self, uri: str, handle: str, followers: int = 100) -> str:
        did = self.add_user(handle, followers)
        self.reposters.setdefault(uri, []).append(did)
        return did

    def add_quote(self, uri: str, handle: str, text: str, followers: int = 100) -> str:
        did = self.add_user(handle, followers)
        quote_uri = f"at://{did}/{POST}/3quote{next(self._serial):08d}"
        self.quotes.setdefault(uri, []).append((quote_uri, text, did))
        return quote_uri

    def set_counts(self, uri: str, *, reposts: int = 0, likes: int = 0, replies: int = 0, quotes: int = 0) -> None:
        self._by_uri(uri).counts = {"repostCount": reposts, "likeCount": likes, "replyCount": replies,
                                    "quoteCount": quotes}

    def posts(self) -> list[StoredRecord]:
        return list(self.records.values())

    def count(self, nsid: str) -> int:
        return sum(1 for _, name, _ in self.requests if name == nsid)

    def _by_uri(self, uri: str) -> StoredRecord:
        return next(record for record in self.records.values() if record.uri == uri)

    # --- plumbing ---

    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.redirect_to:  # a PDS that moved and says so: every XRPC call answered with a permanent redirect
            raise web.HTTPPermanentRedirect(self.redirect_to.rstrip("/") + request.path_qs)
        try:
            return await handler(request)
        except ConnectionDropped:
            if request.transport is not None:
                request.transport.abort()
            raise web.HTTPInternalServerError() from None

    def _jwt(self, scope: str, lifetime: int) -> str:
        now = int(time.time())
        header = _b64({"typ": "at+jwt", "alg": "ES256K"})
        payload = _b64({"scope": scope, "sub": self.did, "aud": "did:web:fake.pds", "iat": now,
                        "exp": now + lifetime, "jti": f"t{next(self._serial)}"})
        return f"{header}.{payload}.c2lnbmF0dXJl"

    def _new_session(self) -> dict[str, Any]:
        access, refresh = self._jwt(self.scope, self.access_lifetime), self._jwt("com.atproto.refresh",
                                                                                            90 * 86400)
        self._access.add(access)
        self._refresh.add(refresh)
        endpoint = self.moved_to or self.base_url
        session: dict[str, Any] = {
            "did": self.did, "handle": self.handle, "accessJwt": access, "refreshJwt": refresh,
            "didDoc": {"@context": ["https://www.w3.org/ns/did/v1"], "id": self.did,
                       "alsoKnownAs": [f"at://{self.handle}"],
                       "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                                    "serviceEndpoint": endpoint}]},
            "active": not self.deactivated}
        if self.deactivated:
            session["status"] = "deactivated"
        return session

    async def _fault(self, nsid: str, *, accepted: bool = False) -> web.Response | None:
        queue = self.faults.get(nsid)
        if not queue or queue[0].accept_first != accepted:
            return None
        fault = queue.popleft()
        if fault.status == HANG:
            await self._server.release.wait()
        if fault.status in (DROP, HANG):
            raise ConnectionDropped
        if isinstance(fault.body, str):
            return web.Response(status=fault.status, text=fault.body, content_type="text/html", headers=fault.headers)
        return web.json_response(fault.body, status=fault.status, headers=fault.headers)

    def _record(self, request: web.Request) -> str:
        nsid = request.path.removeprefix("/xrpc/")
        params: dict[str, list[str]] = {}
        for key, value in request.query.items():
            params.setdefault(key, []).append(value)
        self.requests.append((request.method, nsid, params))
        return nsid

    def _authorise(self, request: web.Request, tokens: set[str]) -> web.Response | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token in self._expired:
            return web.json_response(xrpc_error("ExpiredToken", "Token has expired"), status=400)
        if token not in tokens:
            return web.json_response(xrpc_error("InvalidToken", "Token could not be verified"), status=401)
        if self.deactivated and tokens is self._access:
            return web.json_response(xrpc_error("AccountDeactivated", "Account is deactivated"), status=401)
        return None

    async def _begin(self, request: web.Request, *, auth: bool = True) -> tuple[str, web.Response | None]:
        nsid = self._record(request)
        if answer := await self._fault(nsid):
            return nsid, answer
        if auth:
            return nsid, self._authorise(request, self._access)
        return nsid, None

    # --- server ---

    async def _create_session(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request, auth=False)
        if answer:
            return answer
        body = await request.json()
        if body.get("identifier") not in (self.handle, self.did) or body.get("password") != self.app_password:
            return web.json_response(AUTH_FAILED, status=401)
        self.sessions_created += 1
        return web.json_response(self._new_session())

    async def _refresh_session(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request, auth=False)
        if answer or (answer := self._authorise(request, self._refresh)):
            return answer
        self._refresh.discard(request.headers["Authorization"].removeprefix("Bearer "))
        self.refreshes += 1
        return web.json_response(self._new_session())

    # --- repo ---

    async def _create_record(self, request: web.Request) -> web.Response:
        nsid, answer = await self._begin(request)
        if answer:
            return answer
        body = await request.json()
        if body.get("repo") not in (self.did, self.handle) or body.get("collection") != POST:
            return web.json_response(xrpc_error("InvalidRequest", "Invalid repo or collection"), status=400)
        rkey = body.get("rkey") or f"3auto{next(self._serial):08d}"
        if rkey in self.records:
            return web.json_response(INTERNAL if self.duplicate_status >= 500 else RECORD_EXISTS,
                                     status=self.duplicate_status)
        value = body.get("record") or {}
        if len(regex.findall(r"\X", value.get("text", ""))) > self.max_graphemes:
            return web.json_response(TOO_LONG, status=400)
        if value.get("reply") and self.reject_replies:
            return web.json_response(xrpc_error("InvalidRequest", "Replies are not allowed"), status=400)
        uri = f"at://{self.did}/{POST}/{rkey}"
        self.records[rkey] = StoredRecord(uri, _cid(uri + json.dumps(value, sort_keys=True)), rkey, value)
        if answer := await self._fault(nsid, accepted=True):
            return answer
        return web.json_response({"uri": uri, "cid": self.records[rkey].cid,
                                  "commit": {"cid": _cid("commit" + uri), "rev": rkey},
                                  "validationStatus": "valid"})

    async def _get_record(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request, auth=False)
        if answer:
            return answer
        query = request.query
        record = self.records.get(query.get("rkey", ""))
        if query.get("repo") not in (self.did, self.handle) or query.get("collection") != POST or record is None:
            uri = f"at://{query.get('repo')}/{query.get('collection')}/{query.get('rkey')}"
            return web.json_response(xrpc_error("RecordNotFound", f"Could not locate record: {uri}"), status=400)
        return web.json_response({"uri": record.uri, "cid": record.cid, "value": record.value})

    async def _resolve_handle(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request, auth=False)
        if answer:
            return answer
        handle = request.query.get("handle", "")
        did = next((user.did for user in self.users.values() if user.handle == handle), None)
        if did is None:
            return web.json_response(xrpc_error("InvalidRequest", "Unable to resolve handle"), status=400)
        return web.json_response({"did": did})

    # --- app view ---

    def _profile_basic(self, did: str) -> dict[str, Any]:
        if did == self.did:
            return {"did": self.did, "handle": self.handle, "displayName": "Spitzfeder"}
        user = self.users[did]
        return {"did": did, "handle": user.handle, "displayName": user.handle.split(".")[0].capitalize()}

    def _profile(self, did: str) -> dict[str, Any]:
        followers = self.followers if did == self.did else self.users[did].followers
        return self._profile_basic(did) | {"followersCount": followers, "followsCount": 10, "postsCount": 5}

    def _post_view(self, record: StoredRecord) -> dict[str, Any]:
        counts = {"repostCount": 0, "likeCount": 0, "replyCount": 0, "quoteCount": 0} | record.counts
        return {"uri": record.uri, "cid": record.cid, "author": self._profile_basic(self.did),
                "record": record.value, "indexedAt": record.value.get("createdAt"), **counts}

    def _actor_did(self, actor: str) -> str | None:
        if actor in (self.did, self.handle):
            return self.did
        if actor in self.users:
            return actor
        return next((user.did for user in self.users.values() if user.handle == actor), None)

    @staticmethod
    def _page(request: web.Request, items: list[Any], default: int = 50) -> tuple[list[Any], str | None]:
        size = min(int(request.query.get("limit", str(default))), 100)
        start = int(request.query.get("cursor", "0"))
        return items[start:start + size], str(start + size) if start + size < len(items) else None

    async def _get_posts(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request)
        if answer:
            return answer
        uris = request.query.getall("uris", [])
        if len(uris) > 25:
            return web.json_response(xrpc_error("InvalidRequest", "uris must not have more than 25 elements"),
                                     status=400)
        views = [self._post_view(record) for record in self.records.values()
                 if record.uri in uris and record.uri not in self.deleted]
        return web.json_response({"posts": views})

    async def _get_reposted_by(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request)
        if answer:
            return answer
        uri = request.query.get("uri", "")
        page, cursor = self._page(request, self.reposters.get(uri, []))
        body: dict[str, Any] = {"uri": uri, "repostedBy": [self._profile_basic(did) for did in page]}
        return web.json_response(body | ({"cursor": cursor} if cursor else {}))

    async def _get_quotes(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request)
        if answer:
            return answer
        uri = request.query.get("uri", "")
        page, cursor = self._page(request, self.quotes.get(uri, []))
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        posts = [{"uri": quote_uri, "cid": _cid(quote_uri), "author": self._profile_basic(did),
                  "record": {"$type": POST, "text": text, "createdAt": now}, "indexedAt": now,
                  "repostCount": 0, "likeCount": 0, "replyCount": 0, "quoteCount": 0}
                 for quote_uri, text, did in page]
        return web.json_response({"uri": uri, "posts": posts} | ({"cursor": cursor} if cursor else {}))

    async def _get_author_feed(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request)
        if answer:
            return answer
        mine = [self._post_view(r) for r in sorted(self.records.values(), key=lambda r: r.rkey, reverse=True)
                if r.uri not in self.deleted]
        page, cursor = self._page(request, mine)
        return web.json_response({"feed": [{"post": post} for post in page]} | ({"cursor": cursor} if cursor else {}))

    async def _get_profile(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request)
        if answer:
            return answer
        did = self._actor_did(request.query.get("actor", ""))
        if did is None:
            return web.json_response(xrpc_error("InvalidRequest", "Profile not found"), status=400)
        return web.json_response(self._profile(did))

    async def _get_profiles(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request)
        if answer:
            return answer
        actors = request.query.getall("actors", [])
        if len(actors) > 25:
            return web.json_response(xrpc_error("InvalidRequest", "actors must not have more than 25 elements"),
                                     status=400)
        dids = [did for actor in actors if (did := self._actor_did(actor))]
        return web.json_response({"profiles": [self._profile(did) for did in dids]})

    async def _get_followers(self, request: web.Request) -> web.Response:
        _, answer = await self._begin(request)
        if answer:
            return answer
        page, cursor = self._page(request, self.follower_dids)
        for did in page:
            self.users.setdefault(did, User(did, f"f{did[-6:]}.bsky.social"))
        body = {"subject": self._profile_basic(self.did), "followers": [self._profile_basic(did) for did in page]}
        return web.json_response(body | ({"cursor": cursor} if cursor else {}))
