"""`spitzfeder run` against the local Discord-compatible server: the ✅ „Quelle geprüft“ gate on the wire."""

import asyncio

from bot.settings import Settings
from bot.wiring import run as run_bot
from tests.e2e.test_wire import ANNA, wire_env  # noqa: F401 (a fixture)
from tests.fakes.discord_server import BOT_ID, ROLE_ID, user
from tests.fakes.samples import GOOD_DRAFTS, NEWS

CARLA = user(4343, "carla")
UNBACKED = [(GOOD_DRAFTS[0][0], "Ein Satz, der nicht in der Meldung steht."), *GOOD_DRAFTS[1:]]


def said(server, thread_id: int, part: str) -> bool:
    return any(part in r.body["content"] for r in server.sent(thread_id))


async def test_a_vote_waits_for_an_approvers_check_and_then_posts_once(wire_env, llm_env):  # noqa: F811
    server = wire_env
    llm_env.reply_drafts(*UNBACKED)
    llm_env.reply_drafts(UNBACKED[0])  # the repair round finds no evidence either
    task = asyncio.create_task(run_bot(Settings()))
    try:
        await server.until(lambda s: any(r.path.endswith("/commands") for r in s.requests))
        server.dispatch("MESSAGE_CREATE", server.message_event(ANNA, [ROLE_ID], f"<@{BOT_ID}> {NEWS}"))
        await server.until(lambda s: any(r.path.endswith("/reactions/🗑️/@me") for r in s.requests))
        assert any(r.path.endswith("/reactions/✅/@me") for r in server.requests)  # the bot offers ✅
        [drafts] = [r for r in server.sent() if r.body["content"].startswith("📰")]
        assert "ohne Quellenlink" in drafts.body["content"]
        thread_id = int(drafts.path.split("/")[2])
        message_id = next(int(r.path.split("/")[4]) for r in server.requests if "/reactions/" in r.path)

        def react(who: dict, roles: list[int], emoji: str) -> None:
            server.dispatch("MESSAGE_REACTION_ADD", server.reaction_event(who, roles, thread_id, message_id, emoji))

        react(ANNA, [ROLE_ID], "1️⃣")
        await server.until(lambda s: said(s, thread_id, "braucht vor der Freigabe ein ✅"))
        react(CARLA, [], "✅")  # no approver: removed and explained
        await server.until(lambda s: said(s, thread_id, "Deine Reaktion zählt nicht"))
        assert any(r.method == "DELETE" and "/reactions/✅/4343" in r.path for r in server.requests)
        assert not said(server, thread_id, "simuliert (Dry Run)")
        react(ANNA, [ROLE_ID], "✅")
        await server.until(lambda s: said(s, thread_id, "simuliert (Dry Run)"))
        assert said(server, thread_id, f"✅ Quelle geprüft von <@{ANNA['id']}>: Entwurf 1.")
        react(ANNA, [ROLE_ID], "1️⃣")  # late reactions change nothing
        await server.until(lambda s: said(s, thread_id, "Über diese Entwürfe wird nicht mehr abgestimmt"))
        assert sum(r.body["content"].startswith("🧪") for r in server.sent(thread_id)) == 1  # posted once
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
