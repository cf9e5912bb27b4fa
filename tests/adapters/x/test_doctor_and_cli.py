"""The wiring end to end (approve → post → snapshots → follow-ups → summary), `spitzfeder summary` and doctor."""

import asyncio
from datetime import UTC, datetime

import pytest

from bot.adapters.chart import MatplotlibChart
from bot.adapters.storage.database import create_engine, migrate, sqlite_file
from bot.adapters.storage.posts import SqlAuditLog, SqlPostStore
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.adapters.x.doctor import check_x_account, check_x_write
from bot.cli import main
from bot.core.clock import SystemClock
from bot.core.notices import Announcement, PostPublished
from bot.core.posting.service import PostingService
from bot.core.reach.metrics import Metrics
from bot.core.reach.summary import ChartBar
from bot.core.timespec import Step
from bot.doctor import run_checks
from bot.settings import Settings
from bot.wiring import build_reach
from tests.fakes.publisher import RecordingNotifier
from tests.fakes.samples import GOOD_DRAFTS
from tests.fixtures.x import new_draft_set, posted_post

TEXT = GOOD_DRAFTS[0][0]
X_CHECKS = [("X", check_x_account), ("X-Schreibrecht", check_x_write)]


async def test_approve_post_track_follow_up_and_summarise(x_env, engine, clock, monkeypatch):
    monkeypatch.setenv("METRICS_SCHEDULE", "1h,6h")
    monkeypatch.setenv("SUMMARY_TIME", "18:00")
    notifier = RecordingNotifier()
    reach = build_reach(Settings(), engine, notifier, clock)
    assert not reach.simulated and reach.tracking is not None
    assert await reach.summary.run_due() is None  # first start: summaries begin with the next slot
    posting = PostingService(SqlPostStore(engine), reach.publishers, SqlAuditLog(engine, clock), notifier, clock)
    set_id = await new_draft_set(engine)
    await posting.approve(set_id=set_id, draft_id=1, text=TEXT, source_url=None, approved_by=["anna"], undo_seconds=0)
    assert await posting.next_due() == clock.now()
    await posting.run_due()  # the scheduler's posting lane
    [published] = [e for e in notifier.events if isinstance(e, PostPublished)]
    [on_x] = x_env.posts.values()
    assert published.post.url == f"https://x.com/spitzfeder/status/{on_x.id}"

    clock.advance(3600)
    on_x.metrics.update(retweet_count=12, like_count=30, reply_count=4, quote_count=2, impression_count=1204)
    await reach.tracking.run_due()
    clock.advance(5 * 3600)
    on_x.metrics.update(impression_count=2500)
    await reach.tracking.run_due()
    follow_ups = [e.text for e in notifier.events if isinstance(e, Announcement) and e.set_id == set_id]
    assert follow_ups == [
        "X nach 1 h: 12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 1.204 Impressionen — Multiplikator 2,4×, "
        "Repost-Anteil 1,2 %",
        "X nach 6 h: 12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 2.500 Impressionen — Multiplikator 5,0×, "
        "Repost-Anteil 0,6 %",
    ]
    clock.current = datetime(2026, 11, 25, 17, tzinfo=UTC)
    summary = await reach.summary.run_due()
    assert summary.set_id is None and "2.500 Impressionen" in summary.text
    assert summary.text.endswith("X diesen Monat: 6 Anfragen (1 zum Posten), 3 gelesene Einträge von 10.000, "
                                 "geschätzt 0,02 $")
    assert summary.attachment[0] == "zusammenfassung.png" and summary.attachment[1].startswith(b"\x89PNG")
    assert await reach.summary.run_due() is None
    assert "Am besten lief" in await reach.reports.statistics("Welche Frage lief diese Woche am besten?")
    usage = await reach.usage.usage(clock.now())
    assert usage.write_requests == 1 and usage.read_requests == x_env.count("GET", "/2/") == 5
    assert x_env.count_amplifier_requests() == 2  # at 6 h: who reposted, who quoted (reposts and quotes grew)


async def test_dry_run_builds_no_tracking(engine, clock, monkeypatch):
    monkeypatch.setenv("DRY_RUN", "true")
    reach = build_reach(Settings(), engine, RecordingNotifier(), clock)
    assert reach.simulated and reach.tracking is None


def test_chart_is_a_png():
    png = MatplotlibChart().render_sync([ChartBar(1, "„Frage?“", 1500, 6.0)], "Test")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_cli_prints_and_writes_the_chart(capsys, x_env, tmp_path):
    async def seed():
        engine = create_engine(Settings().database_url)
        await migrate(engine)
        clock = SystemClock()
        post = await posted_post(engine, clock, "777", followers=250)
        store = SqlTrackingStore(engine)
        await store.add_snapshots(post.id, [(Step("1h", 3600), clock.now())])
        [due] = await store.due_snapshots(clock.now())
        await store.record_snapshot(due.id, Metrics(3, 7, 2, 1, 0, 1500), taken_at=clock.now())
        await engine.dispose()

    asyncio.run(seed())
    chart = tmp_path / "chart.png"
    code, out, err = run(capsys, "summary", "--chart", str(chart))
    assert code == 0, err
    assert "3 Reposts, 7 Likes, 2 Antworten, 1 Zitat, 1.500 Impressionen" in out and "Multiplikator 6,0×" in out
    assert chart.read_bytes().startswith(b"\x89PNG") and f"Diagramm: {chart}" in out
    code, out, err = run(capsys, "summary", "--chart", str(tmp_path / "missing" / "dir" / "chart.png"))
    assert code == 1 and "Das Diagramm kann nicht nach" in err and "Pfad und Rechte prüfen" in err


