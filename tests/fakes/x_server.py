"""A fake X API v2 on 127.0.0.1: the endpoints Spitzfeder uses, scripted faults, every request recorded.

It serves several X accounts at once, told apart like X does: by the OAuth 1.0a access token of the request
(``oauth_token`` in the Authorization header), which must belong to the consumer key it is signed with.
Spitzfeder signs every call with user context, so app-only (bearer token) calls are refused with 401, as is an
unknown token. The default account (``ACCOUNT``, token ``ACCESS_TOKEN``) is the one the attributes of `FakeX`
itself speak of (``posts``, ``followers``, ``fail()``, …); `FakeX.add_account` registers more.
"""

from __future__ import annotations

import asyncio
import html
import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer

API_KEY = "test-consumer-key"
ACCESS_TOKEN = "test-access-token"
ACCOUNT = {"id": "4242", "name": "Spitzfeder", "username": "spitzfeder"}
DUPLICATE = {"detail": "You are not allowed to create a Tweet with duplicate content.", "type": "about:blank",
             "title": "Forbidden", "status": 403}
READ_ONLY = {"title": "Unsupported Authentication", "type": "https://api.twitter.com/2/problems/oauth1-permissions",
             "status": 403, "detail": "Your client app is not configured with the appropriate oauth1 app "
                                      "permissions for this endpoint."}
NOT_ENROLLED = {"client_id": "123", "title": "Client Forbidden", "reason": "client-not-enrolled",
                "type": "https://api.twitter.com/2/problems/client-forbidden", "required_enrollment":
                "Appropriate Level of API Access", "detail": "When authenticating requests to the Twitter API v2 "
                "endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project."}
REPLY_NOT_ALLOWED = {"title": "Forbidden", "type": "about:blank", "status": 403,
                     "detail": "Reply to this conversation is not allowed because you have not been mentioned or "
                               "otherwise engaged by the author of the post you are replying to."}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY = {"title": "Too Many Requests", "type": "about:blank", "status": 429, "detail": "Too Many Requests"}
_OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


@dataclass
class Fault:
    status: int
    body: Any  # dict -> JSON, str -> raw text (e.g. an HTML error page)
    headers: dict[str, str] = field(default_factory=dict)
    accept_first: bool = False  # store the post, then answer with the fault


@dataclass
class StoredPost:
    id: str
    text: str
    created_at: datetime
    metrics: dict[str, int] = field(default_factory=dict)
    reply_to: str | None = None
    author_id: str = ACCOUNT["id"]


@dataclass
class XAccount:
    """One account on the fake X: its user, its posts, its own faults and daily post limit, its requests."""

    access_token: str
    user_id: str
    username: str
    name: str
    followers: int = 500
    access_level: str = "read-write"  # X-Access-Level of its tokens
    api_key: str = API_KEY  # the consumer key of the app its token belongs to
    daily_post_limit: int = 100  # posts in 24 hours; then 429 with x-user-limit-24hour-remaining: 0
    posts: dict[str, StoredPost] = field(default_factory=dict)
    follower_ids: list[str] = field(default_factory=list)
    faults: dict[str, deque[Fault]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # those signed with its token
    created: list[datetime] = field(default_factory=list)  # when it posted through the API (the daily limit)

    def fail(self, route: str, status: int, body: Any, headers: dict[str, str] | None = None, *,
             accept_first: bool = False) -> None:
        """This account's next request to ``route`` (e.g. "POST /2/tweets") gets this answer."""
        self.faults.setdefault(route, deque()).append(Fault(status, body, headers or {}, accept_first))

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p.startswith(path_prefix))

    def user(self) -> dict[str, Any]:
        """The user object with its public metrics, as /2/users/me and expansions show it."""
        return {"id": self.user_id, "name": self.name, "username": self.username,
                "public_metrics": {"followers_count": self.followers, "following_count": 10,
                                   "tweet_count": len(self.posts), "listed_count": 0}}


class Hold:
    """Keeps the next request to a route waiting at the server (a slow X) until released."""

    def __init__(self, server: ThreadedServer) -> None:
        self._server = server
        self.arrived = threading.Event()  # set when the held request has reached the server
        self._gate = asyncio.Event()  # waited on in the server's loop

    async def wait_until_arrived(self, timeout: float = 10.0) -> None:
        if not await asyncio.to_thread(self.arrived.wait, timeout):
            raise AssertionError("the held request never reached the fake X server")

    def release(self) -> None:
        self._server.call_soon(self._gate.set)

    async def _hold(self) -> None:
        self.arrived.set()
        await self._gate.wait()


