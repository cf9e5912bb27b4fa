"""News items arrive by mention, DM and /entwurf; the bot answers in a thread (or in the DM) with drafts."""

import discord

from bot.core.errors import SpitzfederError
from bot.core.text.rendering import HELP_TEXT, NUMBERS
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fixtures.discord import reply_drafts, start_news, texts

NO_NUMBERS_THIS_WEEK = "Noch keine Zahlen in den letzten 7 Tagen: kein getrackter Post auf X."


async def test_mention_opens_a_thread_named_after_the_news_with_numbered_drafts(world):
    await start_news(world)
    thread = world.thread()
    assert thread.name == ("Die Stadt Hamburg erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich "
                           "9,5 Prozent.")
    message = world.draft_message()
    assert "Status: **offen**" in message.content
    for number, (text, _) in enumerate(GOOD_DRAFTS, 1):
        assert f"{NUMBERS[number - 1]} {text}" in message.content
    assert "81/280" in message.content and "Beleg: „Der Senat begründet" in message.content
    assert [str(r.emoji) for r in message.reactions] == [*NUMBERS[:4], "🔁", "🗑️"]
    typing = [r for r in world.env.http_requests if r.method == "POST" and r.path.endswith("/typing")]
    assert typing, "the user sees that the bot works"


async def test_news_in_a_dm_is_answered_in_place(world):
    dana = world.env.create_user("dana")
    world.bot.client.access.dm_user_ids = frozenset({dana.id})
    reply_drafts(world.llm)
    await dana.send_dm(NEWS)
    [reply] = texts(world, dana.dm_channel)
    assert reply.startswith("📰") and GOOD_DRAFTS[0][0] in reply


async def test_a_dm_from_someone_not_allowed_is_refused(world):
    stranger = world.env.create_user("stranger")
    await stranger.send_dm(NEWS)
    assert "nur von freigeschalteten Personen" in texts(world, stranger.dm_channel)[0]
    assert world.llm.requests == []


async def test_slash_command_defers_and_drafts_the_requested_number(world):
    world.llm.reply_drafts(*GOOD_DRAFTS[:2])
    result = await world.carla.slash(world.channel, "entwurf", text=NEWS, anzahl=2)
    assert result.acknowledged
    message = world.draft_message()
    assert [str(r.emoji) for r in message.reactions] == [*NUMBERS[:2], "🔁", "🗑️"]
    assert "— eingebracht von" in texts(world, world.channel)[0]
    assert "genau 2 neuen Fragen" not in world.llm.requests[0]["payload"]["messages"][1]["content"]  # draft, not refine


async def test_bad_input_gets_a_german_answer(world):
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} https://127.0.0.1:9/nichts")
    [answer] = texts(world, world.channel)
    assert answer.startswith("Die Adresse zeigt auf ein internes Netz")
    assert world.channel.threads == []


async def test_a_mention_without_news_gets_help_and_a_stats_question_an_answer(world):
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} hallo")
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} Welche Frage lief diese Woche am besten?")
    assert texts(world, world.channel) == [HELP_TEXT, NO_NUMBERS_THIS_WEEK]


async def test_report_commands_answer_through_reports(world):
    summary = await world.carla.slash(world.channel, "zusammenfassung")
    stats = await world.carla.slash(world.channel, "statistik", frage="Was lief am besten?")
    assert stats.response.content == NO_NUMBERS_THIS_WEEK
    assert summary.response.content.startswith("📊")


async def test_channels_outside_the_list_are_ignored_politely(world):
    world.bot.client.access.channel_ids = frozenset({1})
    await start_news(world)
    assert "In diesem Kanal arbeite ich nicht" in texts(world, world.channel)[0]


async def test_commands_are_synced_once_not_on_every_start(world):
    def syncs():
        return [r for r in world.env.http_requests if r.method == "PUT" and r.path.endswith("/commands")]

    assert len(syncs()) == 1
    await world.restart()
    assert len(syncs()) == 1


async def test_an_approver_by_role_may_send_news_by_dm_and_approve_there(world):
    reply_drafts(world.llm)
    await world.anna.user.send_dm(NEWS)  # anna is an approver by role only, not in DM_ALLOWED_USER_IDS
    dm = world.anna.user.dm_channel
    drafts = world.draft_message(dm)
    assert GOOD_DRAFTS[0][0] in drafts.content
    await world.anna.user.set_reaction(drafts, "1️⃣", reacted=True)
    assert texts(world, dm)[-1].startswith(f"⏳ Entwurf 1 wird in 30 s gepostet (freigegeben von <@{world.anna.id}>)")