def test_summary_cli_with_an_empty_database(capsys, x_env):
    async def create():
        engine = create_engine(Settings().database_url)
        await migrate(engine)
        await engine.dispose()

    asyncio.run(create())
    code, out, _ = run(capsys, "summary", "--chart", "c.png")
    assert code == 0 and "Keine Posts in den letzten 7 Tagen." in out and "Kein Diagramm" in out


@pytest.mark.sqlite_only
def test_summary_cli_creates_no_database(capsys, x_env, tmp_path, database_url):
    code, out, err = run(capsys, "summary", "--chart", "c.png")
    assert code == 0, err
    assert out.startswith(f"Noch keine Datenbank unter {sqlite_file(database_url)}")
    assert not (tmp_path / "db").exists() and not (tmp_path / "c.png").exists()


@pytest.mark.parametrize("name, value", [("SUMMARY_TIME", "25:00"), ("TIMEZONE", "Mars/Olympus"),
                                         ("METRICS_SCHEDULE", "1h,6x"), ("WEEKLY_SUMMARY_DAY", "Mondtag")])
def test_bad_schedule_settings_are_named(capsys, name, value, monkeypatch):
    monkeypatch.setenv(name, value)
    code, _, err = run(capsys, "summary")
    assert code == 2 and name in err


async def test_doctor_reports_account_followers_and_write_access(x_env):
    x_env.followers = 12345
    results = await run_checks(Settings(), X_CHECKS)
    assert [(r.part, r.ok, r.message) for r in results] == [
        ("X", True, "Konto @spitzfeder, 12.345 Follower"),
        ("X-Schreibrecht", True, "die App darf posten (read-write)"),
    ]


async def test_doctor_finds_read_only_tokens_and_wrong_keys(x_env, monkeypatch):
    x_env.access_level = "read"
    [account, write] = await run_checks(Settings(), X_CHECKS)
    assert account.ok and not write.ok and "Read and write" in write.message
    monkeypatch.setenv("X_API_KEY", "wrong-key")
    [account, write] = await run_checks(Settings(), X_CHECKS)
    assert not account.ok and "401" in account.message and "wrong-key" not in account.message
    assert "🔁" not in account.message and "Entwurf" not in account.message  # what to fix, not what 🔁 does


async def test_doctor_without_keys_and_with_partial_keys(monkeypatch):
    [account, write] = await run_checks(Settings(), X_CHECKS)
    assert account.ok and "Testbetrieb" in account.message and write.ok and write.skipped
    monkeypatch.setenv("X_API_KEY", "only-this-one")
    [account, _] = await run_checks(Settings(), X_CHECKS)
    assert not account.ok and "X_API_SECRET" in account.message and "X_API_KEY," not in account.message


def test_summary_cli_with_the_week(capsys, x_env):
    async def seed():
        engine = create_engine(Settings().database_url)
        await migrate(engine)
        await engine.dispose()

    asyncio.run(seed())
    code, out, err = run(capsys, "summary", "--week")
    assert code == 0, err
    assert "📅 Die Woche (" in out and "Fragen: 0 (davor 0)" in out


async def test_doctor_checks_each_account_of_the_accounts_file(x_env, monkeypatch, tmp_path):
    path = tmp_path / "accounts.toml"
    keys = ('x_api_secret_env = "X_API_SECRET"\nx_access_token_env = "X_ACCESS_TOKEN"\n'
            'x_access_token_secret_env = "X_ACCESS_TOKEN_SECRET"\n')
    path.write_text(f'[accounts.gut]\napprover_role_ids = [1]\ndiscord_channel_ids = [11]\n'
                    f'x_api_key_env = "X_API_KEY"\n{keys}\n[accounts.falsch]\napprover_role_ids = [2]\n'
                    f'discord_channel_ids = [12]\nx_api_key_env = "FALSCHER_KEY"\n{keys}', encoding="utf-8")
    monkeypatch.setenv("ACCOUNTS_FILE", str(path))
    monkeypatch.setenv("FALSCHER_KEY", "wrong-key")
    results = {r.part: r for r in await run_checks(Settings())}
    assert results["Konten"].ok and "2 Konten (gut, falsch)" in results["Konten"].message
    assert results["X (gut)"].message == "Konto @spitzfeder, 500 Follower"
    assert not results["X (falsch)"].ok and "wrong-key" not in results["X (falsch)"].message
    path.write_text("[accounts.gut]\nfarbe = 1\n", encoding="utf-8")
    results = {r.part: r for r in await run_checks(Settings())}
    assert not results["Konten"].ok and "Konto „gut“, farbe: unbekannter Schlüssel" in results["Konten"].message
    assert "X (gut)" not in results
