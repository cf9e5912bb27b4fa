"""The ✅ „Quelle geprüft“ gate with the real discord.py client: votes wait for an approver's source check."""

import pytest
from aiohttp import web

from bot.core.conversation.approval import SourceRule
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fakes.threaded_server import ThreadedServer
from tests.fixtures.discord import audit, start_news, texts

UNBACKED = [(GOOD_DRAFTS[0][0], "Ein Satz, der nicht in der Meldung steht."), *GOOD_DRAFTS[1:]]
OWN_TEXT = "Warum zahlen Fahrgäste für Energiekosten, die der Senat selbst verantwortet?"


async def start_unbacked(world) -> None:
    world.llm.reply_drafts(*UNBACKED)
    world.llm.reply_drafts(UNBACKED[0])  # the repair round finds no evidence either
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {NEWS}")


def reactions(message) -> list[str]:
    return [str(r.emoji) for r in message.reactions]


def posted(world) -> list[str]:
    return [text for _, _, text in world.publisher.timeline]


async def test_a_vote_before_the_check_waits_and_a_non_approver_cannot_check(world):
    await start_unbacked(world)
    message = world.draft_message()
    assert "✅" in reactions(message) and "⚠️ Kein Beleg aus der Meldung" in message.content
    assert "✅ Entwurf 1: vor der Freigabe bitte die Quelle prüfen" in message.content
    await world.anna.react(message, "1️⃣")
    assert texts(world, world.thread())[-1].startswith(
        "Stimme für Entwurf 1 gezählt (1/1). Entwurf 1 braucht vor der Freigabe ein ✅ „Quelle geprüft“ einer "
        "freigebenden Person — der Entwurf hat keinen Beleg aus der Meldung.")
    assert "Status: **offen**" in world.draft_message().content
    await world.carla.react(message, "✅")  # not an approver: removed, explained once
    await world.carla.react(message, "✅")
    assert [t for t in texts(world, world.thread()) if "nur Freigebende" in t] != []
    assert {str(r.emoji): r.count for r in world.draft_message().reactions}["✅"] == 1  # the bot's button only
    world.clock.advance(60)
    await world.tick()
    assert world.publisher.calls == 0
    await world.bert.react(message, "✅")
    assert texts(world, world.thread())[-2] == f"✅ Quelle geprüft von <@{world.bert.id}>: Entwurf 1."
    assert texts(world, world.thread())[-1].startswith("⏳ Entwurf 1 wird in 30 s gepostet")
    world.clock.advance(30)
    await world.tick()
    await world.tick()
    assert posted(world) == [UNBACKED[0][0]]
    anna, bert, carla = str(world.anna.id), str(world.bert.id), str(world.carla.id)
    assert await audit(world) == [("vote", anna), ("reaction_refused", carla), ("reaction_refused", carla),
                                  ("source_confirmed", bert), ("approved", anna), ("posted", None)]


async def test_check_first_then_the_vote_posts_once(world):
    world.settings.post_undo_seconds = 0
    await world.restart()
    await start_unbacked(world)
    message = world.draft_message()
    await world.anna.react(message, "✅")
    assert world.publisher.calls == 0
    await world.anna.react(message, "1️⃣")
    await world.bert.react(message, "1️⃣")
    await world.anna.react(message, "✅")
    await world.tick()
    await world.tick()
    assert posted(world) == [UNBACKED[0][0]]


async def test_removing_the_check_before_approval_withdraws_it(world):
    await start_unbacked(world)
    message = world.draft_message()
    await world.anna.react(message, "✅")
    await world.anna.unreact(message, "✅")
    await world.bert.react(message, "1️⃣")
    assert "braucht vor der Freigabe ein ✅" in texts(world, world.thread())[-1]
    assert ("source_unconfirmed", str(world.anna.id)) in await audit(world)


async def test_drafts_with_found_evidence_carry_no_check_button(world):
    await start_news(world)
    assert "✅" not in reactions(world.draft_message())


async def test_never_lets_the_vote_approve_at_once(world):
    world.policy(source_rule=SourceRule.NEVER)
    await start_unbacked(world)
    message = world.draft_message()
    assert "✅" not in reactions(message)
    await world.anna.react(message, "1️⃣")
    assert texts(world, world.thread())[-1].startswith("⏳ Entwurf 1 wird in 30 s gepostet")


async def test_always_needs_the_check_for_every_draft(world):
    world.policy(source_rule=SourceRule.ALWAYS)
    await start_news(world)
    message = next(m for m in world.bot_messages(world.thread()) if "2️⃣" in reactions(m))
    assert reactions(message) == ["2️⃣", "✅"]  # every draft alone in its message, with its ✅
    await world.anna.react(message, "2️⃣")
    assert "vor jeder Freigabe ist die Quelle zu prüfen" in texts(world, world.thread())[-1]
    await world.anna.react(message, "✅")
    assert texts(world, world.thread())[-1].startswith("⏳ Entwurf 2 wird in 30 s gepostet")


