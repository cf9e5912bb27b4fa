"""What the team sees of the trust checks in the thread: premises, their verdicts, dropped smears."""

from tests.fakes.openai_server import full_drafts_json
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fixtures.discord import texts

PREMISES = ["Die Preise steigen wegen der Energiekosten.", "Tschentscher hatte stabile Preise versprochen.",
            "Es gibt 60 Millionen Euro Mehreinnahmen.", "Die Preise steigen um 9,5 Prozent."]
FULL = [(text, evidence, premise, "kosten") for (text, evidence), premise in zip(GOOD_DRAFTS, PREMISES, strict=True)]
SMEAR = ("Ist Tschentscher ein Lügner?", GOOD_DRAFTS[1][1], "Tschentscher lügt.", "andere")


async def test_the_set_shows_premises_verdicts_and_the_dropped_smear(world):
    world.llm.reply(full_drafts_json(*FULL[:3], SMEAR))
    world.llm.reply(full_drafts_json(SMEAR))  # the repair round brings the smear again: dropped
    world.llm.reply_verdicts(("ja", "belegt"), ("nein", "Ein Versprechen zu **Preisen** steht nicht darin."),
                             ("teilweise", "Die Zahl stammt vom Verkehrsverbund."))
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {NEWS}")
    message = "\n\n".join(texts(world, world.thread()))  # the set; a draft needing ✅ has its own message
    assert "Prämisse: Die Preise steigen wegen der Energiekosten." in message
    assert "⚠️ Prämisse nicht belegt: Ein Versprechen zu Preisen steht nicht darin." in message
    assert "⚠️ Prämisse nur teilweise belegt: Die Zahl stammt vom Verkehrsverbund." in message
    assert "🚫 1 Entwurf verworfen: Unterstellung: „Lügner“ steht so nicht in der Meldung" in message
    assert "Lügner?" not in message.split("🚫", 1)[0]  # the smear itself is never shown as a draft
    premise_check = world.llm.premise_requests[0]["payload"]
    assert premise_check["response_format"]["json_schema"]["name"] == "premise_check"


async def test_a_failed_premise_check_shows_the_drafts_marked_unchecked(world):
    world.llm.reply(full_drafts_json(*FULL[:2]))
    world.llm.premise_error(503)
    await world.carla.send(world.channel, f"{world.env.bot.user.mention} {NEWS}")
    message = "\n\n".join(texts(world, world.thread()))  # the set; a draft needing ✅ has its own message
    assert message.count("⚠️ Prämisse ungeprüft") == 2 and GOOD_DRAFTS[0][0] in message
