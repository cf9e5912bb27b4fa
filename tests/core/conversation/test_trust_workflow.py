"""Tone per case and dropped drafts in the thread: the workflow core with the SQL store and a scripted LLM."""

import pytest

from bot.core.drafting.tone import TONES
from bot.core.errors import InputError
from tests.core.conversation.test_workflow import CARLA, CHANNEL, GUILD, Rig
from tests.fakes.samples import GOOD_DRAFTS, NEWS


async def open_case(rig: Rig, tone: str | None):
    news = await rig.workflow.read_news(NEWS)
    case = await rig.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD,
                                        channel_id=CHANNEL, anchor_message_id=1, tone=tone)
    return case


async def test_the_tone_of_entwurf_is_stored_and_used_for_every_set(engine):
    rig = Rig(engine)
    rig.llm.drafts(*GOOD_DRAFTS).drafts(*GOOD_DRAFTS[:2])
    case = await open_case(rig, "Ironisch")
    assert (await rig.store.case(case.id)).tone == "ironisch"
    await rig.workflow.wish(case, "Anna", "kürzer")
    first, wish = rig.llm.calls
    assert "Ton: " + TONES["ironisch"] in first[1].content and "Ton: " + TONES["ironisch"] in wish[1].content


async def test_a_wish_naming_a_tone_changes_the_case_tone(engine):
    rig = Rig(engine)
    rig.llm.drafts(*GOOD_DRAFTS).drafts(*GOOD_DRAFTS[:2]).drafts(*GOOD_DRAFTS[2:])
    case = await open_case(rig, None)
    assert (await rig.store.case(case.id)).tone is None
    await rig.workflow.wish(case, "Anna", "Bitte sachlicher")
    await rig.workflow.wish(case, "Anna", "kürzer")
    assert (await rig.store.case(case.id)).tone == "sachlich"
    first, sober, shorter = rig.llm.calls
    assert "Ton: " + TONES["zugespitzt"] in first[1].content  # the default
    assert "Ton: " + TONES["sachlich"] in sober[1].content and "Ton: " + TONES["sachlich"] in shorter[1].content


async def test_an_unknown_tone_is_refused_in_german(engine):
    rig = Rig(engine)
    news = await rig.workflow.read_news(NEWS)
    with pytest.raises(InputError) as info:
        await rig.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD, channel_id=CHANNEL,
                                     anchor_message_id=1, tone="zynisch")
    assert info.value.user_message.startswith("Den Ton „zynisch“ gibt es nicht.")


async def test_the_set_message_says_which_drafts_were_dropped_and_why(engine):
    rig = Rig(engine)
    statement = ("Die Preise steigen, das ist so.", GOOD_DRAFTS[3][1])
    rig.llm.drafts(*GOOD_DRAFTS[:3], statement).drafts(statement)
    case = await open_case(rig, None)
    text = rig.chat.last(case.channel_id).text
    assert "🚫 1 Entwurf verworfen: Keine Frage" in text
    assert text.index("verworfen") < text.index("Freigeben: Zahl anklicken")
