"""`/entwurf ton:` over the Discord wire: the tone reaches the prompt and stays with the case."""

from bot.core.drafting.tone import TONES
from tests.fakes.samples import GOOD_DRAFTS, NEWS


def prompt_of(world, index: int) -> str:
    return world.llm.requests[index]["payload"]["messages"][-1]["content"]


async def test_the_tone_option_reaches_every_prompt_of_the_case(world):
    world.llm.reply_drafts(*GOOD_DRAFTS[:2])
    result = await world.carla.slash(world.channel, "entwurf", text=NEWS, anzahl=2, ton="konstruktiv")
    assert result.acknowledged
    assert "Ton: " + TONES["konstruktiv"] in prompt_of(world, 0)
    world.llm.reply_drafts(*GOOD_DRAFTS[2:])
    await world.carla.send(world.thread(), "kürzer bitte")
    assert "Ton: " + TONES["konstruktiv"] in prompt_of(world, 1) and "kürzer bitte" in prompt_of(world, 1)


async def test_without_the_option_the_default_tone_is_used(world):
    world.llm.reply_drafts(*GOOD_DRAFTS[:2])
    await world.carla.slash(world.channel, "entwurf", text=NEWS, anzahl=2)
    assert "Ton: " + TONES["zugespitzt"] in prompt_of(world, 0)


async def test_the_command_offers_the_four_tones(world):
    [command] = [c for c in world.bot.client.tree.get_commands() if c.name == "entwurf"]
    [tone] = [p for p in command.parameters if p.name == "ton"]
    assert [choice.value for choice in tone.choices] == list(TONES) and not tone.required
