"""The whole way with the real clients: news in Discord → approval → post on (fake) X → snapshots → follow-ups
in the thread → the daily summary in the summary channel."""

from datetime import timedelta

import pytest

from bot.settings import Settings
from tests.fakes.samples import GOOD_DRAFTS
from tests.fakes.x_server import API_KEY
from tests.fixtures.discord import start_news, texts


@pytest.fixture
def settings(database_url, fake_openai, fake_x) -> Settings:
    return Settings(
        openai_api_key="sk-test-key-123456", openai_base_url=fake_openai.base_url, openai_model="test-model",
        llm_max_attempts=1, database_url=database_url, post_undo_seconds=30,
        x_api_key=API_KEY, x_api_secret="test-consumer-secret", x_access_token="test-access-token",
        x_access_token_secret="test-access-secret", x_api_base_url=fake_x.base_url,
        metrics_schedule="1h,6h", summary_time="18:00", timezone="Europe/Berlin",
    )


async def test_news_to_post_to_follow_ups_to_daily_summary(world, fake_x):
    summary_channel = world.guild.create_text_channel("auswertung")
    world.settings = world.settings.model_copy(update={"summary_channel_id": summary_channel.id})
    world.publisher = None  # the real X publisher, built from the settings
    await world.restart()

    await start_news(world)
    await world.anna.react(world.draft_message(), "1️⃣")
    world.clock.advance(30)
    await world.tick()
    [post] = fake_x.posts.values()
    assert post.text == GOOD_DRAFTS[0][0]
    assert texts(world, world.thread())[-1] == f"✅ Entwurf 1 ist auf X gepostet: https://x.com/spitzfeder/status/{post.id}"

    post.metrics.update(retweet_count=12, like_count=30, reply_count=4, quote_count=2, impression_count=1204)
    world.clock.advance(3600)
    await world.tick()
    assert texts(world, world.thread())[-1].startswith(
        "X nach 1 h: 12 Reposts, 30 Likes, 4 Antworten, 2 Zitate, 1.204 Impressionen — Multiplikator 2,4×")

    # 09:00 UTC is 10:00 in Berlin: the summary is due at 18:00 local time, and goes out once.
    world.clock.current = world.clock.current.replace(hour=17, minute=0) + timedelta(seconds=1)
    await world.tick()
    await world.tick()
    [summary] = world.bot_messages(summary_channel)
    assert summary.content.startswith("📊") and "1.204" in summary.content
    assert [a.filename for a in summary.attachments] == ["zusammenfassung.png"]
    world.env.raise_errors()
