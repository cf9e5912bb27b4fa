"""Two client accounts in one bot, each with its own X account on the fake X (told apart by their keys): news in
an account's channel posts on that account only, approvers count for their own account only, and numbers,
summaries and reports never mix."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest
import simcord
from sqlalchemy import text as sql

from bot.adapters.storage.usage import SqlUsageStore
from bot.settings import Settings
from bot.wiring import DiscordBot, discord_bot, monthly_report
from tests.fakes.clock import FakeClock
from tests.fakes.openai_server import FakeOpenAI
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fakes.x_server import ACCESS_TOKEN, API_KEY, FakeX, XAccount, public_metrics


@dataclass
class Two:
    env: simcord.Env
    guild: simcord.GuildHandle
    bot: DiscordBot
    clock: FakeClock
    llm: FakeOpenAI
    x: FakeX
    kunde_x: XAccount
    agentur: simcord.ChannelHandle
    kunde: simcord.ChannelHandle
    anna: simcord.MemberActor  # approves for the agency
    bert: simcord.MemberActor  # approves for the client
    dora: simcord.MemberActor  # approves for both
    dora_user: simcord.UserHandle  # dora in her direct messages
    anna_user: simcord.UserHandle

    def mine(self, channel: simcord.ChannelHandle) -> list[str]:
        return [m.content for m in channel.history() if m.author.id == self.env.bot.user.id]

    def drafts(self, channel: simcord.ChannelHandle):
        [thread] = channel.threads
        return next(m for m in reversed(thread.history()) if m.content.startswith("📰")), thread

    async def news(self, who: simcord.MemberActor, channel: simcord.ChannelHandle) -> None:
        self.llm.reply_drafts(*GOOD_DRAFTS)
        await who.send(channel, f"{self.env.bot.user.mention} {NEWS}")

    async def post_due(self) -> None:
        self.clock.advance(30)  # the undo window
        await self.bot.scheduler.run_once()


def accounts_toml(agentur: int, kunde: int, agentur_role: int, kunde_role: int) -> str:
    def x_keys(prefix: str) -> str:
        return "".join(f'{key}_env = "{prefix}_{key.upper()}"\n'
                       for key in ("x_api_key", "x_api_secret", "x_access_token", "x_access_token_secret"))

    return (f'[accounts.agentur]\ndisplay_name = "Agentur Nordlicht"\ndiscord_channel_ids = [{agentur}]\n'
            f'approver_role_ids = [{agentur_role}]\n{x_keys("AGENTUR")}\n'
            f'[accounts.kunde-b]\ndisplay_name = "Verkehrsclub"\ndiscord_channel_ids = [{kunde}]\n'
            f'approver_role_ids = [{kunde_role}]\nstyle_path = "stil-verkehrsclub.txt"\n{x_keys("KUNDE")}')


@pytest.fixture
async def two(tmp_path, monkeypatch, fake_x, fake_openai, database_url, clock):
    kunde_x = fake_x.add_account("token-kunde", user_id="777", username="verkehrsclub", followers=800)
    for prefix, token in (("AGENTUR", ACCESS_TOKEN), ("KUNDE", "token-kunde")):
        monkeypatch.setenv(f"{prefix}_X_API_KEY", API_KEY)
        monkeypatch.setenv(f"{prefix}_X_API_SECRET", "test-consumer-secret")
        monkeypatch.setenv(f"{prefix}_X_ACCESS_TOKEN", token)
        monkeypatch.setenv(f"{prefix}_X_ACCESS_TOKEN_SECRET", "test-access-secret")
    base = Settings(_env_file=None, openai_api_key="sk-test-key-123456", openai_base_url=fake_openai.base_url,
                    openai_model="test-model", llm_max_attempts=1, database_url=database_url,
                    post_undo_seconds=30, x_api_base_url=fake_x.base_url, premise_check=False)
    async with AsyncExitStack() as stack:
        # Discord's ids exist once the server does: a first bot brings it up, the accounts' bot takes over.
        first = await stack.enter_async_context(discord_bot(base, clock=clock, scheduler_runs=False))
        env = simcord.Env(first.client)
        await env.start()
        stack.push_async_callback(env.shutdown)
        guild = env.create_guild("Agentur")
        agentur, kunde = guild.create_text_channel("agentur"), guild.create_text_channel("verkehrsclub")
        agentur_role, kunde_role = guild.create_role("Freigabe Agentur"), guild.create_role("Freigabe Kunde")
        anna_user = env.create_user("anna")
        anna = guild.add_member(anna_user, roles=[agentur_role])
        bert = guild.add_member(env.create_user("bert"), roles=[kunde_role])
        dora_user = env.create_user("dora")
        dora = guild.add_member(dora_user, roles=[agentur_role, kunde_role])
        (tmp_path / "stil-verkehrsclub.txt").write_text("# house style\nWir siezen immer.\n", encoding="utf-8")
        path = tmp_path / "accounts.toml"
        path.write_text(accounts_toml(agentur.id, kunde.id, agentur_role.id, kunde_role.id), encoding="utf-8")
        bot = await stack.enter_async_context(discord_bot(base.model_copy(update={"accounts_file": path}),
                                                          clock=clock, scheduler_runs=False))
        await env.restart_bot(bot.client)
        await env.settle()
        yield Two(env, guild, bot, clock, fake_openai, fake_x, kunde_x, agentur, kunde, anna, bert, dora, dora_user,
                  anna_user)
    env.raise_errors()


async def test_news_in_an_account_s_channel_posts_on_that_account_only(two):
    await two.news(two.anna, two.agentur)
    message, thread = two.drafts(two.agentur)
    await two.bert.react(message, "1️⃣")  # the client's approver has no say over the agency's drafts
    await two.post_due()
    assert "Status: **offen**" in two.drafts(two.agentur)[0].content
    await two.anna.react(message, "1️⃣")
    await two.post_due()
    assert [post.text for post in two.x.posts_of("spitzfeder")] == [GOOD_DRAFTS[0][0]]
    assert two.x.posts_of("verkehrsclub") == []
    assert two.mine(thread)[-1].startswith("✅ Entwurf 1 ist auf X gepostet: https://x.com/spitzfeder/status/")

    await two.news(two.bert, two.kunde)
    message, thread = two.drafts(two.kunde)
    await two.anna.react(message, "2️⃣")  # the agency's approver has no say over the client's drafts
    await two.bert.react(message, "2️⃣")
    await two.post_due()
    assert [post.text for post in two.x.posts_of("verkehrsclub")] == [GOOD_DRAFTS[1][0]]
    assert len(two.x.posts_of("spitzfeder")) == 1
    assert two.mine(thread)[-1].startswith("✅ Entwurf 2 ist auf X gepostet: https://x.com/verkehrsclub/status/")


async def test_numbers_summaries_and_reports_stay_with_their_account(two):
    await two.news(two.anna, two.agentur)
    await two.anna.react(two.drafts(two.agentur)[0], "1️⃣")
    await two.news(two.bert, two.kunde)
    await two.bert.react(two.drafts(two.kunde)[0], "3️⃣")
    await two.post_due()
    [ours] = two.x.posts_of("spitzfeder")
    [theirs] = two.x.posts_of("verkehrsclub")
    ours.metrics = public_metrics(retweets=4, likes=10, impressions=2_000)
    theirs.metrics = public_metrics(retweets=9, likes=30, impressions=7_000)
    two.clock.advance(3600)
    await two.bot.scheduler.run_once()  # the first snapshots, each account reading its own post

    agentur = await two.anna.slash(two.agentur, "zusammenfassung")
    kunde = await two.bert.slash(two.kunde, "zusammenfassung")
    assert "2.000" in agentur.response.content and "7.000" not in agentur.response.content
    assert "7.000" in kunde.response.content and "2.000" not in kunde.response.content
    stats = await two.anna.slash(two.agentur, "statistik", frage="Welche Frage lief am besten?")
    assert GOOD_DRAFTS[0][0][:40] in stats.response.content and GOOD_DRAFTS[2][0][:40] not in stats.response.content

    # X requests are counted per account: each wrote and read its own post, neither the other's.
    for part in two.bot.accounts:
        await part.reach.usage.flush()
    agentur_usage, kunde_usage = [await SqlUsageStore(two.bot.engine, two.clock, account=name).month_usage(
        two.clock.now()) for name in ("agentur", "kunde-b")]
    assert agentur_usage == kunde_usage and agentur_usage.write_requests == 1

    month = two.clock.now().strftime("%Y-%m")
    _name, csv = await monthly_report(two.bot.accounts[1].settings, two.bot.engine, "kunde-b", month, "csv",
                                      clock=two.clock)
    table = csv.decode("utf-8")
    assert GOOD_DRAFTS[2][0][:30] in table and GOOD_DRAFTS[0][0][:30] not in table


async def test_a_dm_of_someone_approving_for_both_asks_once_for_the_account(two):
    two.llm.reply_drafts(*GOOD_DRAFTS)
    await two.dora_user.send_dm(NEWS)
    [question] = two.mine(two.dora_user.dm_channel)
    assert question.startswith("Für welches Konto ist das? Du gibst für mehrere frei. Antworte mit dem Namen: "
                               "„agentur“ (Agentur Nordlicht) oder „kunde-b“ (Verkehrsclub).")
    assert two.llm.requests == []
    await two.dora_user.send_dm("kunde-b")
    drafts = two.mine(two.dora_user.dm_channel)[-1]
    assert drafts.startswith("📰") and GOOD_DRAFTS[0][0] in drafts
    message = next(m for m in reversed(two.dora_user.dm_channel.history()) if m.content.startswith("📰"))
    await two.dora_user.set_reaction(message, "1️⃣", reacted=True)
    await two.post_due()
    assert [post.text for post in two.kunde_x.posts.values()] == [GOOD_DRAFTS[0][0]]
    assert two.x.posts_of("spitzfeder") == []


async def test_a_dm_may_name_its_account_and_an_account_one_may_not_use_is_refused(two):
    two.llm.reply_drafts(*GOOD_DRAFTS)
    await two.dora_user.send_dm(f"konto: agentur {NEWS}")
    assert two.mine(two.dora_user.dm_channel)[-1].startswith("📰")
    two.llm.reply_drafts(*GOOD_DRAFTS)
    await two.dora_user.send_dm(NEWS)
    await two.dora_user.send_dm("konto: kunde-b")  # the answer to the question, written as the prefix
    assert two.mine(two.dora_user.dm_channel)[-1].startswith("📰")
    assert len(two.llm.requests) == 2
    await two.anna_user.send_dm(f"konto: kunde-b {NEWS}")
    assert two.mine(two.anna_user.dm_channel) == [
        "Für ein Konto „kunde-b“ darfst du hier nichts einbringen. Deine Konten: „agentur“."]


async def test_commands_in_a_channel_of_no_account_say_so(two):
    other = two.guild.create_text_channel("plaudern")
    result = await two.anna.slash(other, "zusammenfassung")
    assert "Dieser Kanal gehört zu keinem Konto" in result.response.content


async def test_each_account_drafts_in_its_own_house_style(two):
    await two.news(two.anna, two.agentur)
    await two.news(two.bert, two.kunde)
    agentur, kunde = (request["payload"]["messages"][0]["content"] for request in two.llm.requests)
    assert "Wir siezen immer." in kunde and "Wir siezen immer." not in agentur


async def test_a_dm_wish_goes_to_the_named_account_s_conversation_not_the_newest(two):
    for account in ("agentur", "kunde-b"):
        two.llm.reply_drafts(*GOOD_DRAFTS)
        await two.dora_user.send_dm(f"konto: {account} {NEWS}")
    two.llm.reply_drafts(*GOOD_DRAFTS)
    await two.dora_user.send_dm("konto: agentur Bitte alle Entwürfe deutlich kürzer")
    async with two.bot.engine.connect() as connection:
        cases = (await connection.execute(sql("select account from cases order by id"))).scalars().all()
        turns = (await connection.execute(sql(
            "select c.account from conversation_turns t join cases c on c.id = t.case_id"))).scalars().all()
    assert cases == ["agentur", "kunde-b"]  # a wish, not new news
    assert set(turns) == {"agentur"}


async def test_a_single_account_takes_over_the_rows_of_a_bot_without_accounts_file(settings, tmp_path, clock):
    from bot.adapters.storage.accounts import SqlAccountDirectory
    from bot.adapters.storage.drafts import SqlDraftStore
    from bot.core.drafting.models import DraftSet, NewsItem

    async with discord_bot(settings, clock=clock, scheduler_runs=False) as before:
        await SqlDraftStore(before.engine).save_draft_set(DraftSet(NewsItem(NEWS), []), origin="test")
    path = tmp_path / "accounts.toml"
    path.write_text('[accounts.agentur]\ndiscord_channel_ids = [1]\napprover_user_ids = [2]\n', encoding="utf-8")
    async with discord_bot(settings.model_copy(update={"accounts_file": path}), clock=clock,
                           scheduler_runs=False) as after:
        assert await SqlAccountDirectory(after.engine).accounts_in_use() == {"agentur"}


async def test_news_waits_an_hour_for_its_account_then_a_bare_name_is_no_answer(two, monkeypatch):
    import bot.adapters.discord.client as client_module

    now = [1_000.0]
    monkeypatch.setattr(client_module.time, "monotonic", lambda: now[0])
    await two.dora_user.send_dm(NEWS)
    now[0] += client_module.WAIT_FOR_ACCOUNT_SECONDS + 1
    await two.dora_user.send_dm("kunde-b")  # too late: no answer any more, just a word (the help says what to do)
    assert two.llm.requests == []
    assert two.mine(two.dora_user.dm_channel)[-1].startswith("Ich schreibe zugespitzte Fragen zu Nachrichten")
