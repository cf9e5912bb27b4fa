"""A fake OpenAI-compatible server: scripted chat completions, faults on demand, every request recorded."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.threaded_server import ThreadedServer


@dataclass
class Scripted:
    status: int = 200
    body: Any = None  # dict → JSON, str → raw text
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


def completion(content: str, *, finish_reason: str = "stop", prompt_tokens: int = 100,
               completion_tokens: int = 50) -> dict:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def drafts_json(*pairs: tuple[str, str]) -> str:
    return json.dumps({"drafts": [{"text": t, "evidence": e} for t, e in pairs]}, ensure_ascii=False)


def full_drafts_json(*drafts: tuple[str, str, str, str]) -> str:
    """Drafts with all four fields: text, evidence, premise, pattern."""
    return json.dumps({"drafts": [{"text": t, "evidence": e, "premise": p, "pattern": k} for t, e, p, k in drafts]},
                      ensure_ascii=False)


def verdicts_json(*verdicts: tuple[str, str]) -> str:
    """The premise check's reply: (supported, reason) for drafts 1, 2, …"""
    return json.dumps({"verdicts": [{"number": n, "supported": s, "reason": r}
                                    for n, (s, r) in enumerate(verdicts, 1)]}, ensure_ascii=False)


ALL_SUPPORTED = verdicts_json(*[("ja", "belegt")] * 8)  # the default answer to a premise check


def is_premise_check(payload: dict) -> bool:
    """A premise-check request: its schema's name, or (for JSON in text) its prompt's reply format."""
    schema = ((payload.get("response_format") or {}).get("json_schema") or {}).get("name")
    if schema is not None:
        return bool(schema == "premise_check")
    messages = payload.get("messages") or [{}]
    return '{"verdicts"' in str(messages[-1].get("content", ""))


class FakeOpenAI:
    def __init__(self, models: list[str] | None = None) -> None:
        self.models = models if models is not None else ["test-model"]
        self.models_endpoint = True
        self.models_page: str | None = None  # HTML (or any text) answered with 200 instead of the model list
        self.reject_json_schema = False
        self.requests: list[dict] = []  # every request but the premise checks
        self.script: deque[Scripted] = deque()
        # Premise checks are recorded apart and take their answers from here; with none scripted every premise
        # is supported („ja“): tests of other things need not know that each draft set makes one more request.
        self.premise_requests: list[dict] = []
        self.premise_script: deque[Scripted] = deque()
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._server = ThreadedServer(app)

    @property
    def base_url(self) -> str:
        return self._server.base_url + "/v1"

    def start(self) -> FakeOpenAI:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    # --- scripting ---

    def reply(self, content: str, **kwargs: Any) -> None:
        self.script.append(Scripted(body=completion(content, **kwargs)))

    def reply_drafts(self, *pairs: tuple[str, str], **kwargs: Any) -> None:
        self.reply(drafts_json(*pairs), **kwargs)

    def error(self, status: int, message: str = "error", *, code: str | None = None,
              headers: dict[str, str] | None = None) -> None:
        body = {"error": {"message": message, "type": "error", "code": code}}
        self.script.append(Scripted(status=status, body=body, headers=headers or {}))

    def raw(self, status: int, text: str, content_type: str = "text/html") -> None:
        self.script.append(Scripted(status=status, body=text, headers={"Content-Type": content_type}))

    def json_body(self, body: Any, status: int = 200) -> None:
        """Any JSON at all, e.g. a 200 without `choices` or a bare list."""
        self.script.append(Scripted(status=status, body=body))

    def rate_limited(self, headers: dict[str, str], status: int = 429) -> None:
        """A 429 (or 503) that names its wait: Retry-After, retry-after-ms, x-ratelimit-reset-*."""
        self.error(status, "Rate limit reached", code="rate_limit_exceeded", headers=headers)

    def reply_verdicts(self, *verdicts: tuple[str, str], **kwargs: Any) -> None:
        """The answer to the next premise check: (supported, reason) for drafts 1, 2, …"""
        self.premise_script.append(Scripted(body=completion(verdicts_json(*verdicts), **kwargs)))

    def premise_error(self, status: int, message: str = "error") -> None:
        self.premise_script.append(Scripted(status=status, body={"error": {"message": message, "type": "error"}}))

    def premise_raw(self, content: str) -> None:
        """A premise-check answer with this content (e.g. broken JSON)."""
        self.premise_script.append(Scripted(body=completion(content)))

    def prompt_of(self, index: int) -> str:
        """The user message of the ``index``-th chat request (what the model was asked)."""
        return self.requests[index]["payload"]["messages"][-1]["content"]

    def hang(self) -> None:
        self.script.append(Scripted(hang=True))

    # --- handlers ---

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        payload = await request.json()
        premise_check = is_premise_check(payload)
        (self.premise_requests if premise_check else self.requests).append(
            {"payload": payload, "headers": dict(request.headers)})
        if self.reject_json_schema and (payload.get("response_format") or {}).get("type") == "json_schema":
            return web.json_response({"error": {"message": "response_format json_schema is not supported"}},
                                     status=400)
        if premise_check:
            step = (self.premise_script.popleft() if self.premise_script
                    else Scripted(body=completion(ALL_SUPPORTED, prompt_tokens=0, completion_tokens=0)))
        elif not self.script:
            return web.json_response({"error": {"message": "fake server: script exhausted"}}, status=500)
        else:
            step = self.script.popleft()
        if step.hang:
            await self._server.release.wait()
            return web.json_response({}, status=500)
        if isinstance(step.body, str):
            return web.Response(status=step.status, text=step.body, headers=step.headers)
        return web.json_response(step.body, status=step.status, headers=step.headers)

    async def _models(self, request: web.Request) -> web.Response:
        self.requests.append({"path": "/v1/models", "headers": dict(request.headers)})
        if not self.models_endpoint:
            return web.json_response({"error": {"message": "not found"}}, status=404)
        if self.models_page is not None:
            return web.Response(text=self.models_page, content_type="text/html")
        return web.json_response({"object": "list", "data": [
            {"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in self.models]})
