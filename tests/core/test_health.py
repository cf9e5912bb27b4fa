"""Signs of life and the health check, on a real SQLite database and a fake clock."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import text

from bot.adapters.storage.health import SqlHeartbeats
from bot.core.health import CONNECTED, DISCONNECTED, GATEWAY, LIFE, STOPPED, Beat, Presence, ago, assess, check


async def test_the_heartbeat_is_written_at_most_once_a_minute(engine, clock):
    store = SqlHeartbeats(engine)
    presence = Presence(store, clock)
    assert await presence.next_due() == clock.now()  # at start: at once
    await presence.run_due()
    start = clock.now()
    assert await presence.next_due() == start + timedelta(minutes=1)
    clock.advance(61)
    await presence.run_due()
    assert (await store.read_all())[LIFE].at == start + timedelta(seconds=61)


async def test_a_fresh_heartbeat_and_a_connected_gateway_are_healthy(engine, clock):
    presence = Presence(SqlHeartbeats(engine), clock)
    await presence.gateway(CONNECTED)
    await presence.run_due()
    clock.advance(170)
    report = await check(SqlHeartbeats(engine), clock)
    assert report.ok, report.problems
    assert report.facts == {"heartbeat_age_seconds": 170, "gateway": "connected"}
    assert report.lines() == ["OK: Gateway verbunden, letztes Lebenszeichen vor 2 min"]


async def test_a_stale_heartbeat_is_named_with_its_age(engine, clock):
    presence = Presence(SqlHeartbeats(engine), clock)
    await presence.gateway(CONNECTED)
    await presence.run_due()
    clock.advance(7 * 60 + 5)
    report = await check(SqlHeartbeats(engine), clock)
    assert report.problems == ["Kein Lebenszeichen seit 7 min"]


async def test_a_disconnected_or_stopped_gateway_is_named_with_its_time(engine, clock):
    presence = Presence(SqlHeartbeats(engine), clock)
    await presence.run_due()
    await presence.gateway(DISCONNECTED)
    clock.advance(45)
    assert (await check(SqlHeartbeats(engine), clock)).problems == ["Gateway nicht verbunden seit 45 s"]
    await presence.gateway(STOPPED)
    clock.advance(90)
    assert (await check(SqlHeartbeats(engine), clock)).problems == [
        "Gateway nicht verbunden seit 1 min (Bot beendet)"]


async def test_a_database_the_bot_never_ran_on(engine, clock):
    report = await check(SqlHeartbeats(engine), clock)
    assert report.problems == ["Kein Lebenszeichen: der Bot lief mit dieser Datenbank noch nie"]


async def test_a_database_that_does_not_answer(engine, clock):
    async with engine.begin() as connection:
        await connection.execute(text("drop table heartbeats"))
    [problem] = (await check(SqlHeartbeats(engine), clock)).problems
    assert problem.startswith("Datenbank antwortet nicht: ") and "heartbeats" in problem


async def test_a_failing_heartbeat_write_is_logged_once_and_never_raises(engine, clock, caplog):
    async with engine.begin() as connection:
        await connection.execute(text("drop table heartbeats"))
    presence = Presence(SqlHeartbeats(engine), clock)
    with caplog.at_level(logging.WARNING):
        await presence.run_due()
        clock.advance(60)
        await presence.run_due()
        await presence.gateway(CONNECTED)
    assert [r.getMessage().split(":")[0] for r in caplog.records] == [
        "could not write the heartbeat", "could not record the gateway as connected"]
    assert await presence.next_due() == clock.now() + timedelta(minutes=1)  # tried again a minute later


def test_durations_read_after_seit_and_vor():
    assert [ago(s) for s in (0, 59, 60, 7 * 60 + 59, 119 * 60, 5 * 3600, 3 * 86400)] == [
        "0 s", "59 s", "1 min", "7 min", "119 min", "5 h", "3 Tagen"]


def test_a_recorded_connection_is_not_trusted_when_the_heartbeat_is_stale(clock):
    beats = {LIFE: Beat(LIFE, clock.now() - timedelta(minutes=10)),
             GATEWAY: Beat(GATEWAY, clock.now() - timedelta(hours=1), CONNECTED)}
    assert assess(beats, clock.now()).problems == ["Kein Lebenszeichen seit 10 min"]
