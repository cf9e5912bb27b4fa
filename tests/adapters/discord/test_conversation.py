"""The thread as a conversation: wishes, hand edits, failures with 🔁, and all of it across restarts."""

from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.records import Pending
from bot.core.errors import PublishError
from bot.core.text.rendering import HELP_TEXT, NUMBERS
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fixtures.discord import audit, start_news, texts

SHORTER = [
    ("Wer zahlt die Energiekosten – nur die Fahrgäste?",
     "Der Senat begründet den Schritt mit gestiegenen Energiekosten."),
    ("Was ist Ihr Wort noch wert, Herr Tschentscher?",
     "Bürgermeister Peter Tschentscher noch versprochen, die Ticketpreise stabil zu halten"),
]
OWN_TEXT = "Warum zahlen Fahrgäste für Energiekosten, die der Senat selbst verantwortet?"


def last_prompt(world) -> str:
    return world.llm.requests[-1]["payload"]["messages"][-1]["content"]


async def test_a_wish_in_the_thread_refines_the_set_with_the_conversation_as_context(world):
    await start_news(world)
    old = world.draft_message()
    world.llm.reply_drafts(*SHORTER, *GOOD_DRAFTS[2:])
    await world.bert.send(world.thread(), "kürzer")  # no mention needed inside the thread
    assert "kürzer" in last_prompt(world) and GOOD_DRAFTS[0][0] in last_prompt(world)
    new = world.draft_message()
    assert new.id != old.id and SHORTER[0][0] in new.content
    assert "Status: **ersetzt durch neuere Entwürfe" in world.env.backend.get_message(world.thread().id, old.id).content
    # Votes on the replaced set do not count; votes on the new one do.
    await world.anna.react(old, "1️⃣")
    assert "nicht mehr abgestimmt" in texts(world, world.thread())[-1]
    await world.anna.react(new, "1️⃣")
    world.clock.advance(30)
    await world.tick()
    assert world.publisher.timeline[0][2] == SHORTER[0][0]


async def test_the_conversation_goes_on_after_a_restart(world):
    await start_news(world)
    world.llm.reply_drafts(*SHORTER, *GOOD_DRAFTS[2:])
    await world.bert.send(world.thread(), "kürzer")
    await world.restart()
    world.llm.reply_drafts(*GOOD_DRAFTS)
    await world.bert.send(world.thread(), "ohne Anglizismen")
    prompt = last_prompt(world)
    assert "kürzer" in prompt and "ohne Anglizismen" in prompt and SHORTER[0][0] in prompt


async def test_a_hand_edit_replaces_a_draft_and_can_be_approved(world):
    await start_news(world)
    await world.carla.send(world.thread(), f"2: {OWN_TEXT}")
    edit = world.bot_messages(world.thread())[-1]
    assert edit.content.startswith("✏️ Neue Fassung von Entwurf 2") and OWN_TEXT in edit.content
    assert "⚠️ Kein Beleg aus der Meldung" in edit.content  # checked like any draft
    assert [str(r.emoji) for r in edit.reactions] == [NUMBERS[1], "✅"]  # no evidence: the source needs a check
    await world.anna.react(world.draft_message(), "2️⃣")  # the old version no longer counts
    assert "von Hand ersetzt" in texts(world, world.thread())[-1]
    await world.anna.react(edit, "2️⃣")
    assert "braucht vor der Freigabe ein ✅" in texts(world, world.thread())[-1]
    await world.bert.react(edit, "✅")
    world.clock.advance(30)
    await world.tick()
    assert [text for _, _, text in world.publisher.timeline] == [OWN_TEXT]
    assert ("hand_edit", "carla") in await audit(world)


async def test_a_hand_edit_that_fails_the_checks_is_refused_with_the_reason(world):
    await start_news(world)
    await world.carla.send(world.thread(), "2: Das ist keine Frage.")
    assert "Der neue Text für Entwurf 2 geht so nicht: Keine Frage" in texts(world, world.thread())[-1]
    await world.carla.send(world.thread(), f"7: {OWN_TEXT}")
    assert texts(world, world.thread())[-1] == "Entwurf 7 gibt es nicht (Entwürfe 1–4)."


