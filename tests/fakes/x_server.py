"""A fake X API v2 on 127.0.0.1: the endpoints Spitzfeder uses, scripted faults, every request recorded."""

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

from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer

API_KEY = "test-consumer-key"
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


class FakeX:
    def __init__(self) -> None:
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.followers = 500
        self.access_level = "read-write"
        self.posts: dict[str, StoredPost] = {}
        self.deleted: set[str] = set()
        self.field_error_ids: set[str] = set()  # answered with a Field Authorization Error inside a 200
        self.reject_replies = False
        self.visible_after = timedelta(0)  # a new post shows in the account's timeline only this long after
        self.stored = threading.Event()  # set whenever a post is stored (e.g. a held create went through)
        self.faults: dict[str, deque[Fault]] = {}
        self.holds: dict[str, deque[Hold]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.reposters: dict[str, list[dict[str, Any]]] = {}  # post id -> users who reposted it
        self.quotes: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}  # post id -> (quote id, text, author)
        self.gone_users: set[str] = set()  # deleted or protected: an error inside the 200 instead of the user
        self.follower_ids: list[str] = []  # the account's followers
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

    # --- scripting ---

    def fail(self, route: str, status: int, body: Any, headers: dict[str, str] | None = None, *,
             accept_first: bool = False) -> None:
        """The next request to ``route`` (e.g. "POST /2/tweets") gets this answer."""
        self.faults.setdefault(route, deque()).append(Fault(status, body, headers or {}, accept_first))

    def hold(self, route: str) -> Hold:
        """The next request to ``route`` (e.g. "GET /2/tweets") waits at the server until ``release()``."""
        held = Hold(self._server)
        self.holds.setdefault(route, deque()).append(held)
        return held

    def add_post(self, text: str, **metrics: int) -> StoredPost:
        post = StoredPost(str(self._next_id), text, self.now(), public_metrics(**metrics))
        self._next_id += 1
        self.posts[post.id] = post
        self.stored.set()
        return post

    def count(self, method: str, path_prefix: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p.startswith(path_prefix))

    def count_amplifier_requests(self) -> int:
        return sum(1 for m, p, _ in self.requests if p.endswith(("/retweeted_by", "/quote_tweets", "/followers"))
                   or p.startswith("/2/lists/"))

    # --- handlers ---

    async def _check(self, request: web.Request) -> web.Response | None:
        route = f"{request.method} {request.path}"
        self.requests.append((request.method, request.path, dict(request.query)))
        if held := self.holds.get(route):
            await held.popleft()._hold()
        if f'oauth_consumer_key="{API_KEY}"' not in request.headers.get("Authorization", ""):
            return web.json_response(UNAUTHORIZED, status=401)
        queue = self.faults.get(route)
        if queue and not queue[0].accept_first:
            return self._fault(queue.popleft())
        return None

    @staticmethod
    def _fault(fault: Fault) -> web.Response:
        if isinstance(fault.body, str):
            return web.Response(status=fault.status, text=fault.body, content_type="text/html",
                                headers=fault.headers)
        return web.json_response(fault.body, status=fault.status, headers=fault.headers)

    async def _me(self, request: web.Request) -> web.Response:
        if answer := await self._check(request):
            return answer
        data = dict(ACCOUNT, public_metrics={"followers_count": self.followers, "following_count": 10,
                                             "tweet_count": len(self.posts), "listed_count": 0})
        return web.json_response({"data": data}, headers={"x-access-level": self.access_level})

    async def _create(self, request: web.Request) -> web.Response:
        if answer := await self._check(request):
            return answer
        payload = await request.json()
        text = payload["text"]
        if any(post.text == text for post in self.posts.values()):
            return web.json_response(DUPLICATE, status=403)
        if payload.get("reply") and self.reject_replies:
            return web.json_response(REPLY_NOT_ALLOWED, status=403)
        post = self.add_post(text)
        post.reply_to = (payload.get("reply") or {}).get("in_reply_to_tweet_id")
        queue = self.faults.get("POST /2/tweets")
        if queue and queue[0].accept_first:
            return self._fault(queue.popleft())
        return web.json_response({"data": {"id": post.id, "text": text, "edit_history_tweet_ids": [post.id]}},
                                 status=201, headers={"x-user-limit-24hour-limit": "100",
                                                      "x-user-limit-24hour-remaining": "99"})

    async def _lookup(self, request: web.Request) -> web.Response:
        if answer := await self._check(request):
            return answer
        ids = request.query.get("ids", "").split(",")
        if len(ids) > 100:
            return web.json_response({"title": "Invalid Request", "detail": "too many ids"}, status=400)
        data, errors = [], []
        for post_id in ids:
            post = self.posts.get(post_id)
            if post is None or post_id in self.deleted:
                errors.append({"value": post_id, "detail": f"Could not find tweet with ids: [{post_id}].",
                               "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                               "resource_id": post_id,
                               "type": "https://api.twitter.com/2/problems/resource-not-found"})
            elif post_id in self.field_error_ids:
                data.append({"id": post_id, "text": post.text, "author_id": ACCOUNT["id"]})
                errors.append({"resource_type": "tweet", "field": "public_metrics", "parameter": "tweet.fields",
                               "resource_id": post_id, "title": "Field Authorization Error", "section": "data",
                               "detail": "Sorry, you are not authorized to access 'public_metrics' on a Tweet.",
                               "type": "https://api.twitter.com/2/problems/not-authorized-for-field"})
            else:
                data.append({"id": post_id, "text": post.text, "author_id": ACCOUNT["id"],
                             "public_metrics": public_metrics() | post.metrics})
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
            body["includes"] = {"users": [dict(ACCOUNT, public_metrics={"followers_count": self.followers})]}
        if errors:
            body["errors"] = errors
        return web.json_response(body)

    async def _timeline(self, request: web.Request) -> web.Response:
        if answer := await self._check(request):
            return answer
        start = request.query.get("start_time")
        since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        mine = [p for p in reversed(self.posts.values())
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
        if answer := await self._check(request):
            return answer
        page, meta = self._page(request, self.reposters.get(request.match_info["id"], []), 100)
        return web.json_response(self._users_body(page, meta))

    async def _quote_tweets(self, request: web.Request) -> web.Response:
        if answer := await self._check(request):
            return answer
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
        if answer := await self._check(request):
            return answer
        users = [x_user(uid, f"f{uid}") for uid in self.follower_ids]
        page, meta = self._page(request, users, 1000)
        return web.json_response(self._users_body(page, meta))

    async def _list_members(self, request: web.Request) -> web.Response:
        if answer := await self._check(request):
            return answer
        page, meta = self._page(request, self.lists.get(request.match_info["id"], []), 100)
        return web.json_response(self._users_body(page, meta))
