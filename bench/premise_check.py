"""The premise check's cost: the latency it adds to a draft set with an LLM that takes 1 s per answer.

The drafting pipeline runs against an in-process fake LLM that sleeps ``--llm-seconds`` before each answer (clean
drafts, every premise supported); each set is drafted with PREMISE_CHECK on and off, alternately. LLM calls per
delivered set on hostile replies (premise check included) come from bench/llm_hostile.py.

Run: .venv/bin/python bench/premise_check.py [--runs 5] [--llm-seconds 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.drafting.models import Usage  # noqa: E402
from bot.core.drafting.ports import ChatMessage, LLMReply  # noqa: E402
from bot.core.drafting.prompts import PromptLibrary  # noqa: E402
from bot.core.drafting.service import DraftingService  # noqa: E402
from bot.settings import DEFAULT_PROMPTS_DIR  # noqa: E402
from tests.fakes.openai_server import ALL_SUPPORTED, drafts_json  # noqa: E402
from tests.fakes.samples import GOOD_DRAFTS, NEWS  # noqa: E402


class SlowLLM:
    """Answers every request after ``seconds``: four clean drafts, or all premises supported."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls = 0

    async def complete_json(self, messages: list[ChatMessage], schema: dict, *, name: str = "drafts") -> LLMReply:
        self.calls += 1
        await asyncio.sleep(self.seconds)
        return LLMReply(ALL_SUPPORTED if name == "premise_check" else drafts_json(*GOOD_DRAFTS), Usage(100, 50))


async def timed(service: DraftingService) -> float:
    start = time.perf_counter()
    await service.draft(service.prepare_news(NEWS), 4)
    return time.perf_counter() - start


async def main(runs: int, llm_seconds: float) -> None:
    prompts = PromptLibrary.load(DEFAULT_PROMPTS_DIR)
    llm = SlowLLM(llm_seconds)
    checked, unchecked = DraftingService(llm, prompts), DraftingService(llm, prompts, premise_check=False)
    await DraftingService(SlowLLM(0), prompts).draft(checked.prepare_news(NEWS), 4)  # warm-up: langdetect
    with_check, without = [], []
    for _ in range(runs):
        with_check.append(await timed(checked))
        without.append(await timed(unchecked))
    on, off = statistics.median(with_check), statistics.median(without)
    print(json.dumps({"runs": runs, "llm_seconds": llm_seconds, "median_with_check_s": round(on, 3),
                      "median_without_check_s": round(off, 3), "added_s": round(on - off, 3),
                      "added_beyond_one_llm_latency_ms": round((on - off - llm_seconds) * 1000, 1)}, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--llm-seconds", type=float, default=1.0)
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.llm_seconds))
