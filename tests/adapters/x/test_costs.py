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
