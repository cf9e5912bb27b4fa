"""Time from an approver's reaction reaching the bot to the publisher being called (undo window 0, no X latency).

The real `run_bot` runs against a local Discord-compatible server (REST + gateway) and the fake LLM; the clock
starts when the reaction event is handed to the gateway and stops when the (dry-run) publisher is called.
Run: python bench/discord_approval_latency.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.dry_run import DryRunPublisher  # noqa: E402
from bot.settings import DEFAULT_PROMPTS_DIR, Settings  # noqa: E402
from bot.wiring import run as run_bot  # noqa: E402
from tests.fakes.discord_server import BOT_ID, ROLE_ID, FakeDiscord, user  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402
from tests.fakes.samples import GOOD_DRAFTS, NEWS  # noqa: E402

ANNA = user(4242, "anna")


async def main(rounds: int) -> None:
    published = asyncio.Queue()
    original = DryRunPublisher.publish

    async def timed_publish(self, text, *, source_line=None):
        published.put_nowait(time.perf_counter())
        return await original(self, text, source_line=source_line)

    DryRunPublisher.publish = timed_publish
    server, llm = FakeDiscord().start(), FakeOpenAI().start()
    latencies = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None, discord_token="bench-token-123456", discord_api_base_url=server.api_url,
            discord_gateway_url=server.gateway_url, openai_api_key="sk-bench-123456", openai_base_url=llm.base_url,
            openai_model="test-model", prompts_dir=DEFAULT_PROMPTS_DIR, approver_role_ids=[ROLE_ID],
            post_undo_seconds=0, database_url=f"sqlite+aiosqlite:///{folder}/bench.db", log_level="WARNING",
        )
        bot = asyncio.create_task(run_bot(settings))
        await asyncio.to_thread(server.wait_until, lambda s: any(r.path.endswith("/commands") for r in s.requests))
        for round_number in range(1, rounds + 1):
            llm.reply_drafts(*GOOD_DRAFTS)
            server.dispatch("MESSAGE_CREATE", server.message_event(ANNA, [], f"<@{BOT_ID}> {NEWS}"))

            def shown(s: FakeDiscord, wanted: int = round_number) -> bool:
                return sum(r.path.endswith("/reactions/🗑️/@me") for r in s.requests) >= wanted

            await asyncio.to_thread(server.wait_until, shown)
            drafts = [r for r in server.sent() if r.body["content"].startswith("📰")][-1]
            thread_id = int(drafts.path.split("/")[2])
            message_id = max(int(r.path.split("/")[4]) for r in server.requests
                             if r.path.startswith(f"/channels/{thread_id}/messages/") and "/reactions/" in r.path)
            start = time.perf_counter()
            server.dispatch("MESSAGE_REACTION_ADD", server.reaction_event(ANNA, [ROLE_ID], thread_id, message_id, "1️⃣"))
            latencies.append(await asyncio.wait_for(published.get(), 10) - start)
        bot.cancel()
        await asyncio.gather(bot, return_exceptions=True)
    server.stop()
    llm.stop()
    ms = sorted(latency * 1000 for latency in latencies)
    print(f"reaction -> publisher called, {len(ms)} approvals (undo 0, dry-run publisher)")
    print(f"median {statistics.median(ms):.1f} ms, p90 {ms[int(len(ms) * 0.9) - 1]:.1f} ms, max {ms[-1]:.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
