"""The one-second ticker the Scheduler replaced, kept here only as the baseline of the benchmarks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from discord.ext import tasks

log = logging.getLogger(__name__)

DueRunner = Callable[[], Awaitable[object]]


class DueWorkTicker:
    def __init__(self, runners: Sequence[DueRunner], seconds: float = 1.0) -> None:
        self._runners = list(runners)
        self._loop = tasks.loop(seconds=seconds)(self.run_once)

    async def run_once(self) -> None:
        """Run every runner once; a failing runner is logged and never ends the ticker."""
        for runner in self._runners:
            try:
                await runner()
            except Exception:
                log.exception("due work %s failed", getattr(runner, "__qualname__", runner))

    def start(self) -> None:
        if not self._loop.is_running():
            self._loop.start()

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let a running round finish (cancel it after ``grace_seconds``) before the database closes."""
        task = self._loop.get_task()
        if task is None or task.done():
            return
        self._loop.stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_seconds)
        except TimeoutError:
            self._loop.cancel()
            await asyncio.gather(task, return_exceptions=True)
        except Exception:
            pass  # run_once logs its own failures
