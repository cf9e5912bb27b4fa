"""/weitertraeger: a post's amplifiers in Discord (SimCord), from the stored amplifiers."""

from bot.adapters.storage.amplifiers import SqlAmplifierStore
from bot.core.reach.amplifiers import Amplifier, StoredAmplifier
from tests.fixtures.x import posted_post


async def test_weitertraeger_lists_notable_accounts_first_and_never_pings(world):
    post = await posted_post(world.bot.engine, world.clock, "1900", text="Warum kostet das so viel?")
    now = world.clock.now()
    await SqlAmplifierStore(world.bot.engine).add_amplifiers(post.id, [
        StoredAmplifier(Amplifier("1", "klein", "K", 80, None, "repost"), now, False, None, True),
        StoredAmplifier(Amplifier("2", "mdb", "M", 45_300, None, "quote", "77", "@everyone Stimmt!"), now, True,
                        "MdB", False)])
    newest = await world.carla.slash(world.channel, "weitertraeger")
    by_link = await world.carla.slash(world.channel, "weitertraeger", post="https://x.com/spitzfeder/status/1900")
    assert newest.response.content == by_link.response.content
    lines = newest.response.content.split("\n")
    assert lines[0].startswith(f"Weiterträger von Post {post.id} („Warum kostet das so viel?")
    assert lines[1:] == ["⭐ @mdb (MdB, 45.300 Follower) — Zitat: „@everyone Stimmt!“",
                         "• @klein (80 Follower) — Repost",
                         "Weitergetragen von 2 Konten (1 neu für uns), zusammen 45.380 Follower; darunter @mdb (MdB)"]
    sent = [r for r in world.env.http_requests if r.method == "POST" and isinstance(r.json, dict)
            and "@everyone" in r.json.get("content", "")]
    assert sent and all(r.json.get("allowed_mentions") == {"parse": []} for r in sent)


async def test_weitertraeger_explains_a_bad_reference_in_german(world):
    result = await world.carla.slash(world.channel, "weitertraeger", post="gestern")
    assert "weder eine Postnummer" in result.response.content
    none = await world.carla.slash(world.channel, "weitertraeger", post="99")
    assert none.response.content == "Kein Post zu „99“ gefunden."