async def test_a_restart_between_vote_and_check_keeps_both(world):
    world.policy(required=2)
    await start_unbacked(world)
    message = world.draft_message()
    await world.anna.react(message, "1️⃣")
    await world.bert.react(message, "1️⃣")
    await world.restart()  # the start-up crawl finds the quorum, but no ✅: nothing is approved
    await world.tick()
    assert "Status: **offen**" in world.draft_message().content
    await world.anna.react(message, "✅")
    await world.restart()
    world.clock.advance(30)
    await world.tick()
    assert posted(world) == [UNBACKED[0][0]]


async def test_a_hand_edit_with_its_evidence_needs_no_check(world):
    await start_news(world)
    await world.carla.send(world.thread(), f"2: {OWN_TEXT} | Beleg: „{GOOD_DRAFTS[0][1]}“")
    edit = world.bot_messages(world.thread())[-1]
    assert "Beleg: „Der Senat begründet den Schritt mit gestiegenen Energiekosten.“" in edit.content
    assert "⚠️" not in edit.content and "✅" not in reactions(edit)
    await world.anna.react(edit, "2️⃣")
    world.clock.advance(30)
    await world.tick()
    assert posted(world) == [OWN_TEXT]


async def test_a_hand_edit_whose_evidence_is_not_in_the_news_needs_the_check(world):
    await start_news(world)
    await world.carla.send(world.thread(), f"2: {OWN_TEXT} | Beleg: Das steht nirgends.")
    edit = world.bot_messages(world.thread())[-1]
    assert "⚠️ Kein Beleg aus der Meldung" in edit.content and reactions(edit) == ["2️⃣", "✅"]
    await world.anna.react(edit, "2️⃣")
    assert "braucht vor der Freigabe ein ✅" in texts(world, world.thread())[-1]
    await world.bert.react(edit, "✅")
    assert texts(world, world.thread())[-1].startswith("⏳ Entwurf 2 wird in 30 s gepostet")


ARTICLE = f"""<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Nahverkehr wird teurer</title>
<meta property="og:site_name" content="Hamburger Abendblatt">
<meta property="article:published_time" content="2026-11-24T09:30:00+01:00"></head>
<body><article><h1>Nahverkehr wird teurer</h1>{"".join(f"<p>{s}.</p>" for s in NEWS.split(". "))}</article>
</body></html>"""


@pytest.fixture
def news_site():
    app = web.Application()

    async def article(_request):
        return web.Response(text=ARTICLE, content_type="text/html", charset="utf-8")

    app.router.add_get("/hamburg/nahverkehr.html", article)
    server = ThreadedServer(app).start()
    yield server
    server.stop()


async def test_a_linked_article_shows_its_source_and_the_post_gets_it_as_a_reply(world, news_site):
    world.settings.fetch_allow_private_hosts = True  # the news site runs on this machine
    url = f"{news_site.base_url}/hamburg/nahverkehr.html"
    world.llm.reply_drafts(*GOOD_DRAFTS)
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {url}")
    header = world.draft_message().content.splitlines()[:3]
    assert header == ["📰 **Nahverkehr wird teurer**", f"Quelle: Hamburger Abendblatt, 24.11.2026 · <{url}>",
                      "Status: **offen**"]
    await world.anna.react(world.draft_message(), "1️⃣")
    assert texts(world, world.thread())[-1].endswith(
        f"Als Antwort darunter: „Quelle: Hamburger Abendblatt, 24.11.2026 <{url}>“ (ein Post mit Link kostet bei X "
        "etwa 0,20 $ statt 0,015 $)")
    world.clock.advance(30)
    await world.tick()
    assert posted(world) == [GOOD_DRAFTS[0][0]]
    assert world.publisher.source_lines == [f"Quelle: Hamburger Abendblatt, 24.11.2026 {url}"]


async def test_without_source_as_reply_the_post_goes_out_alone_and_the_notice_says_so(world, news_site):
    world.settings.fetch_allow_private_hosts = True
    world.settings.source_as_reply = False
    await world.restart()
    url = f"{news_site.base_url}/hamburg/nahverkehr.html"
    world.llm.reply_drafts(*GOOD_DRAFTS)
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {url}")
    await world.anna.react(world.draft_message(), "1️⃣")
    assert texts(world, world.thread())[-1].endswith("Ohne Quellenantwort (SOURCE_AS_REPLY ist aus).")
    world.clock.advance(30)
    await world.tick()
    assert world.publisher.source_lines == [None]
