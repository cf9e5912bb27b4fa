"""Figures for running Spitzfeder as a service: the wheel, a fresh install, `--help`, and the stop on SIGTERM.

    .venv/bin/python bench/service.py

Builds the wheel (no dependencies), installs it with its dependencies into a new venv (from the package
index or pip's cache: the time depends on both), and times `spitzfeder --help` from there. The stop figures
come from the real-process tests in tests/e2e/test_service.py.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _size_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _timed(command: list[str], **kwargs) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, **kwargs)
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        dist, venv = Path(scratch) / "dist", Path(scratch) / "venv"
        took = _timed([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                       str(dist), str(ROOT)])
        [wheel] = dist.glob("*.whl")
        print(f"wheel: {wheel.name}, {wheel.stat().st_size / 1024:.0f} KiB, built in {took:.1f} s")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        took = _timed([str(venv / "bin" / "pip"), "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)])
        print(f"install into a new venv (with dependencies): {took:.1f} s, venv {_size_mib(venv):.0f} MiB")
        helps = [_timed([str(venv / "bin" / "spitzfeder"), "--help"], cwd=scratch) for _ in range(7)]
        print(f"spitzfeder --help: median {statistics.median(helps):.2f} s (min {min(helps):.2f} s, 7 runs)")
    stops = subprocess.run([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
                            "tests/e2e/test_service.py"], cwd=ROOT, capture_output=True, text=True)
    for line in re.findall(r"^.*→ exit .*$", stops.stdout, flags=re.MULTILINE):
        print(f"stop: {line.strip().lstrip('.')}")


if __name__ == "__main__":
    main()
