"""What a big library loads on first use stays out of the garbage collector's sight."""

from __future__ import annotations

import gc
import sys

import pytest

from bot.heap import import_frozen

HEAVY = "TABLE = [[n] for n in range(60_000)]  # many small objects the collector tracks, as a library's tables\n"


@pytest.fixture
def heavy_module(tmp_path, monkeypatch):
    gc.collect()  # the tests' own garbage is not frozen with the module
    (tmp_path / "spitzfeder_heavy_lib.py").write_text(HEAVY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "spitzfeder_heavy_lib"
    sys.modules.pop("spitzfeder_heavy_lib", None)


def test_the_import_sets_off_no_full_collection_and_its_objects_are_frozen(heavy_module):
    full_collections = gc.get_stats()[2]["collections"]
    frozen = gc.get_freeze_count()

    import_frozen(heavy_module)

    assert heavy_module in sys.modules
    assert gc.get_stats()[2]["collections"] == full_collections
    assert gc.get_freeze_count() >= frozen + 60_000
    assert gc.isenabled()


def test_a_loaded_module_is_not_loaded_again(heavy_module):
    import_frozen(heavy_module)
    table = sys.modules[heavy_module].TABLE

    import_frozen(heavy_module)

    assert sys.modules[heavy_module].TABLE is table


def test_a_module_that_fails_to_load_freezes_nothing_and_the_collector_runs_again(tmp_path, monkeypatch):
    (tmp_path / "spitzfeder_broken_lib.py").write_text("raise ImportError('broken')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    frozen = gc.get_freeze_count()

    with pytest.raises(ImportError):
        import_frozen("spitzfeder_broken_lib")

    assert gc.get_freeze_count() == frozen
    assert gc.isenabled()


def test_a_paused_collector_stays_paused(heavy_module):
    gc.disable()
    try:
        import_frozen(heavy_module)
        assert not gc.isenabled()
    finally:
        gc.enable()