async def test_an_llm_failure_is_explained_and_retried_with_the_renew_reaction(world):
    world.llm.error(500, "boom")
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {NEWS}")
    error = world.bot_messages(world.thread())[-1]
    assert error.content.startswith("⚠️ ") and "🔁 versucht es erneut" in error.content
    assert "HTTP 500" in error.content
    assert [str(r.emoji) for r in error.reactions] == ["🔁"]
    world.llm.reply_drafts(*GOOD_DRAFTS)
    await world.carla.react(error, "🔁")
    assert GOOD_DRAFTS[0][0] in world.draft_message().content


async def test_renew_brings_new_drafts(world):
    await start_news(world)
    world.llm.reply_drafts(*SHORTER, *GOOD_DRAFTS[2:])
    await world.carla.react(world.draft_message(), "🔁")
    assert SHORTER[0][0] in world.draft_message().content
    assert "Ganz neue Fragen" in last_prompt(world)


async def test_nothing_changes_after_approval(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    await world.carla.send(world.thread(), "kürzer")
    assert "wird gepostet" in texts(world, world.thread())[-1]
    assert len(world.llm.requests) == 1


async def test_reactions_on_drafts_from_before_a_restart_count(world):
    await start_news(world)
    message = world.draft_message()
    await world.restart()
    await world.anna.react(message, "1️⃣")
    assert "wird in 30 s gepostet" in texts(world, world.thread())[-1]
    world.clock.advance(30)
    await world.tick()
    assert world.publisher.calls == 1


async def test_an_undo_window_running_at_a_restart_is_honoured(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    world.clock.advance(10)
    await world.restart()  # reconciles at start: nothing due yet
    assert world.publisher.calls == 0
    world.clock.advance(20)
    await world.tick()
    await world.tick()
    assert world.publisher.calls == 1
    assert texts(world, world.thread())[-1].startswith("✅ Entwurf 1 ist auf X gepostet")


async def test_a_cancel_after_a_restart_inside_the_undo_window_holds(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    announcement = world.bot_messages(world.thread())[-1]
    await world.restart()
    await world.bert.react(announcement, "❌")
    world.clock.advance(60)
    await world.tick()
    assert world.publisher.calls == 0


async def test_an_undo_window_that_ran_out_while_stopped_is_posted_once_at_start(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    world.clock.advance(600)
    await world.restart()
    await world.tick()
    assert world.publisher.calls == 1 and len(world.publisher.timeline) == 1


async def test_renew_after_a_failed_wish_opens_no_second_way_to_x_once_a_draft_is_approved(world):
    await start_news(world)
    world.llm.error(500, "boom")
    await world.bert.send(world.thread(), "kürzer")
    error = world.bot_messages(world.thread())[-1]
    assert error.content.startswith("⚠️ ") and [str(r.emoji) for r in error.reactions] == ["🔁"]
    await world.anna.react(world.draft_message(), "1️⃣")  # the set from before the failed wish still counts
    await world.carla.react(error, "🔁")
    assert texts(world, world.thread())[-1].startswith("Ein Entwurf ist freigegeben und wird gepostet")
    assert len(world.llm.requests) == 2  # no new drafts
    world.clock.advance(30)
    await world.tick()
    assert [text for _, _, text in world.publisher.timeline] == [GOOD_DRAFTS[0][0]]


async def test_a_failed_wish_is_retried_with_renew(world):
    await start_news(world)
    world.llm.error(500, "boom")
    await world.bert.send(world.thread(), "kürzer")
    error = world.bot_messages(world.thread())[-1]
    world.llm.reply_drafts(*SHORTER, *GOOD_DRAFTS[2:])
    await world.carla.react(error, "🔁")
    assert "kürzer" in last_prompt(world) and SHORTER[0][0] in world.draft_message().content


async def test_after_a_cancel_renew_brings_new_drafts_and_a_hand_edit_asks_for_them(world):
    await start_news(world)
    cancelled = world.draft_message()
    await world.anna.react(cancelled, "1️⃣")
    await world.anna.react(cancelled, "❌")
    await world.carla.send(world.thread(), f"1: {OWN_TEXT}")  # this set is closed: it could never be approved
    assert texts(world, world.thread())[-1].startswith("Entwurf 1 lässt sich hier nicht mehr ersetzen")
    world.llm.reply_drafts(*SHORTER, *GOOD_DRAFTS[2:])
    await world.carla.react(cancelled, "🔁")
    fresh = world.draft_message()
    assert fresh.id != cancelled.id and SHORTER[0][0] in fresh.content
    await world.carla.send(world.thread(), f"1: {OWN_TEXT} | Beleg: {GOOD_DRAFTS[0][1]}")
    await world.anna.react(world.bot_messages(world.thread())[-1], "1️⃣")  # with evidence: no ✅ needed
    world.clock.advance(30)
    await world.tick()
    assert [text for _, _, text in world.publisher.timeline] == [OWN_TEXT]


async def test_a_post_that_x_refuses_for_good_leaves_the_way_to_new_drafts(world):
    world.publisher.failures.append(PublishError("X verweigert den Post (403): Inhalt", retryable=False))
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    world.clock.advance(30)
    await world.tick()
    assert texts(world, world.thread())[-1] == ("⚠️ Entwurf 1 konnte nicht auf X gepostet werden: X verweigert den Post "
                                                "(403): Inhalt Neue Entwürfe zum Freigeben bringt ein Wunsch hier "
                                                "oder 🔁 an den Entwürfen.")
    assert "Status: **freigegeben (Entwurf 1) — Posten fehlgeschlagen**" in world.draft_message().content  # no 🔁
    world.llm.reply_drafts(*SHORTER, *GOOD_DRAFTS[2:])
    await world.bert.send(world.thread(), "kürzer")
    await world.anna.react(world.draft_message(), "2️⃣")
    world.clock.advance(30)
    await world.tick()
    assert [text for _, _, text in world.publisher.timeline] == [SHORTER[1][0]]


async def test_pictures_and_bare_mentions_in_a_thread_bring_no_new_drafts(world):
    await start_news(world)
    await world.bert.send(world.thread(), "", attachments=[("bild.png", b"\x89PNG")])
    await world.bert.send(world.thread(), world.env.bot.user.mention)
    assert len(world.llm.requests) == 1
    assert texts(world, world.thread())[-1] == HELP_TEXT


async def test_a_drafting_job_cut_short_by_a_restart_gets_its_renew(world):
    await start_news(world)
    case = await world.bot.workflow.case_in(world.thread().id)
    # What a stop in the middle of working on the wish "kürzer" leaves in the database.
    await SqlWorkflowStore(world.bot.engine).set_pending(case.id, Pending.REFINE, "kürzer")
    await world.restart()
    notice = world.bot_messages(world.thread())[-1]
    assert notice.content.startswith("⚠️ Ein Neustart des Bots hat die Arbeit an den Entwürfen unterbrochen.")
    assert [str(r.emoji) for r in notice.reactions] == ["🔁"]
    await world.restart()
    assert world.bot_messages(world.thread())[-1].id == notice.id  # said once, not at every start
    world.llm.reply_drafts(*SHORTER, *GOOD_DRAFTS[2:])
    await world.carla.react(notice, "🔁")
    assert "kürzer" in last_prompt(world) and SHORTER[0][0] in world.draft_message().content
    await world.restart()
    assert world.draft_message().id == world.bot_messages(world.thread())[-1].id


async def test_a_question_about_the_numbers_in_a_posted_thread_is_answered_from_them(world):
    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    world.clock.advance(30)
    await world.tick()
    requests_before = len(world.llm.requests)
    await world.carla.send(world.thread(), "Wie läuft die Frage bisher?")
    assert texts(world, world.thread())[-1].startswith("Noch keine Zahlen")
    assert len(world.llm.requests) == requests_before  # no new drafts
