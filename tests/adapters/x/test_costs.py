"""Every X request is priced from the one price table: owned reads, created posts with and without a URL;
failed requests cost nothing."""

import pytest

from bot.adapters.x.client import XError


async def test_costs_per_request_kind(make_client, fake_x, usage_store, clock):
    client = make_client()
    await client.me()  # our own account: an owned read
    await client.call("create_tweet", kind="write", text="Warum nur?")
    await client.call("create_tweet", kind="write", text="Quelle: https://example.com/artikel")
    fake_x.fail("POST /2/tweets", 503, "<html>down</html>")
    with pytest.raises(XError):
        await client.call("create_tweet", kind="write", text="Noch eine Frage?")
    usage = await usage_store.usage(clock.now())
    assert (usage.read_requests, usage.write_requests) == (1, 3)
    assert usage.cost_micro_usd == 1_000 + 15_000 + 200_000  # the failed create is free


@pytest.mark.parametrize("text, dollars", [
    ("Siehe example.com dazu?", 0.20),  # X links a bare .com, and bills it as a post with a URL
    ("Laut spiegel.de/politik steigt die Miete?", 0.20),
    ("Laut spiegel.de steigt die Miete?", 0.015),  # a bare country domain without a path: X makes no link
    ("Wer zahlt am Ende?", 0.015),
])
async def test_a_post_is_priced_by_the_links_x_itself_would_make(make_client, usage_store, clock, text, dollars):
    await make_client().call("create_tweet", kind="write", text=text)
    assert (await usage_store.usage(clock.now())).cost_micro_usd == round(dollars * 1_000_000)
