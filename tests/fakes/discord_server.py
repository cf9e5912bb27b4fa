"""A small Discord-compatible REST + gateway server on 127.0.0.1 for wire-level tests of an unmodified client."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from tests.fakes.threaded_server import ThreadedServer

BOT_ID, APP_ID, GUILD_ID, CHANNEL_ID, ROLE_ID, OWNER_ID = 9001, 9002, 9100, 9200, 9300, 9400
TIMESTAMP = "2026-11-25T09:00:00+00:00"


def user(user_id: int, name: str, *, bot: bool = False) -> dict:
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name, "avatar": None,
            "bot": bot}


BOT_USER = user(BOT_ID, "Spitzfeder", bot=True)


def member(user_payload: dict, roles: list[int]) -> dict:
    return {"user": user_payload, "roles": [str(r) for r in roles], "joined_at": TIMESTAMP, "deaf": False,
            "mute": False, "flags": 0}


def role(role_id: int, name: str, permissions: int, position: int) -> dict:
    return {"id": str(role_id), "name": name, "permissions": str(permissions), "position": position, "color": 0,
            "hoist": False, "managed": False, "mentionable": False, "flags": 0}


def _json(data, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py treats anything else (even with "; charset=utf-8") as text.
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


@dataclass
class Request:
    method: str
    path: str
    body: dict | None


@dataclass
class FakeDiscord:
    bot_permissions: int = (1 << 10) | (1 << 11) | (1 << 6) | (1 << 35) | (1 << 13) | (1 << 16) | (1 << 38)
    close_code_after_identify: int | None = None  # e.g. 4014: privileged intent not enabled
    reject_token: bool = False
    channels: dict[int, dict] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._ids = itertools.count(10_000)
        self._changed = threading.Condition()
        self._ws: web.WebSocketResponse | None = None
        self.identify: dict | None = None
        self.members: dict[int, dict] = {}  # the guild's members as events introduced them
        self.commands_without_ids = False  # a Discord-compatible server whose sync answer lacks ids
        self.typing_retry_after: float | None = None  # typing is rate-limited for this many seconds
        self.channels[CHANNEL_ID] = {"id": str(CHANNEL_ID), "type": 0, "name": "nachrichten", "position": 0,
                                     "guild_id": str(GUILD_ID), "permission_overwrites": [], "parent_id": None,
                                     "nsfw": False, "topic": None, "last_message_id": None,
                                     "rate_limit_per_user": 0}
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._server = ThreadedServer(app)

    # --- lifecycle ---

    def start(self) -> FakeDiscord:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    @property
    def api_url(self) -> str:
        return f"{self._server.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._server.port}/gateway"

    # --- for tests ---

    def wait_until(self, predicate, timeout: float = 10.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    async def until(self, predicate, timeout: float = 10.0) -> None:
        assert await asyncio.to_thread(self.wait_until, predicate, timeout), "the bot did not get there"

    def sent(self, channel_id: int | None = None) -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/messages")
                and (channel_id is None or r.path == f"/channels/{channel_id}/messages")]

    def dispatch(self, event: str, data: dict) -> None:
        async def send() -> None:
            await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._ids), "d": data}))

        asyncio.run_coroutine_threadsafe(send(), self._server._loop).result(timeout=10)

    def message_event(self, author: dict, roles: list[int], content: str) -> dict:
        self.members[int(author["id"])] = member(author, roles)
        return {"id": str(next(self._ids)), "channel_id": str(CHANNEL_ID), "guild_id": str(GUILD_ID),
                "author": author, "member": {k: v for k, v in member(author, roles).items() if k != "user"},
                "content": content,
                "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False, "mention_everyone": False,
                "mentions": [BOT_USER], "mention_roles": [], "attachments": [], "embeds": [], "pinned": False,
                "type": 0, "flags": 0}

    def reaction_event(self, author: dict, roles: list[int], channel_id: int, message_id: int, emoji: str) -> dict:
        self.members[int(author["id"])] = member(author, roles)
        return {"user_id": author["id"], "channel_id": str(channel_id), "message_id": str(message_id),
                "guild_id": str(GUILD_ID), "member": member(author, roles), "emoji": {"id": None, "name": emoji},
                "type": 0, "burst": False, "burst_colors": []}

    # --- gateway ---

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45_000}})
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await ws.send_json({"op": 11})
            elif payload["op"] == 2:
                self.identify = payload["d"]
                if self.close_code_after_identify:
                    await ws.close(code=self.close_code_after_identify)
                    break
                await self._ready(ws)
        return ws

    async def _ready(self, ws: web.WebSocketResponse) -> None:
        await ws.send_json({"op": 0, "t": "READY", "s": 1, "d": {
            "v": 10, "user": BOT_USER, "guilds": [{"id": str(GUILD_ID), "unavailable": True}],
            "session_id": "session", "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0}}})
        await ws.send_json({"op": 0, "t": "GUILD_CREATE", "s": 2, "d": self._guild()})
        with self._changed:
            self._changed.notify_all()

    def _guild(self) -> dict:
        return {"id": str(GUILD_ID), "name": "Redaktion", "icon": None, "owner_id": str(OWNER_ID),
                "roles": self._roles(), "channels": list(self.channels.values()), "threads": [],
                "members": [member(BOT_USER, [])], "member_count": 3, "emojis": [], "stickers": [],
                "features": [], "unavailable": False, "large": False, "joined_at": TIMESTAMP}

    def _roles(self) -> list[dict]:
        return [role(GUILD_ID, "@everyone", self.bot_permissions, 0), role(ROLE_ID, "Freigabe", 0, 1)]

    # --- REST ---

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        body = await request.json() if request.can_read_body and request.content_type == "application/json" else None
        with self._changed:
            self.requests.append(Request(request.method, path, body))
            self._changed.notify_all()
        parts = path.strip("/").split("/")
        if self.reject_token:
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if path == "/users/@me":
            return _json(BOT_USER)
        if path == "/users/@me/guilds":
            return _json([{"id": str(GUILD_ID), "name": "Redaktion", "icon": None, "owner": False,
                                       "permissions": "0", "features": []}])
        if path == "/oauth2/applications/@me":
            return _json({"id": str(APP_ID), "name": "Spitzfeder", "icon": None, "description": "",
                          "bot_public": False, "bot_require_code_grant": False, "owner": user(OWNER_ID, "owner"),
                          "verify_key": "0" * 64, "flags": 0})
        if path.endswith("/commands") and request.method == "PUT":
            if self.commands_without_ids:
                return _json([{"name": c["name"]} for c in body])
            return _json([{**c, "id": str(next(self._ids)), "application_id": str(APP_ID),
                                       "version": "1", "guild_id": str(GUILD_ID)} for c in body])
        if parts[0] == "guilds" and parts[-1] == "roles":
            return _json(self._roles())
        if parts[0] == "guilds" and parts[2] == "members":
            if int(parts[3]) == BOT_ID:
                return _json(member(BOT_USER, []))
            known = self.members.get(int(parts[3]))
            return _json(known) if known else _json({"message": "Unknown Member", "code": 10007}, status=404)
        if parts[0] == "channels" and len(parts) == 2:
            channel = self.channels.get(int(parts[1]))
            return _json(channel) if channel else _json(
                {"message": "Unknown Channel", "code": 10003}, status=404)
        if parts[-1] == "threads":
            return _json(self._thread(int(parts[1]), body["name"]), status=201)
        if parts[-1] == "typing" and self.typing_retry_after is not None:  # as Discord's proxy sends it
            return web.json_response({"message": "You are being rate limited.", "retry_after": self.typing_retry_after,
                                      "global": False}, status=429, headers={"Via": "1.1 google"})
        if parts[-1] == "typing" or "reactions" in parts:
            return web.Response(status=204)
        if parts[-1] == "messages" and request.method == "POST":
            return _json(self._message(int(parts[1]), body.get("content", "")))
        if parts[-2] == "messages" and request.method == "PATCH":
            return _json(self._message(int(parts[1]), body.get("content", ""), int(parts[-1])))
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _thread(self, parent_id: int, name: str) -> dict:
        thread_id = next(self._ids)
        return {"id": str(thread_id), "type": 11, "guild_id": str(GUILD_ID), "parent_id": str(parent_id),
                "owner_id": str(BOT_ID), "name": name, "message_count": 0, "member_count": 1,
                "rate_limit_per_user": 0, "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                                              "archive_timestamp": TIMESTAMP, "locked": False}}

    def _message(self, channel_id: int, content: str, message_id: int | None = None) -> dict:
        return {"id": str(message_id or next(self._ids)), "channel_id": str(channel_id), "author": BOT_USER,
                "content": content, "timestamp": TIMESTAMP, "edited_timestamp": None, "tts": False,
                "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
                "pinned": False, "type": 0, "flags": 0}