def public_metrics(retweets=0, likes=0, replies=0, quotes=0, bookmarks=0, impressions=0) -> dict[str, int]:
    return {"retweet_count": retweets, "like_count": likes, "reply_count": replies, "quote_count": quotes,
            "bookmark_count": bookmarks, "impression_count": impressions}


def x_user(user_id: str, handle: str, followers: int = 100, verified_type: str = "none") -> dict[str, Any]:
    """A user object as X API v2 returns it with the amplifier user.fields."""
    return {"id": user_id, "username": handle, "name": handle.capitalize(), "verified": verified_type != "none",
            "verified_type": verified_type, "description": "",
            "public_metrics": {"followers_count": followers, "following_count": 10, "tweet_count": 5,
                               "listed_count": 0}}


def _not_found(user_id: str) -> dict[str, str]:
    return {"value": user_id, "detail": f"Could not find user with id: [{user_id}].", "title": "Not Found Error",
            "resource_type": "user", "parameter": "id", "resource_id": user_id,
            "type": "https://api.twitter.com/2/problems/resource-not-found"}


def _of_default(name: str) -> property:
    """An attribute of the default account, read and set on the fake itself."""
    return property(lambda fake: getattr(fake.default, name),
                    lambda fake, value: setattr(fake.default, name, value))


