"""Hostile LLM replies: how many LLM calls a delivered draft set costs, and how long checking a 64 000-character
reply blocks the event loop.

The real `openai` client and drafting pipeline talk to the fake OpenAI server (tests/fakes/openai_server.py) on
127.0.0.1. Pauses between attempts are recorded, not slept, so the figures count calls and CPU, not waiting.
Every evidence quote is verbatim, so no repair round is caused by the evidence check. The premise check
(PREMISE_CHECK, on by default) is one more call per delivered set, answered „ja“ by the fake server.

Run: .venv/bin/python bench/llm_hostile.py [--sets 20] [--lag-runs 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.llm_openai import OpenAIChat  # noqa: E402
from bot.core.drafting.checks import check_draft, mark_near_duplicates  # noqa: E402
from bot.core.drafting.models import NewsItem  # noqa: E402
from bot.core.drafting.prompts import PromptLibrary  # noqa: E402
from bot.core.drafting.replies import parse_reply  # noqa: E402
from bot.core.drafting.service import DraftingService  # noqa: E402
from bot.core.errors import SpitzfederError  # noqa: E402
from bot.settings import DEFAULT_PROMPTS_DIR  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI, drafts_json  # noqa: E402
from tests.fakes.samples import GOOD_DRAFTS, NEWS  # noqa: E402

HTML = "<!DOCTYPE html><html><head><title>Anmelden</title></head><body>" + "Bitte anmelden. " * 200 + "</body></html>"
TRUNCATED = '{"choices": [{"message": {"content": "{\\"drafts\\": [{\\"te'  # a completion body cut off
STATEMENTS = [("Die Preise steigen schon wieder.", GOOD_DRAFTS[2][1]), ("Das ist ein Wortbruch.", GOOD_DRAFTS[1][1])]


def runaway(chars: int) -> str:
    """A reply of ``chars`` characters: one draft whose text fills it."""
    overhead = len(drafts_json(("", GOOD_DRAFTS[0][1])))
    return drafts_json(("Warum " * ((chars - overhead) // 6), GOOD_DRAFTS[0][1]))


Script = Callable[[FakeOpenAI], None]

# Each hostile first reply; the server then answers properly.
HOSTILE: dict[str, Script] = {
    "HTML with status 200": lambda s: s.raw(200, HTML),
    "oversized (10 MB reply)": lambda s: s.reply(runaway(10_000_000)),
    "garbage JSON": lambda s: s.raw(200, TRUNCATED, "application/json"),
    "half the drafts failing checks": lambda s: s.reply_drafts(*GOOD_DRAFTS[:2], *STATEMENTS),
    "429 with Retry-After: 0": lambda s: s.rate_limited({"Retry-After": "0"}),
}


class VirtualSleep:
    def __init__(self) -> None:
        self.total = 0.0

    async def __call__(self, seconds: float) -> None:
        self.total += seconds


async def calls_per_set(server: FakeOpenAI, first: list[Script | None]) -> tuple[float, int, float]:
    """Draft one set per entry (its hostile first reply, or None for a clean one): calls per delivered set."""
    chat = OpenAIChat(api_key="sk-bench", model="test-model", base_url=server.base_url, timeout_seconds=5)
    sleep = VirtualSleep()
    service = DraftingService(chat, PromptLibrary.load(DEFAULT_PROMPTS_DIR), sleep=sleep)
    server.requests.clear()
    server.premise_requests.clear()
    delivered = 0
    for hostile in first:
        if hostile is not None:
            hostile(server)
        server.reply_drafts(*GOOD_DRAFTS)  # the retry, or the repair round's replacements
        server.reply_drafts(*GOOD_DRAFTS)  # spare: left over when not needed
        try:
            await service.draft(service.prepare_news(NEWS), 4)
            delivered += 1
        except SpitzfederError as exc:
            print(f"  set failed: {exc.user_message}")
        server.script.clear()
    await chat.aclose()
    calls = sum(1 for r in server.requests if "payload" in r) + len(server.premise_requests)  # with premise checks
    return calls / max(delivered, 1), delivered, sleep.total


async def lag_while_checking(server: FakeOpenAI, reply: str, count: int, runs: int) -> tuple[float, float, int]:
    """Loop lag (probe every 10 ms) while draft sets whose first reply is ``reply`` are produced."""
    chat = OpenAIChat(api_key="sk-bench", model="test-model", base_url=server.base_url, timeout_seconds=5)
    service = DraftingService(chat, PromptLibrary.load(DEFAULT_PROMPTS_DIR), sleep=VirtualSleep())
    server.reply_drafts(*GOOD_DRAFTS)
    await service.draft(service.prepare_news(NEWS), 4)  # warm-up: langdetect loads its profiles once
    lags: list[float] = []
    stop = asyncio.Event()

    async def probe(interval: float = 0.01) -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(interval)
            lags.append(time.perf_counter() - start - interval)

    prober = asyncio.create_task(probe())
    await asyncio.sleep(0.05)
    calls = 0
    for _ in range(runs):
        server.script.clear()
        server.requests.clear()
        server.premise_requests.clear()
        server.reply(reply)
        server.reply_drafts(*GOOD_DRAFTS * 2)  # the repair round
        await service.draft(service.prepare_news(NEWS), count)
        calls += len(server.requests) + len(server.premise_requests)
    await asyncio.sleep(0.05)
    stop.set()
    await prober
    await chat.aclose()
    return max(lags) * 1000, statistics.median(lags) * 1000, calls


def checks_cpu(reply: str, count: int) -> float:
    """Thread CPU time (ms, best of 5) of what the pipeline does synchronously with one reply: parse and check."""
    news = NewsItem(NEWS)
    best = float("inf")
    for _ in range(5):
        start = time.thread_time()
        try:
            outputs = parse_reply(reply).drafts[:count]
            mark_near_duplicates([check_draft(o.text, o.evidence, news) for o in outputs])
        except SpitzfederError:
            pass
        best = min(best, time.thread_time() - start)
    return best * 1000


def reply_of_drafts(text_chars: int, total_chars: int) -> str:
    """A reply just under ``total_chars`` made of drafts of ``text_chars`` characters each (statements)."""
    text = ("Die Preise steigen " * (text_chars // 19 + 1))[: text_chars - 1].rstrip() + "."
    pairs: list[tuple[str, str]] = []
    while len(drafts_json(*pairs, (text, GOOD_DRAFTS[0][1]))) <= total_chars:
        pairs.append((text, GOOD_DRAFTS[0][1]))
    return drafts_json(*pairs)


async def main(sets: int, lag_runs: int) -> None:
    server = FakeOpenAI().start()
    try:
        print(f"LLM calls per delivered draft set ({sets} sets each, 4 drafts, verbatim evidence):")
        print(f"  {'scenario':<44} {'calls/set':>9} {'delivered':>9} {'backoff (virtual)':>18}")
        scenarios: dict[str, list[Script | None]] = {"clean replies": [None] * sets}
        scenarios.update({f"first reply {name}": [hostile] * sets for name, hostile in HOSTILE.items()})
        kinds = list(HOSTILE.values())
        scenarios["mixed: 1 set in 5 meets one of the above"] = [
            kinds[(i // 5) % len(kinds)] if i % 5 == 0 else None for i in range(sets)]
        for name, first in scenarios.items():
            per_set, delivered, waited = await calls_per_set(server, first)
            print(f"  {name:<44} {per_set:>9.2f} {delivered:>6}/{len(first):<2} {waited:>16.1f} s")

        print(f"\nEvent-loop lag while a reply of at most 64 000 characters is checked ({lag_runs} draft sets each, "
              "probe every 10 ms, repair round included):")
        cases = {
            "clean reply (baseline)": (drafts_json(*GOOD_DRAFTS), 4),
            "one 64 000-character draft": (runaway(64_000), 4),
            "drafts of 1 000 characters, 4 checked": (reply_of_drafts(1_000, 64_000), 4),
            "drafts of 280 characters, 4 checked": (reply_of_drafts(280, 64_000), 4),
            "drafts of 280 characters, 8 checked": (reply_of_drafts(280, 64_000), 8),
            "64 001 characters (refused unparsed)": (json.dumps({"drafts": []}) + " " * 64_001, 4),
        }
        print(f"  {'reply':<40} {'lag max':>8} {'median':>8} {'checks CPU':>11}")
        for name, (reply, count) in cases.items():
            lag_max, lag_median, _ = await lag_while_checking(server, reply, count, lag_runs)
            print(f"  {name:<40} {lag_max:5.1f} ms {lag_median:5.2f} ms {checks_cpu(reply, count):8.1f} ms")
        print("  (checks CPU: thread CPU time of parsing and checking the reply alone, best of 5)")
    finally:
        server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=20)
    parser.add_argument("--lag-runs", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # every hostile reply logs a warning; the figures are the point
    asyncio.run(main(args.sets, args.lag_runs))
