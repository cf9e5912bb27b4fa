"""20 news items arrive together; the LLM takes 2 s per answer (the drafts, then the premise check: 4 s a set). How
long until all 20 draft sets are in Discord with their buttons, and how long was the event loop ever blocked?

The real `run_bot` talks to a local Discord-compatible server (REST + gateway) and a slow fake LLM server, both
in a second process.
Run: python bench/discord_burst.py [--items 20] [--llm-seconds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import importlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiohttp import web  # noqa: E402

from bot.settings import DEFAULT_PROMPTS_DIR, Settings  # noqa: E402
from bot.wiring import run as run_bot  # noqa: E402
from tests.fakes.discord_server import BOT_ID, FakeDiscord, user  # noqa: E402
from tests.fakes.openai_server import ALL_SUPPORTED, completion, full_drafts_json, is_premise_check  # noqa: E402
from tests.fakes.samples import GOOD_DRAFTS, NEWS  # noqa: E402
from tests.fakes.threaded_server import ThreadedServer  # noqa: E402

PREMISE = "Der Senat erhöht die Preise."
DRAFTS = full_drafts_json(*[(text, evidence, PREMISE, "kosten") for text, evidence in GOOD_DRAFTS])


def slow_llm(seconds: float, arrivals: list[float] | None = None) -> ThreadedServer:
    """``arrivals``: when each request arrived (perf_counter)."""
    async def chat(request: web.Request) -> web.Response:
        if arrivals is not None:
            arrivals.append(time.perf_counter())
        payload = await request.json()
        await asyncio.sleep(seconds)  # the drafts and the premise check each take this long
        return web.json_response(completion(ALL_SUPPORTED if is_premise_check(payload) else DRAFTS))

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    return ThreadedServer(app).start()


# The steps of a news item's way, timed with --steps: (module, class, async method); the checks separately.
STEPS = (
    ("bot.adapters.storage.workflow", "SqlWorkflowStore", "latest_case_in"),
    ("bot.core.conversation.workflow", "Workflow", "read_news"),
    ("bot.adapters.discord.chat", "DiscordChat", "open_thread"),
    ("bot.adapters.storage.workflow", "SqlWorkflowStore", "create_case"),
    ("bot.adapters.llm_openai", "OpenAIChat", "complete_json"),
    ("bot.adapters.storage.workflow", "SqlWorkflowStore", "add_set"),
    ("bot.adapters.storage.workflow", "SqlWorkflowStore", "set_record"),
    ("bot.adapters.discord.chat", "DiscordChat", "send"),
    ("bot.adapters.storage.workflow", "SqlWorkflowStore", "remember_message"),
    ("bot.adapters.discord.chat", "DiscordChat", "add_reactions"),
)
CHECKS = "draft checks (worker thread)"
Spans = dict[str, list[tuple[float, float]]]  # step -> (start, end) of each call, perf_counter


def time_steps(spans: Spans) -> None:
    """Wrap every step with a timer: the benchmark's own instrument, in its own process only."""
    for module, owner, name in STEPS:
        cls = getattr(importlib.import_module(module), owner)
        setattr(cls, name, _timed(getattr(cls, name), f"{owner}.{name}", spans))
    service = importlib.import_module("bot.core.drafting.service")
    checks = service._check_set

    def timed_checks(*args, **kwargs):
        start = time.perf_counter()
        try:
            return checks(*args, **kwargs)
        finally:
            spans.setdefault(CHECKS, []).append((start, time.perf_counter()))

    service._check_set = timed_checks


def _timed(method, label: str, spans: Spans):
    @functools.wraps(method)
    async def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            spans.setdefault(label, []).append((start, time.perf_counter()))
    return timed


def print_steps(spans: Spans, start: float) -> None:
    print("step: calls, mean time per call (waits included), last call ended (s after the first news item)")
    for label in [f"{owner}.{name}" for _, owner, name in STEPS[:5]] + [CHECKS] + [
            f"{owner}.{name}" for _, owner, name in STEPS[5:]]:
        done = [(begin, end) for begin, end in spans.get(label, []) if begin >= start]
        if done:
            mean = statistics.mean(end - begin for begin, end in done)
            print(f"  {label:38} {len(done):3d} {mean * 1000:8.1f} ms {max(end for _, end in done) - start:7.2f} s")


@dataclass(frozen=True)
class Burst:
    """What the fake servers saw: seconds from the first news item."""

    elapsed: float  # until every set was shown
    fakes_cpu: float  # CPU time of the fakes' process meanwhile
    llm_requests: list[float]  # when each LLM request arrived


def _cpu() -> float:
    """CPU time of this process (all threads, user and system)."""
    times = os.times()
    return times.user + times.system


async def loop_lag_probe(lags: list[float], stop: asyncio.Event, interval: float = 0.005) -> None:
    """How late the loop wakes a short sleep: the longest stretch any callback blocked it."""
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(interval)
        lags.append(time.perf_counter() - start - interval)


