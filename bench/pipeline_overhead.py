"""Drafting pipeline overhead per draft set, without LLM time, and peak memory of the CLI.

Run: .venv/bin/python bench/pipeline_overhead.py [runs]
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.drafting.models import Usage  # noqa: E402
from bot.core.drafting.ports import LLMReply  # noqa: E402
from bot.core.drafting.prompts import PromptLibrary  # noqa: E402
from bot.core.drafting.service import DraftingService  # noqa: E402
from bot.settings import DEFAULT_PROMPTS_DIR  # noqa: E402

NEWS = (
    "Die Stadt Hamburg erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich 9,5 Prozent. "
    "Der Senat begründet den Schritt mit gestiegenen Energiekosten. Das Deutschlandticket bleibt davon "
    "unberührt. Im Wahlkampf hatte Bürgermeister Peter Tschentscher noch versprochen, die Ticketpreise "
    "stabil zu halten. Die Opposition spricht von Wortbruch. Der Verkehrsverbund rechnet mit Mehreinnahmen "
    "von 60 Millionen Euro pro Jahr. "
) * 6
REPLY = json.dumps({"drafts": [
    {"text": "Wer zahlt am Ende für die gestiegenen Energiekosten – wirklich nur die Fahrgäste?",
     "evidence": "Der Senat begründet den Schritt mit gestiegenen Energiekosten.",
     "premise": "Der Senat begründet die Preiserhöhung mit gestiegenen Energiekosten.", "pattern": "kosten"},
    {"text": "Was ist ein Versprechen im Wahlkampf eigentlich noch wert, Herr Tschentscher?",
     "evidence": "Bürgermeister Peter Tschentscher noch versprochen, die Ticketpreise stabil zu halten",
     "premise": "Tschentscher hatte stabile Ticketpreise versprochen.", "pattern": "versprechen"},
    {"text": "Wohin fließen die 60 Millionen Euro Mehreinnahmen pro Jahr genau?",
     "evidence": "Der Verkehrsverbund rechnet mit Mehreinnahmen von 60 Millionen Euro pro Jahr.",
     "premise": "Der Verkehrsverbund erwartet 60 Millionen Euro Mehreinnahmen im Jahr.", "pattern": "nutzniesser"},
    {"text": "Wie soll die Verkehrswende gelingen, wenn Bus und Bahn fast zehn Prozent teurer werden?",
     "evidence": "erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich 9,5 Prozent",
     "premise": "Die Preise steigen um durchschnittlich 9,5 Prozent.", "pattern": "folgen"},
]}, ensure_ascii=False)


class InstantLLM:
    async def complete_json(self, messages, schema, *, name="drafts"):
        if name == "premise_check":
            return LLMReply(json.dumps({"verdicts": [{"number": n, "supported": "ja", "reason": ""}
                                                     for n in range(1, 9)]}), Usage(100, 10))
        return LLMReply(REPLY, Usage(100, 50))


async def measure(runs: int) -> list[float]:
    service = DraftingService(InstantLLM(), PromptLibrary.load(DEFAULT_PROMPTS_DIR))
    news = service.prepare_news(NEWS)
    await service.draft(news, 4)  # warm-up: langdetect loads its profiles once
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        result = await service.draft(service.prepare_news(NEWS), 4)
        timings.append((time.perf_counter() - start) * 1000)
        assert len(result.drafts) == 4 and result.llm_calls == 2  # the drafts and the premise check
    return timings


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps({"id": "x", "object": "chat.completion", "created": 0, "model": "m",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": REPLY}}],
                           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def cli_peak_memory_mib() -> float:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {"OPENAI_API_KEY": "bench", "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_port}/v1",
           "OPENAI_MODEL": "m", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "bot", "draft", NEWS, "--no-save", "--json"], env=env, check=True,
                   capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    server.shutdown()
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    timings = sorted(asyncio.run(measure(runs)))
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"draft set of 4, news of {len(NEWS)} chars, {runs} runs, LLM answering at once")
    print(f"pipeline overhead: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, max {timings[-1]:.2f} ms")
    print(f"CLI peak memory (spitzfeder draft --no-save): {cli_peak_memory_mib():.0f} MiB")


if __name__ == "__main__":
    main()
