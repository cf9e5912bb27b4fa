"""`spitzfeder patterns` (the table per pattern and tone, as /muster shows it) and `spitzfeder draft` learning."""

import asyncio
from datetime import timedelta

from bot.cli import main
from bot.core.clock import SystemClock
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fixtures.learning import Seed, seed_posts


async def test_patterns_prints_the_table(capsys, monkeypatch, engine, migrated_database_url):
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    await seed_posts(engine, SystemClock().now() - timedelta(days=2), [Seed(f"Frage {n}?", "kosten") for n in range(3)])
    code = await asyncio.to_thread(main, ["patterns"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("Was bei uns läuft – 3 Posts der letzten 90 Tage")
    assert "Nach Fragemuster\n• kosten: 3 Posts · 1,0× · 1,0 % · 0 ⭐ · bester 1,0× <https://x.com/" in out


def test_patterns_without_a_database_says_so_and_creates_none(capsys, monkeypatch, tmp_path):
    path = tmp_path / "nichts.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    assert main(["patterns"]) == 0
    assert capsys.readouterr().out.startswith(f"Noch keine Datenbank unter {path}")
    assert not path.exists()


async def test_draft_learns_from_past_posts_when_it_saves(capsys, monkeypatch, llm_env, engine, migrated_database_url):
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    await seed_posts(engine, SystemClock().now() - timedelta(days=2), [Seed(f"Frage {n}?") for n in range(5)])
    llm_env.reply_drafts(*GOOD_DRAFTS)
    llm_env.reply_drafts(*GOOD_DRAFTS)
    assert await asyncio.to_thread(main, ["draft", NEWS]) == 0
    assert "Was bei uns gut lief" in llm_env.prompt_of(0)
    assert await asyncio.to_thread(main, ["draft", NEWS, "--no-save"]) == 0  # no database: no block
    assert "Was bei uns gut lief" not in llm_env.prompt_of(1)