class FakeX:
    def __init__(self) -> None:
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.default = XAccount(ACCESS_TOKEN, ACCOUNT["id"], ACCOUNT["username"], ACCOUNT["name"])
        self.accounts: dict[str, XAccount] = {ACCESS_TOKEN: self.default}  # by access token
        self.deleted: set[str] = set()
        self.field_error_ids: set[str] = set()  # answered with a Field Authorization Error inside a 200
        self.reject_replies = False
        self.visible_after = timedelta(0)  # a new post shows in the account's timeline only this long after
        self.stored = threading.Event()  # set whenever a post is stored (e.g. a held create went through)
        self.holds: dict[str, deque[Hold]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # every request, of any account or none
        self.reposters: dict[str, list[dict[str, Any]]] = {}  # post id -> users who reposted it
        self.quotes: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}  # post id -> (quote id, text, author)
        self.gone_users: set[str] = set()  # deleted or protected: an error inside the 200 instead of the user
        self.lists: dict[str, list[dict[str, Any]]] = {}  # list id -> members
        self._next_id = 1_900_000_000_000_000_001
        app = web.Application()
        app.router.add_get("/2/users/me", self._me)
        app.router.add_post("/2/tweets", self._create)
        app.router.add_get("/2/tweets", self._lookup)
        app.router.add_get("/2/users/{id}/tweets", self._timeline)
        app.router.add_get("/2/tweets/{id}/retweeted_by", self._retweeted_by)
        app.router.add_get("/2/tweets/{id}/quote_tweets", self._quote_tweets)
        app.router.add_get("/2/users/{id}/followers", self._followers)
        app.router.add_get("/2/lists/{id}/members", self._list_members)
        self._server = ThreadedServer(app)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> FakeX:
        self._server.start()
        return self

    def stop(self) -> None:
        for queue in self.holds.values():
            for held in queue:
                held.release()
        self._server.stop()

    # --- accounts ---

    def add_account(self, access_token: str, *, user_id: str, username: str, name: str | None = None,
                    followers: int = 500, api_key: str = API_KEY, access_level: str = "read-write",
                    daily_post_limit: int = 100) -> XAccount:
        """One more account: requests signed with ``access_token`` (and ``api_key``) act as this user."""
        taken = [a for a in self.accounts.values()
                 if access_token == a.access_token or user_id == a.user_id or username == a.username]
        if taken:
            raise ValueError(f"the fake X has an account with this token, id or username already: {taken[0]}")
        account = XAccount(access_token, user_id, username, name or username.capitalize(), followers, access_level,
                           api_key, daily_post_limit)
        self.accounts[access_token] = account
        return account

    def account(self, username: str) -> XAccount:
        """The account with this username (without @)."""
        found = next((a for a in self.accounts.values() if a.username == username), None)
        if found is None:
            raise KeyError(f"no account @{username} on the fake X")
        return found

    def posts_of(self, username: str) -> list[StoredPost]:
        """The posts of the account with this username, oldest first."""
        return list(self.account(username).posts.values())

    # The default account's settings, as the fake had them when it served only one account.
    posts = _of_default("posts")
    followers = _of_default("followers")
    access_level = _of_default("access_level")
    follower_ids = _of_default("follower_ids")
    faults = _of_default("faults")

    # --- scripting ---

    def fail(self, route: str, status: int, body: Any, headers: dict[str, str] | None = None, *,
             accept_first: bool = False) -> None:
        """The default account's next request to ``route`` (e.g. "POST /2/tweets") gets this answer."""
        self.default.fail(route, status, body, headers, accept_first=accept_first)

    def hold(self, route: str) -> Hold:
        """The next request to ``route`` (e.g. "GET /2/tweets"), of any account, waits at the server until
        ``release()``."""
        held = Hold(self._server)
        self.holds.setdefault(route, deque()).append(held)
        return held

    def add_post(self, text: str, *, by: XAccount | None = None, **metrics: int) -> StoredPost:
        """A post of ``by`` (the default account if None), as if it had been posted at ``now()``."""
        author = by or self.default
        post = StoredPost(str(self._next_id), text, self.now(), public_metrics(**metrics), author_id=author.user_id)
        self._next_id += 1
        author.posts[post.id] = post
        self.stored.set()
        return post

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p.startswith(path_prefix))

    def count_amplifier_requests(self) -> int:
        return sum(1 for m, p, _ in self.requests if p.endswith(("/retweeted_by", "/quote_tweets", "/followers"))
                   or p.startswith("/2/lists/"))

    # --- handlers ---

    def _caller(self, request: web.Request) -> XAccount | None:
        """The account whose access token signed the request (OAuth 1.0a, with its app's consumer key)."""
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("OAuth "):
            return None  # app-only (bearer token) or none at all
        params = {key: unquote(value) for key, value in _OAUTH_PARAM.findall(authorization)}
        account = self.accounts.get(params.get("oauth_token", ""))
        if account is None or params.get("oauth_consumer_key") != account.api_key:
            return None
        return account

    def _by_user_id(self, user_id: str) -> XAccount | None:
        return next((a for a in self.accounts.values() if a.user_id == user_id), None)

    def _post(self, post_id: str) -> StoredPost | None:
        return next((a.posts[post_id] for a in self.accounts.values() if post_id in a.posts), None)

    async def _check(self, request: web.Request) -> XAccount | web.Response:
        """The calling account, or the answer instead (401, or a fault scripted for the account)."""
        route = f"{request.method} {request.path}"
        self.requests.append((request.method, request.path, dict(request.query)))
        if held := self.holds.get(route):
            await held.popleft()._hold()
        caller = self._caller(request)
        if caller is None:
            return web.json_response(UNAUTHORIZED, status=401)
        caller.requests.append((request.method, request.path, dict(request.query)))
        queue = caller.faults.get(route)
        if queue and not queue[0].accept_first:
            return self._fault(queue.popleft())
        return caller

    @staticmethod
    def _fault(fault: Fault) -> web.Response:
        if isinstance(fault.body, str):
            return web.Response(status=fault.status, text=fault.body, content_type="text/html",
                                headers=fault.headers)
        return web.json_response(fault.body, status=fault.status, headers=fault.headers)

    async def _me(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        return web.json_response({"data": caller.user()}, headers={"x-access-level": caller.access_level})

    def _posts_left(self, caller: XAccount) -> int:
        """How many posts the account may still make in the 24-hour window (older ones drop out)."""
        caller.created = [at for at in caller.created if at > self.now() - timedelta(hours=24)]
        return max(0, caller.daily_post_limit - len(caller.created))

    def _limit_headers(self, caller: XAccount) -> dict[str, str]:
        left = self._posts_left(caller)
        reset = min(caller.created, default=self.now()) + timedelta(hours=24)
        return {"x-user-limit-24hour-limit": str(caller.daily_post_limit),
                "x-user-limit-24hour-remaining": str(left), "x-user-limit-24hour-reset": str(int(reset.timestamp()))}

    async def _create(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        payload = await request.json()
        text = payload["text"]
        if any(post.text == text for post in caller.posts.values()):  # X compares within one account
            return web.json_response(DUPLICATE, status=403)
        if payload.get("reply") and self.reject_replies:
            return web.json_response(REPLY_NOT_ALLOWED, status=403)
        if self._posts_left(caller) == 0:
            return web.json_response(TOO_MANY, status=429, headers=self._limit_headers(caller))
        post = self.add_post(text, by=caller)
        post.reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        caller.created.append(post.created_at)
        queue = caller.faults.get("POST /2/tweets")
        if queue and queue[0].accept_first:
            return self._fault(queue.popleft())
        return web.json_response({"data": {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}},
                                 status=201, headers=self._limit_headers(caller))

    async def _lookup(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        ids = request.query.get("ids", "").split(",")
        if len(ids) > 100:
            return web.json_response({"title": "Invalid Request", "detail": "too many ids"}, status=400)
        data, errors, authors = [], [], {}
        for post_id in ids:
            post = self._post(post_id)
            if post is None or post_id in self.deleted:
                errors.append({"value": post_id, "detail": f"Could not find tweet with ids: [{post_id}].",
                               "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                               "resource_id": post_id,
                               "type": "https://api.twitter.com/2/problems/resource-not-found"})
                continue
            if author := self._by_user_id(post.author_id):
                authors[author.user_id] = {"id": author.user_id, "name": author.name, "username": author.username,
                                           "public_metrics": {"followers_count": author.followers}}
            if post_id in self.field_error_ids:
                data.append({"id": post_id, "text": post.text, "author_id": post.author_id})
                errors.append({"resource_type": "tweet", "field": "public_metrics", "parameter": "tweet.fields",
                               "resource_id": post_id, "title": "Field Authorization Error", "section": "data",
                               "detail": "Sorry, you are not authorized to access 'public_metrics' on a Tweet.",
                               "type": "https://api.twitter.com/2/problems/not-authorized-for-field"})
            else:
                data.append({"id": post_id, "text": post.text, "author_id": post.author_id,
                             "public_metrics": public_metrics() | post.metrics})
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
            body["includes"] = {"users": list(authors.values())}
        if errors:
            body["errors"] = errors
        return web.json_response(body)

    async def _timeline(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        owner = self._by_user_id(request.match_info["id"])
        if owner is None:
            return web.json_response({"errors": [_not_found(request.match_info["id"])]})
        start = request.query.get("start_time")
        since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        mine = [p for p in reversed(owner.posts.values())
                if p.id not in self.deleted and (since is None or p.created_at >= since)
                and p.created_at + self.visible_after <= self.now()]
        limit = int(request.query.get("max_results", "10"))
        # X answers with HTML entities and every link shortened to t.co.
        data = [{"id": p.id, "text": re.sub(r"https?://\S+", "https://t.co/abc123", html.escape(p.text, quote=False)),
                 "created_at": p.created_at.isoformat().replace("+00:00", "Z"), "edit_history_tweet_ids": [p.id]}
                for p in mine[:limit]]
        return web.json_response({"data": data, "meta": {"result_count": len(data)}} if data
                                 else {"meta": {"result_count": 0}})

    # --- amplifiers ---

    @staticmethod
    def _page(request: web.Request, items: list[Any], cap: int) -> tuple[list[Any], dict[str, Any]]:
        size = min(int(request.query.get("max_results", "100")), cap)
        start = int(request.query.get("pagination_token", "0"))
        page = items[start:start + size]
        meta: dict[str, Any] = {"result_count": len(page)}
        if start + size < len(items):
            meta["next_token"] = str(start + size)
        return page, meta

    def _users_body(self, users: list[dict[str, Any]], meta: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"meta": meta}
        shown = [u for u in users if u["id"] not in self.gone_users]
        if shown:
            body["data"] = shown
        errors = [_not_found(u["id"]) for u in users if u["id"] in self.gone_users]
        if errors:
            body["errors"] = errors
        return body

    async def _retweeted_by(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        page, meta = self._page(request, self.reposters.get(request.match_info["id"], []), 100)
        return web.json_response(self._users_body(page, meta))

    async def _quote_tweets(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        page, meta = self._page(request, self.quotes.get(request.match_info["id"], []), 100)
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [{"id": qid, "text": text, "author_id": author["id"], "edit_history_tweet_ids": [qid]}
                            for qid, text, author in page]
            body["includes"] = {"users": [a for _, _, a in page if a["id"] not in self.gone_users]}
        errors = [_not_found(a["id"]) for _, _, a in page if a["id"] in self.gone_users]
        if errors:
            body["errors"] = errors
        return web.json_response(body)

    async def _followers(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        owner = self._by_user_id(request.match_info["id"])
        if owner is None:
            return web.json_response({"errors": [_not_found(request.match_info["id"])]})
        users = [x_user(uid, f"f{uid}") for uid in owner.follower_ids]
        page, meta = self._page(request, users, 1000)
        return web.json_response(self._users_body(page, meta))

    async def _list_members(self, request: web.Request) -> web.Response:
        caller = await self._check(request)
        if isinstance(caller, web.Response):
            return caller
        page, meta = self._page(request, self.lists.get(request.match_info["id"], []), 100)
        return web.json_response(self._users_body(page, meta))
