"""Learning what works in Discord (SimCord): /muster, the plain questions, and the block in the next draft request."""

from datetime import timedelta

from tests.fixtures.discord import start_news, texts
from tests.fixtures.learning import Seed, seed_posts


def seeds() -> list[Seed]:
    def reading(impressions: int) -> list[tuple[timedelta, int, int]]:
        return [(timedelta(hours=6), impressions, impressions // 50)]
    return [Seed("Wer zahlt die Zeche am Ende?", "kosten", "ironisch", readings=reading(3_000), notable=["mdb"]),
            Seed("Was kostet das die Mieter?", "kosten", None, readings=reading(2_000)),
            Seed("Wer trägt die Kosten, Herr Minister?", "kosten", None, readings=reading(1_000)),
            Seed("Warum gerade jetzt?", "zeitpunkt", None, readings=reading(5_000)),
            Seed("Was folgt daraus für Pendler?", "folgen", "sachlich", readings=reading(500)),
            Seed("Simuliert und nie auf X?", "folgen", simulated=True, readings=reading(90_000))]


async def test_muster_shows_the_table_per_pattern_and_tone(world):
    await seed_posts(world.bot.engine, world.clock.now() - timedelta(days=3), seeds())
    result = await world.carla.slash(world.channel, "muster")
    text = result.response.content
    assert len(text) <= 2_000
    lines = text.split("\n")
    assert lines[0].startswith("Was bei uns läuft – 5 Posts der letzten 90 Tage")
    link = "<https://x.com/spitzfeder/status/18640000000000000{:02d}>".format
    assert f"• kosten: 3 Posts · 2,0× · 2,0 % · 0 ⭐ · bester 3,0× {link(0)}" in lines
    assert "• zeitpunkt: 1 Post – zu wenig Daten" in lines and "• sachlich: 1 Post – zu wenig Daten" in lines
    # a case without a tone counts as TONE_DEFAULT
    assert f"• zugespitzt: 3 Posts · 2,0× · 2,0 % · 0 ⭐ · bester 5,0× {link(3)}" in lines
    assert "Simuliert" not in text and "90,0×" not in text


async def test_plain_questions_about_patterns_and_tones_get_the_same_table(world):
    await seed_posts(world.bot.engine, world.clock.now() - timedelta(days=3), seeds())
    table = (await world.carla.slash(world.channel, "muster")).response.content
    mention = world.env.bot.user.mention
    await world.carla.send(world.channel, f"{mention} Welche Art Frage läuft bei uns am besten?")
    await world.carla.send(world.channel, f"{mention} Welcher Ton kommt am besten an?")
    assert texts(world, world.channel)[-2:] == [table, table]


async def test_muster_without_posts_says_so(world):
    result = await world.carla.slash(world.channel, "muster")
    assert result.response.content.startswith("Noch keine Zahlen aus den letzten 90 Tagen")


async def test_the_next_draft_request_learns_from_the_best_posts(world):
    await seed_posts(world.bot.engine, world.clock.now() - timedelta(days=3), seeds())
    await start_news(world)
    prompt = world.llm.prompt_of(0)
    assert "Was bei uns gut lief (zwischen <verlauf_" in prompt
    block = prompt[prompt.index("Was bei uns gut lief"):]
    assert len(block) <= 1_500
    assert "Muster, die am besten liefen: kosten (2,0×)" in block
    assert block.index("1. [zeitpunkt, 5,0×] „Warum gerade jetzt?“") \
        < block.index("2. [kosten, 3,0×] „Wer zahlt die Zeche am Ende?“") \
        < block.index("3. [kosten, 2,0×] „Was kostet das die Mieter?“")
    assert "Simuliert" not in prompt and "Pendler" not in prompt  # never simulated, only the best three


async def test_too_little_history_means_no_block(world):
    await seed_posts(world.bot.engine, world.clock.now() - timedelta(days=3), seeds()[:4])
    await start_news(world)
    assert "Was bei uns gut lief" not in world.llm.prompt_of(0)
