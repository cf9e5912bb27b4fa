"""Long-lived objects out of the garbage collector's sight.

A full collection walks every object the collector tracks, and while it runs no other thread runs: the event loop
waits. What the process loads once (libraries, their tables and caches) lives as long as the process, so it is
frozen (``gc.freeze``) and never walked again. A library imported on first use (matplotlib, for a chart drawn once
a day) is loaded with the collector paused, so the import's many allocations set off no full collection, and its
objects are frozen at once.
"""

from __future__ import annotations

import gc
import importlib
import sys
import threading

_pausing = threading.Lock()


def freeze_loaded() -> None:
    """At the end of the start: everything loaded so far is frozen (after a collection, so no garbage is kept)."""
    gc.collect()
    gc.freeze()


def import_frozen(*modules: str) -> None:
    """The modules (a big library needed now and then) imported on first use with the collector paused; what is
    alive then is frozen. Without a collection first, the garbage of that moment is frozen too (about 2 000
    objects after matplotlib's import, with what other threads left meanwhile): kept for good, once."""
    if all(name in sys.modules for name in modules):
        return
    with _pausing:
        if all(name in sys.modules for name in modules):  # another thread loaded them meanwhile
            return
        enabled = gc.isenabled()
        gc.disable()
        try:
            for name in modules:
                importlib.import_module(name)
            gc.freeze()
        finally:
            if enabled:
                gc.enable()