def serve_fakes(conn, items: int, llm_seconds: float) -> None:
    """The fake Discord and the slow LLM, in a process of their own: in the bot's process their request handling
    would compete with the bot for the interpreter lock, which a real Discord and LLM never do."""
    arrivals: list[float] = []
    discord_server, llm = FakeDiscord().start(), slow_llm(llm_seconds, arrivals)
    conn.send((discord_server.api_url, discord_server.gateway_url, llm.base_url))
    discord_server.wait_until(lambda s: any(r.path.endswith("/commands") for r in s.requests), 60)
    conn.send("ready")
    conn.recv()  # go
    author = user(4242, "anna")
    arrivals.clear()
    start, cpu = time.perf_counter(), _cpu()
    for _ in range(items):
        discord_server.dispatch("MESSAGE_CREATE", discord_server.message_event(author, [], f"<@{BOT_ID}> {NEWS}"))

    def all_shown(server: FakeDiscord) -> bool:  # each set's message and its last reaction button
        return sum(r.path.endswith("/reactions/🗑️/@me") for r in server.requests) >= items

    discord_server.wait_until(all_shown, 60)
    conn.send(Burst(elapsed=time.perf_counter() - start, fakes_cpu=_cpu() - cpu,
                    llm_requests=[arrival - start for arrival in arrivals]))
    conn.recv()  # done
    discord_server.stop()
    llm.stop()


async def main(items: int, llm_seconds: float, settle: float, profile: str | None = None,
               premise_check: bool = True, steps: bool = False) -> None:
    spans: Spans = {}
    if steps:
        time_steps(spans)
    ours, theirs = multiprocessing.Pipe()
    fakes = multiprocessing.get_context("spawn").Process(target=serve_fakes, args=(theirs, items, llm_seconds))
    fakes.start()
    api_url, gateway_url, llm_url = await asyncio.to_thread(ours.recv)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None, discord_token="bench-token-123456", discord_api_base_url=api_url,
            discord_gateway_url=gateway_url, openai_api_key="sk-bench-123456",
            openai_base_url=llm_url + "/v1", openai_model="test-model", prompts_dir=DEFAULT_PROMPTS_DIR,
            database_url=f"sqlite+aiosqlite:///{folder}/bench.db", log_level="WARNING", premise_check=premise_check,
        )
        bot = asyncio.create_task(run_bot(settings))
        await asyncio.to_thread(ours.recv)  # the bot is connected and has synced its commands
        # In its first seconds the bot loads what the first news item needs (language profiles, the LLM library)
        # in the background; --settle 0 sends the burst into that.
        await asyncio.sleep(settle)
        lags: list[float] = []
        stop = asyncio.Event()
        probe = asyncio.create_task(loop_lag_probe(lags, stop))
        profiler = cProfile.Profile() if profile else None
        loop_cpu, bot_cpu = time.thread_time(), _cpu()  # this coroutine runs on the loop's thread
        start = time.perf_counter()
        if profiler:
            profiler.enable()  # the loop's thread only
        ours.send("go")
        burst: Burst = await asyncio.to_thread(ours.recv)
        if profiler:
            profiler.disable()
            profiler.dump_stats(profile)
        loop_cpu, bot_cpu = time.thread_time() - loop_cpu, _cpu() - bot_cpu
        stop.set()
        await probe
        bot.cancel()
        await asyncio.gather(bot, return_exceptions=True)
    ours.send("done")
    fakes.join(10)
    print(f"news items: {items}, LLM answer time: {llm_seconds:.1f} s")
    print(f"all {items} draft sets in Discord after: {burst.elapsed:.2f} s")
    first_requests = sorted(burst.llm_requests)[:items]
    if first_requests:
        print(f"LLM requests of the sets arrived after: {first_requests[0]:.2f}–{first_requests[-1]:.2f} s; "
              f"last set shown {burst.elapsed - first_requests[-1] - llm_seconds:.2f} s after the last answer")
    print(f"CPU time on the event loop's thread during the burst: {loop_cpu * 1000:.0f} ms "
          f"({loop_cpu * 1000 / items:.1f} ms per item; worker threads not counted)")
    print(f"CPU time of the bot's process (all threads): {bot_cpu * 1000:.0f} ms ({bot_cpu * 1000 / items:.1f} ms "
          f"per item); of the fake Discord and LLM: {burst.fakes_cpu * 1000:.0f} ms")
    slowest = sorted(lags, reverse=True)
    print(f"event loop lag: max {slowest[0] * 1000:.1f} ms, 99th percentile {slowest[len(lags) // 100] * 1000:.1f} ms, "
          f"median {statistics.median(lags) * 1000:.1f} ms ({len(lags)} samples, {sum(lag > 0.1 for lag in lags)} over "
          f"100 ms)")
    if steps:
        print_steps(spans, start)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--llm-seconds", type=float, default=2.0)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between the start and the burst")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the loop's thread during the burst")
    parser.add_argument("--no-premise-check", action="store_true", help="one LLM call per set, as before the check")
    parser.add_argument("--steps", action="store_true", help="time the steps of an item's way (adds a little work)")
    args = parser.parse_args()
    asyncio.run(main(args.items, args.llm_seconds, args.settle, args.profile, not args.no_premise_check, args.steps))