async def test_a_failing_slash_command_answers_in_german_instead_of_thinking_forever(world):
    class BrokenReports:
        async def statistics(self, question=None):
            raise SpitzfederError("Die Zahlen sind gerade nicht lesbar.")

        async def summary(self):
            raise RuntimeError("database is locked")

    await world.restart(reports=BrokenReports())
    stats = await world.carla.slash(world.channel, "statistik", frage="Was lief am besten?")
    summary = await world.carla.slash(world.channel, "zusammenfassung")
    draft = await world.carla.slash(world.channel, "entwurf")
    assert stats.response.content == "Die Zahlen sind gerade nicht lesbar."
    assert summary.response.content.startswith("Da ist bei mir etwas schiefgegangen.")
    assert draft.response.content.startswith("Keine Meldung angegeben") and world.channel.threads == []


async def test_text_from_news_and_llm_never_pings_anyone(world):
    world.llm.reply_drafts(("Was sagt @everyone dazu, <@&123>, <@42> und @here?", GOOD_DRAFTS[0][1]), *GOOD_DRAFTS[1:])
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} @everyone @here <@&123> {NEWS}")
    reply_drafts(world.llm)
    await world.carla.slash(world.channel, "entwurf", text=f"@everyone {NEWS}")
    posted = [r for r in world.env.http_requests if r.method == "POST" and isinstance(r.json, dict)
              and "content" in r.json]
    assert any("@everyone" in r.json["content"] for r in posted)
    assert posted and all(r.json.get("allowed_mentions") == {"parse": []} for r in posted)


async def test_a_set_too_long_for_one_message_is_split_between_drafts_and_each_part_can_be_voted_on(world):
    topics = [("Fahrgäste", "Energiekosten"), ("Bürgermeister", "Wahlversprechen"), ("Steuerzahler", "Mehreinnahmen"),
              ("Pendler", "Verkehrswende"), ("Familien", "Deutschlandticket"), ("Rentner", "Preiserhöhung"),
              ("Schüler", "Senatsbeschlüsse")]
    drafts = [(f"Warum sollen ausgerechnet die {who} für {what} zahlen, wenn der Senat selbst seit Jahren über "
               f"{what} redet, aber nie sagt, wer am Ende wirklich für {who} und {what} in dieser Stadt einstehen "
               "muss – und wann kommt die Rechnung?", NEWS[:400]) for who, what in topics]
    world.llm.reply_drafts(*drafts)
    await world.carla.slash(world.channel, "entwurf", text=NEWS, anzahl=len(drafts))
    first, second = world.bot_messages(world.thread())
    assert len(first.content) <= 2000 and len(second.content) <= 2000
    numbered = [[str(r.emoji) for r in message.reactions if str(r.emoji) in NUMBERS] for message in (first, second)]
    assert numbered[0] + numbered[1] == NUMBERS[:len(drafts)] and numbered[1]
    for message, numbers in zip((first, second), numbered, strict=True):
        for number in numbers:
            assert f"{number} {drafts[NUMBERS.index(number)][0]}" in message.content  # whole, never cut
    assert [str(r.emoji) for r in second.reactions][-2:] == ["🔁", "🗑️"]
    await world.anna.react(second, numbered[1][0])
    assert texts(world, world.thread())[-1].startswith(f"⏳ Entwurf {NUMBERS.index(numbered[1][0]) + 1} wird in 30 s")


async def test_without_the_right_to_open_threads_the_bot_says_which_right_is_missing(world):
    closed = world.guild.create_text_channel(
        "ohne-threads", overwrites={world.guild.default_role: discord.PermissionOverwrite(create_public_threads=False)})
    reply_drafts(world.llm)
    await world.carla.send(closed, f"{world.env.bot.user.mention} {NEWS}")
    assert texts(world, closed) == ["Ich kann hier keinen Thread öffnen. Der Bot braucht das Recht „Öffentliche "
                                    "Threads erstellen“ in diesem Kanal."]
    assert closed.threads == [] and world.llm.requests == []
    result = await world.carla.slash(closed, "entwurf", text=NEWS)
    assert result.response.content.startswith("Ich kann hier keinen Thread öffnen.")
    assert closed.threads == [] and world.llm.requests == []
