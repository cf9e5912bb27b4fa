"""Planned posts over the Discord wire: ⏰ on the drafts, the answer in the thread, /planen and /warteschlange."""

from datetime import UTC, datetime

from tests.fakes.samples import GOOD_DRAFTS
from tests.fixtures.discord import start_news, texts

OWN_TEXT = "Warum zahlen Fahrgäste für Energiekosten, die der Senat selbst verantwortet?"


async def test_an_approver_plans_with_the_clock_and_the_post_waits_for_its_time(world):
    await start_news(world)
    await world.carla.react(world.draft_message(), "⏰")  # not an approver: refused like a vote
    assert "nur Freigebende" in texts(world, world.thread())[-1]
    await world.anna.react(world.draft_message(), "⏰")
    assert texts(world, world.thread())[-1].startswith("⏰ Wann soll gepostet werden?")
    await world.bert.send(world.thread(), "morgen 8:00")
    assert texts(world, world.thread())[-1].startswith("⏰ Geplant für morgen, 08:00 Uhr (Do, 26.11.).")
    await world.anna.react(world.draft_message(), "1️⃣")
    assert "⏰ Entwurf 1 ist freigegeben" in texts(world, world.thread())[-1]
    assert "⏰ geplant für Do, 26.11., 08:00 Uhr" in world.draft_message().content
    queue = await world.anna.slash(world.thread(), "warteschlange")
    assert queue.response.content.startswith("⏰ Geplante Posts:\n• Do, 26.11., 08:00 Uhr — „")
    world.clock.advance(3600)
    await world.tick()
    assert world.publisher.calls == 0
    world.clock.current = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    await world.tick()
    assert world.publisher.calls == 1


async def test_planen_in_the_thread_and_an_empty_queue(world):
    await start_news(world)
    empty = await world.anna.slash(world.channel, "warteschlange")
    assert empty.response.content == "Nichts geplant."
    result = await world.bert.slash(world.thread(), "planen", entwurf=2, zeit="Mo 7:30")
    assert result.response.content.startswith("⏰ Geplant für Mo, 30.11., 07:30 Uhr")
    assert "⏰ geplant für Mo, 30.11., 07:30 Uhr" in world.draft_message().content


async def test_a_hand_edit_of_the_planned_draft_keeps_the_votes_for_the_other_drafts(world):
    world.policy(required=2)
    await start_news(world)
    await world.anna.react(world.draft_message(), "⏰")
    await world.bert.send(world.thread(), "morgen 8:00")
    await world.anna.react(world.draft_message(), "1️⃣")  # 1/2 for draft 1
    await world.anna.react(world.draft_message(), "2️⃣")
    await world.bert.react(world.draft_message(), "2️⃣")
    assert "⏰ Entwurf 2 ist freigegeben" in texts(world, world.thread())[-1]
    old = world.draft_message()
    await world.anna.send(world.thread(), f"2: {OWN_TEXT} | Beleg: „{GOOD_DRAFTS[0][1]}“")
    assert any("die Freigabe ist zurückgezogen" in text and "Stimmen für die anderen Entwürfe gelten weiter" in text
               for text in texts(world, world.thread()))
    new = world.draft_message()
    assert new.id != old.id and OWN_TEXT in new.content
    await world.bert.react(new, "2️⃣")  # the new text needs both votes again
    assert "Stimme für Entwurf 2 gezählt (1/2)" in texts(world, world.thread())[-1]
    await world.bert.react(new, "1️⃣")  # Anna's vote for draft 1 still counts: approved, at the planned time
    assert "⏰ Entwurf 1 ist freigegeben" in texts(world, world.thread())[-1]
    world.clock.current = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    await world.tick()
    assert [text for _, _, text in world.publisher.timeline] == [GOOD_DRAFTS[0][0]]
