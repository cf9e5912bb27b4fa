"""Start-up cost of the CLI and the bot: `--help` wall time, idle memory of `run`, time to the gateway READY.

(a) `python -m bot --help`: wall time (median of --runs) and the child's peak RSS.
(b) `python -m bot run` against the local Discord-compatible server and the fake LLM: VmRSS from
    /proc/<pid>/status once the bot is connected and has idled for --idle seconds (median of --runs).
(c) time from spawning `python -m bot run` to the fake server receiving IDENTIFY, and to the bot's log line
    "connected to Discord" (READY handled).

Every process is a fresh interpreter (the one running this script, so run it with the venv's python). Bytecode
is cached in a temporary folder (PYTHONPYCACHEPREFIX, even when PYTHONDONTWRITEBYTECODE is set) and one unmeasured
round of each kind warms it, so the figures show an installed deployment rather than compiling sources.
With --accounts N the bot serves N accounts from an ACCOUNTS_FILE (each with its own channel and approvers, in
the dry run), to compare the idle memory of one account with that of many.
Run: .venv/bin/python bench/startup.py [--runs 5] [--idle 2] [--accounts 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.discord_server import ROLE_ID, FakeDiscord  # noqa: E402
from tests.fakes.openai_server import FakeOpenAI  # noqa: E402


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def child_env(folder: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "pycache")
    # The checkout this script is in, not the one the venv's install points to.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def measure_help(runs: int, folder: str) -> tuple[list[float], list[int]]:
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "bot", "--help"], cwd=folder, env=child_env(folder),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        times.append(time.perf_counter() - start)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"--help exited with {process.returncode}")
        peaks.append(usage.ru_maxrss)  # KiB on Linux
    return times, peaks


def accounts_file(folder: str, count: int) -> Path:
    """``count`` accounts, each in its own channel with its own approvers (ids made up: nobody writes there)."""
    path = Path(folder) / "accounts.toml"
    path.write_text("".join(f'[accounts.kunde-{n}]\ndisplay_name = "Kunde {n}"\ndiscord_channel_ids = [{900_000 + n}]\n'
                            f"approver_role_ids = [{ROLE_ID}]\n\n" for n in range(1, count + 1)), encoding="utf-8")
    return path


def measure_run(folder: str, idle: float, run_number: int, accounts: int = 0) -> dict[str, float]:
    server, llm = FakeDiscord().start(), FakeOpenAI().start()
    env = {
        **child_env(folder),
        "DISCORD_TOKEN": "bench-token-123456",
        "DISCORD_API_BASE_URL": server.api_url,
        "DISCORD_GATEWAY_URL": server.gateway_url,
        "OPENAI_API_KEY": "sk-bench-123456",
        "OPENAI_BASE_URL": llm.base_url,
        "OPENAI_MODEL": "test-model",
        "APPROVER_ROLE_IDS": str(ROLE_ID),
        "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/startup.db",  # made by the warm-up round: a restart
        "DRY_RUN": "true",
        "LOG_LEVEL": "INFO",
    }
    if accounts:
        env["ACCOUNTS_FILE"] = str(accounts_file(folder, accounts))
    connected = threading.Event()
    ready_at: list[float] = []
    log_lines: list[str] = []

    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=folder, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def read_log() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log_lines.append(line)
            if "connected to Discord" in line and not connected.is_set():
                ready_at.append(time.perf_counter())
                connected.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not server.wait_until(lambda s: s.identify is not None, timeout=60):
            raise SystemExit("the bot never sent IDENTIFY:\n" + "".join(log_lines))
        identify_at = time.perf_counter()
        if not connected.wait(60):
            raise SystemExit("the bot never logged 'connected to Discord':\n" + "".join(log_lines))
        server.wait_until(lambda s: any(r.path.endswith("/commands") for r in s.requests), timeout=30)
        time.sleep(idle)
        rss, peak = _status_kib(process.pid, "VmRSS"), _status_kib(process.pid, "VmHWM")
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(5)
        server.stop()
        llm.stop()
    return {"identify": identify_at - start, "ready": ready_at[0] - start, "rss": rss / 1024, "peak": peak / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=2.0, help="seconds to idle after READY before reading RSS")
    parser.add_argument("--accounts", type=int, default=0, help="serve this many accounts (ACCOUNTS_FILE)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:  # cwd without a .env
        measure_help(1, folder)  # warm the bytecode cache
        times, peaks = measure_help(args.runs, folder)
        print(f"(a) spitzfeder --help: median {statistics.median(times):.2f} s "
              f"(min {min(times):.2f}, max {max(times):.2f}), "
              f"peak RSS median {statistics.median(peaks) / 1024:.0f} MiB")
        measure_run(folder, args.idle, -1, args.accounts)
        runs = [measure_run(folder, args.idle, n, args.accounts) for n in range(args.runs)]
    rss = [r["rss"] for r in runs]
    served = f"{args.accounts} account(s) from ACCOUNTS_FILE" if args.accounts else "one account, no ACCOUNTS_FILE"
    print(f"(b) spitzfeder run ({served}), idle RSS after READY + {args.idle:g} s: "
          f"median {statistics.median(rss):.0f} MiB "
          f"(min {min(rss):.0f}, max {max(rss):.0f}); peak (VmHWM) median "
          f"{statistics.median(r['peak'] for r in runs):.0f} MiB")
    print(f"(c) process start -> IDENTIFY at the fake gateway: median "
          f"{statistics.median(r['identify'] for r in runs):.2f} s; -> 'connected to Discord' logged: median "
          f"{statistics.median(r['ready'] for r in runs):.2f} s")


if __name__ == "__main__":
    main()
