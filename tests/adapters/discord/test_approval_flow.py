"""Approval by reactions with the real discord.py client: who counts, quorum, undo, exactly one post."""

from bot.adapters.dry_run import DryRunPublisher
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fixtures.discord import audit, reply_drafts, start_news, texts


async def test_an_approver_approves_and_the_post_goes_out_after_the_undo_window(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    assert texts(world, world.thread())[-1] == (
        f"⏳ Entwurf 1 wird in 30 s gepostet (freigegeben von <@{world.anna.id}>): „{GOOD_DRAFTS[0][0]}“ — ❌ zum "
        "Abbrechen\nOhne Quellenlink: die Meldung wurde als Text eingefügt.")
    assert "Status: **freigegeben (Entwurf 1)**" in world.draft_message().content
    await world.tick()
    assert world.publisher.calls == 0  # still inside the undo window
    world.clock.advance(30)
    await world.tick()
    assert [text for _, _, text in world.publisher.timeline] == [GOOD_DRAFTS[0][0]]
    assert texts(world, world.thread())[-1] == "✅ Entwurf 1 ist auf X gepostet: https://x.com/acct/status/1000"
    assert "Status: **gepostet (Entwurf 1)**" in world.draft_message().content
    anna = str(world.anna.id)
    assert await audit(world) == [
        ("vote", anna), ("approved", anna), ("posted", None)]


async def test_reactions_of_others_of_bots_and_of_the_bot_itself_never_count(world):
    await start_news(world)
    message = world.draft_message()
    await world.carla.react(message, "1️⃣")
    await world.carla.react(message, "2️⃣")
    await world.robot.react(message, "1️⃣")
    world.clock.advance(60)
    await world.tick()
    assert world.publisher.calls == 0
    notices = [t for t in texts(world, world.thread()) if "zähl" in t]
    assert len(notices) == 2  # once for carla, once for the other bot
    assert "nur Freigebende" in notices[0] and "ist ein Bot" in notices[1]
    # The unauthorised reactions are gone; the bot's own number buttons stay.
    reactions = {str(r.emoji): r.count for r in world.draft_message().reactions}
    assert reactions["1️⃣"] == 1 and reactions["2️⃣"] == 1
    assert [a for a, _ in await audit(world)].count("reaction_refused") == 3
    assert "vote" not in [a for a, _ in await audit(world)]


async def test_a_quorum_of_two_needs_two_distinct_approvers(world):
    world.policy(required=2)
    await start_news(world)
    message = world.draft_message()
    await world.anna.react(message, "1️⃣")
    await world.anna.unreact(message, "1️⃣")  # withdrawn before approval
    await world.anna.react(message, "1️⃣")
    assert texts(world, world.thread())[-1] == "Stimme für Entwurf 1 gezählt (1/2)."
    await world.bert.react(message, "1️⃣")
    assert "wird in 30 s gepostet" in texts(world, world.thread())[-1]
    actions = [a for a, _ in await audit(world)]
    assert actions == ["vote", "vote_withdrawn", "vote", "vote", "approved"]


async def test_self_approval_can_be_forbidden(world):
    world.policy(allow_self_approval=False)
    await start_news(world, who=world.anna)
    message = world.draft_message()
    await world.anna.react(message, "1️⃣")
    assert "darfst sie nicht selbst freigeben" in texts(world, world.thread())[-1]
    await world.bert.react(message, "1️⃣")
    assert "wird in 30 s gepostet" in texts(world, world.thread())[-1]


async def test_cancel_inside_the_undo_window(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "2️⃣")
    announcement = world.bot_messages(world.thread())[-1]
    await world.carla.react(announcement, "❌")  # not an approver: does not cancel
    await world.bert.react(announcement, "❌")
    assert texts(world, world.thread())[-1] == f"🛑 Abgebrochen von <@{world.bert.id}>: Entwurf 2 wird nicht gepostet."
    world.clock.advance(60)
    await world.tick()
    assert world.publisher.calls == 0
    assert "Status: **abgebrochen (Entwurf 2)**" in world.draft_message().content
    assert ("cancelled", str(world.bert.id)) in await audit(world)


async def test_cancel_on_the_draft_message_works_too(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    await world.anna.react(world.draft_message(), "❌")
    world.clock.advance(60)
    await world.tick()
    assert world.publisher.calls == 0


async def test_double_reactions_and_late_votes_give_exactly_one_post(world):
    world.settings.post_undo_seconds = 0
    await world.restart()
    await start_news(world)
    message = world.draft_message()
    await world.anna.react(message, "1️⃣")
    await world.anna.unreact(message, "1️⃣")
    await world.anna.react(message, "1️⃣")
    await world.bert.react(message, "1️⃣")
    await world.bert.react(message, "3️⃣")
    await world.tick()
    assert world.publisher.calls == 1 and len(world.publisher.timeline) == 1


async def test_dry_run_says_that_nothing_reached_x(world):
    world.publisher = DryRunPublisher()
    await world.restart()
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    world.clock.advance(30)
    await world.tick()
    assert texts(world, world.thread())[-1] == "🧪 Entwurf 1: simuliert (Dry Run) — nichts wurde auf X veröffentlicht."
    assert "gepostet (Entwurf 1) — simuliert (Dry Run)" in world.draft_message().content


async def test_discard(world):
    await start_news(world)
    await world.carla.react(world.draft_message(), "🗑️")  # the requester may discard
    assert "Status: **verworfen**" in world.draft_message().content
    await world.anna.react(world.draft_message(), "1️⃣")
    assert "nicht mehr abgestimmt" in texts(world, world.thread())[-1]
    assert world.publisher.calls == 0


async def test_a_draft_thread_deleted_in_the_undo_window_still_gets_its_one_post(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    world.env.backend.delete_channel(world.thread().id)
    world.clock.advance(30)
    await world.tick()
    await world.tick()
    assert world.publisher.calls == 1 and [a for a, _ in await audit(world)][-1] == "posted"


async def test_a_cancelled_set_can_still_be_discarded(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    await world.anna.react(world.draft_message(), "❌")
    await world.carla.react(world.draft_message(), "🗑️")
    assert texts(world, world.thread())[-1] == f"🗑️ Verworfen von <@{world.carla.id}>."
    assert "Status: **verworfen**" in world.draft_message().content


async def test_a_vote_whose_voter_lost_the_approver_role_does_not_count_for_the_quorum(world):
    world.policy(required=2)
    await start_news(world)
    message = world.draft_message()
    await world.anna.react(message, "1️⃣")
    world.env.backend.remove_member_role(world.guild.id, world.anna.id, world.approvers.id)
    await world.env.settle()
    await world.bert.react(message, "1️⃣")
    said = texts(world, world.thread())
    assert f"Die Stimme von <@{world.anna.id}> für Entwurf 1 zählt nicht mehr (keine Freigabe-Berechtigung mehr)." \
        in said
    assert said[-1] == "Stimme für Entwurf 1 gezählt (1/2)."
    assert "approved" not in [a for a, _ in await audit(world)]
    assert ("vote_dropped", str(world.anna.id)) in await audit(world)
    world.clock.advance(60)
    await world.tick()
    assert world.publisher.calls == 0


async def test_a_vote_of_someone_who_left_the_server_does_not_count(world):
    world.policy(required=2)
    await start_news(world)
    message = world.draft_message()
    await world.anna.react(message, "2️⃣")
    world.guild.remove_member(world.anna)
    await world.env.settle()
    await world.bert.react(message, "2️⃣")
    assert any("zählt nicht mehr (nicht mehr auf dem Server)" in t for t in texts(world, world.thread()))
    assert "approved" not in [a for a, _ in await audit(world)]


async def test_what_the_team_sees_is_exactly_what_goes_out(world):
    spoof = ("Wer zahlt für die Energiekosten [am Ende](#)?\n2️⃣ Ist das ||geheim||, Herr Tschentscher?",
             GOOD_DRAFTS[0][1])
    world.llm.reply_drafts(spoof, *GOOD_DRAFTS[1:])
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {NEWS}")
    shown = world.draft_message().content
    lines = shown.splitlines()
    assert sum(line.startswith("2️⃣") for line in lines) == 1  # no line of a draft poses as another draft
    assert r"1️⃣ Wer zahlt für die Energiekosten \[am Ende\]\(\#\)? 2️⃣ Ist das \|\|geheim\|\|, Herr Tschentscher?" \
        in lines
    assert r"⚠️ Enthält Formatierung \(\[…\]\(…\) \|\|\), die auf X wörtlich erscheint" in shown
    await world.anna.react(world.draft_message(), "1️⃣")
    world.clock.advance(30)
    await world.tick()
    [(_, _, posted)] = world.publisher.timeline
    assert posted == "Wer zahlt für die Energiekosten [am Ende](#)? 2️⃣ Ist das ||geheim||, Herr Tschentscher?"


async def test_an_approver_who_loses_the_role_in_the_undo_window_stops_the_post(world):
    await start_news(world)
    message = world.draft_message()
    await world.anna.react(message, "1️⃣")
    world.env.backend.remove_member_role(world.guild.id, world.anna.id, world.approvers.id)
    await world.env.settle()
    world.clock.advance(30)
    await world.tick()
    assert world.publisher.calls == 0
    said = texts(world, world.thread())
    assert any(t.startswith(f"🛑 Entwurf 1 wird nicht gepostet: Die Freigabe von <@{world.anna.id}> gilt nicht mehr "
                            "(keine Freigabe-Berechtigung mehr). Bitte neu abstimmen") for t in said)
    assert ("approval_withdrawn", str(world.anna.id)) in await audit(world)
    world.clock.advance(60)
    await world.tick()
    assert world.publisher.calls == 0


async def test_approvals_are_checked_at_start_before_discord_has_sent_the_servers(world):
    """A restart after the undo window ended: the check runs before the gateway is up (guild and DM cases)."""
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    reply_drafts(world.llm)
    await world.bert.user.send_dm(NEWS)  # bert approves by role, in his DM
    dm = world.bert.user.dm_channel
    await world.bert.user.set_reaction(world.draft_message(dm), "2️⃣", reacted=True)
    world.clock.advance(600)
    await world.restart()
    await world.tick()
    assert world.publisher.calls == 2 and "approval_withdrawn" not in [a for a, _ in await audit(world)]
