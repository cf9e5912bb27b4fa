from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text as sql

from bot.adapters.storage.drafts import SqlDraftStore
from bot.adapters.storage.posts import SqlPostStore
from bot.adapters.storage.tracking import SqlTrackingStore
from bot.adapters.x.client import XClient
from bot.core.checks import check_draft
from bot.core.models import DraftSet, NewsItem
from bot.core.posting import PostState
from tests.conftest import GOOD_DRAFTS, NEWS
from tests.x.fake_x import API_KEY

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def tracking_store(engine, clock):
    return SqlTrackingStore(engine, clock)


@pytest.fixture
def make_client(fake_x, tracking_store):
    def make(api_key: str = API_KEY, *, usage=tracking_store) -> XClient:
        return XClient(api_key=api_key, api_secret="test-consumer-secret", access_token="test-access-token",
                       access_token_secret="test-access-secret", base_url=fake_x.base_url, tz=BERLIN, usage=usage)
    return make


@pytest.fixture
def x_env(monkeypatch, fake_x, tmp_path):
    """Environment for the CLI and doctor: X keys pointing at the fake server, a fresh database."""
    for name, value in {"X_API_KEY": API_KEY, "X_API_SECRET": "test-consumer-secret",
                        "X_ACCESS_TOKEN": "test-access-token", "X_ACCESS_TOKEN_SECRET": "test-access-secret",
                        "X_API_BASE_URL": fake_x.base_url,
                        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db' / 'cli.db'}"}.items():
        monkeypatch.setenv(name, value)
    return fake_x


async def new_draft_set(engine) -> int:
    news = NewsItem(NEWS)
    drafts = [check_draft(t, e, news) for t, e in GOOD_DRAFTS]
    return await SqlDraftStore(engine).save_draft_set(DraftSet(news, drafts), origin="test")


async def posted_post(engine, clock, x_post_id: str | None, *, followers: int | None = 500, simulated: bool = False,
                      text: str = GOOD_DRAFTS[0][0]):
    """A post that went out at the clock's current time (as PostingService leaves it)."""
    set_id = await new_draft_set(engine)
    async with engine.connect() as connection:
        draft_id = (await connection.execute(sql("select min(id) from drafts where set_id = :s"), {"s": set_id})).scalar()
    store = SqlPostStore(engine)
    now = clock.now()
    post = await store.create_scheduled(set_id=set_id, draft_id=draft_id, text=text, source_url=None,
                                        approved_by=["anna"], approved_at=now, due_at=now)
    return await store.transition(
        post.id, {PostState.SCHEDULED}, PostState.POSTED, posted_at=now, x_post_id=x_post_id, simulated=simulated,
        url=None if simulated else f"https://x.com/spitzfeder/status/{x_post_id}", followers_at_post=followers)
