"""Another process writing to the SQLite database: holds its write lock until released."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class WriteLock:
    """A second connection, in its own thread, that holds SQLite's write lock (``BEGIN IMMEDIATE``)
    from ``hold()`` until ``release()``; readers go on (WAL), every other writer finds the database locked."""

    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._held = threading.Event()
        self._release = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def hold(self) -> WriteLock:
        self._release.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite write lock", daemon=True)
        self._thread.start()
        if not self._held.wait(10):
            raise AssertionError(f"could not take the write lock: {self.error!r}")
        return self

    def release(self) -> None:
        self._release.set()
        if self._thread is not None:
            self._thread.join(10)
        self._held.clear()

    @property
    def held(self) -> bool:
        return self._held.is_set()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None, timeout=10)
        try:
            connection.execute("BEGIN IMMEDIATE")
            self._held.set()
            self._release.wait(30)
            connection.execute("ROLLBACK")
        except BaseException as exc:  # reported by hold()
            self.error = exc
        finally:
            connection.close()


class ReleasingSleep:
    """The back-off of the code under test: records each pause; the lock goes at the ``release_at``-th pause."""

    def __init__(self, lock: WriteLock, release_at: int) -> None:
        self.lock, self.release_at, self.pauses = lock, release_at, list[float]()

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        if len(self.pauses) == self.release_at:
            self.lock.release()
