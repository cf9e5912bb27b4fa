"""The source gate in the core: drafts whose premise is not backed need an approver's ✅ before votes approve them."""

from datetime import date

import pytest

from bot.adapters.storage.workflow import SqlWorkflowStore
from bot.core.conversation.approval import ApprovalPolicy, SourceRule, source_gap
from bot.core.drafting.models import NewsItem
from bot.core.text.rendering import NUMBERS
from tests.core.conversation.test_workflow import ANNA, BERT, CARLA, CHANNEL, GUILD, Rig
from tests.fakes.publisher import single
from tests.fakes.samples import GOOD_DRAFTS, NEWS

UNBACKED = [(GOOD_DRAFTS[0][0], "Ein Satz, der nicht in der Meldung steht."), *GOOD_DRAFTS[1:]]


# --- the rules ---

@pytest.mark.parametrize(("rule", "flagged", "needed"), [
    (SourceRule.WARNED, True, True), (SourceRule.WARNED, False, False),
    (SourceRule.ALWAYS, True, True), (SourceRule.ALWAYS, False, True),
    (SourceRule.NEVER, True, False), (SourceRule.NEVER, False, False),
])
def test_which_drafts_need_a_source_check(rule, flagged, needed):
    assert ApprovalPolicy(source_rule=rule).needs_source_check(flagged) is needed


@pytest.mark.parametrize(("warnings", "evidence", "gap"), [
    (["Prämisse ungeprüft"], "Zitat", "die Prämisse ist ungeprüft"),
    (["Prämisse nur teilweise belegt: Zahl fehlt"], "Zitat", "die Prämisse ist nur teilweise belegt"),
    (["Kein Beleg aus der Meldung"], "", "der Entwurf hat keinen Beleg aus der Meldung"),
    (["Kein Beleg aus der Meldung"], "nicht in der Meldung", "der Entwurf hat keinen Beleg aus der Meldung"),
    (["Prämisse nicht belegt: stimmt nicht"], "Zitat", "die Prämisse ist nicht belegt"),
    # the model's reason never decides: only how the warning begins
    (["Prämisse nicht belegt: teilweise ungeprüft, kein Beleg"], "Zitat", "die Prämisse ist nicht belegt"),
    ([], "Zitat", "vor jeder Freigabe ist die Quelle zu prüfen (SOURCE_CONFIRMATION=always)"),
])
def test_the_gap_is_named_in_a_few_words(warnings, evidence, gap):
    assert source_gap(warnings, evidence) == gap


# --- the workflow ---

async def start_unbacked(rig: Rig, news: NewsItem | None = None):
    rig.llm.drafts(*UNBACKED).drafts(UNBACKED[0])  # the repair round cannot find evidence either
    news = news or await rig.workflow.read_news(NEWS)
    case = await rig.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD,
                                        channel_id=CHANNEL, anchor_message_id=1)
    return case, rig.chat.carrying(case.channel_id, "1️⃣")  # draft 1, which needs the check: a message of its own


async def actions(rig: Rig) -> list[tuple[str, str | None]]:
    return [(entry.action, entry.actor) for entry in await rig.audit.entries()]


async def test_votes_before_the_confirmation_are_kept_and_the_confirmation_approves(engine):
    rig = Rig(engine, required=2)
    case, message = await start_unbacked(rig)
    assert message.reactions == [NUMBERS[0], "✅"]  # alone in its message: its ✅ means this one draft
    assert rig.chat.last(case.channel_id).reactions == [*NUMBERS[1:4], "🔁", "🗑️"]  # the others need no ✅
    assert "✅ Entwurf 1: vor der Freigabe bitte die Quelle prüfen" in message.text  # the hint beside it
    await rig.react(message, "1️⃣", ANNA)
    assert rig.chat.texts(case.channel_id)[-1] == (
        "Stimme für Entwurf 1 gezählt (1/2). Entwurf 1 braucht vor der Freigabe ein ✅ „Quelle geprüft“ einer "
        "freigebenden Person — der Entwurf hat keinen Beleg aus der Meldung. Bitte die Quelle prüfen und dann ✅ "
        "an den Entwurf setzen.")
    await rig.react(message, "1️⃣", BERT)  # the quorum, but no ✅ yet: said once, not again in full
    assert rig.chat.texts(case.channel_id)[-1] == ("Stimme für Entwurf 1 gezählt (2/2). "
                                                   "Es fehlt noch ein ✅ „Quelle geprüft“.")
    assert rig.wakes == [] and single(await rig.posts.for_set(case.current_set_id)) is None
    await rig.react(message, "✅", CARLA)  # not an approver: refused and explained
    assert "nur Freigebende" in rig.chat.texts(case.channel_id)[-1] and rig.wakes == []
    await rig.react(message, "✅", ANNA)
    post = single(await rig.posts.for_set(case.current_set_id))
    assert post is not None and post.text == UNBACKED[0][0] and post.approved_by == [str(ANNA), str(BERT)]
    assert rig.chat.texts(case.channel_id)[-2] == f"✅ Quelle geprüft von <@{ANNA}>: Entwurf 1."
    await rig.react(message, "✅", BERT)  # a second ✅ after approval changes nothing
    assert await actions(rig) == [("vote", str(ANNA)), ("vote", str(BERT)), ("reaction_refused", str(CARLA)),
                                  ("source_confirmed", str(ANNA)), ("approved", f"{ANNA},{BERT}")]


async def test_confirmation_first_then_the_vote_approves_once(engine):
    rig = Rig(engine, undo=0)
    case, message = await start_unbacked(rig)
    await rig.react(message, "✅", BERT)
    assert rig.wakes == []
    await rig.react(message, "1️⃣", ANNA)
    await rig.run_due()
    await rig.react(message, "1️⃣", BERT)
    assert rig.publisher.calls == 1 and [text for _, _, text in rig.publisher.timeline] == [UNBACKED[0][0]]


async def test_a_withdrawn_confirmation_no_longer_counts(engine):
    rig = Rig(engine)
    case, message = await start_unbacked(rig)
    await rig.react(message, "✅", ANNA)
    await rig.react(message, "✅", ANNA, added=False)
    await rig.react(message, "1️⃣", BERT)
    assert rig.wakes == [] and ("source_unconfirmed", str(ANNA)) in await actions(rig)


async def test_a_confirmation_by_someone_who_lost_the_rights_is_dropped(engine):
    rig = Rig(engine)
    case, message = await start_unbacked(rig)
    await rig.react(message, "✅", ANNA)
    rig.workflow.policy = ApprovalPolicy(approver_user_ids=frozenset({BERT}))  # anna is no approver any more
    await rig.react(message, "1️⃣", BERT)
    assert rig.wakes == [] and ("source_confirmation_dropped", str(ANNA)) in await actions(rig)


async def test_drafts_with_evidence_need_no_confirmation(engine):
    rig = Rig(engine, undo=0)
    _, message = await rig.start()
    assert "✅" not in message.reactions
    await rig.react(message, "2️⃣", ANNA)  # draft 2 of UNBACKED is backed, and here all are
    assert rig.wakes == ["posting"]


async def test_always_asks_for_a_confirmation_of_every_draft(engine):
    strict = Rig(engine, source_rule=SourceRule.ALWAYS)
    case, _ = await strict.start()
    shown = [m for m in strict.chat.messages.values() if m.channel_id == case.channel_id and m.reactions]
    assert [m.reactions[:2] for m in shown] == [[n, "✅"] for n in NUMBERS[:4]]  # each draft in its own message
    message = strict.chat.carrying(case.channel_id, "2️⃣")
    await strict.react(message, "2️⃣", ANNA)
    assert strict.wakes == [] and "vor jeder Freigabe ist die Quelle zu prüfen" in strict.chat.texts(
        case.channel_id)[-1]


async def test_never_lets_votes_approve_unbacked_drafts(engine):
    rig = Rig(engine, source_rule=SourceRule.NEVER)
    _, message = await start_unbacked(rig)
    assert "✅" not in message.reactions
    await rig.react(message, "1️⃣", ANNA)
    assert rig.wakes == ["posting"]


async def test_the_start_up_crawl_respects_the_gate(engine):
    rig = Rig(engine)
    case, message = await start_unbacked(rig)
    await rig.workflow._store.add_vote(case.current_set_id, (await rig.store.set_record(case.current_set_id))
                                       .entry(1).id, ANNA)  # the vote, stored just before a stop
    after = Rig(engine)  # a restart
    await after.workflow.resume_approvals()
    assert after.wakes == []
    draft_id = (await after.store.set_record(case.current_set_id)).entry(1).id
    await SqlWorkflowStore(engine, after.clock).add_confirmation(draft_id, BERT)  # ✅ stored, then a stop
    again = Rig(engine)
    await again.workflow.resume_approvals()
    assert again.wakes == ["posting"]


async def test_a_hand_edit_with_evidence_needs_no_confirmation_and_one_without_does(engine):
    rig = Rig(engine, undo=0)
    case, _ = await rig.start()
    await rig.workflow.hand_edit(case, "carla", 2, "Wer zahlt am Ende für die höheren Preise?",
                                 evidence="Der Senat begründet den Schritt mit gestiegenen Energiekosten.")
    edit = rig.chat.last(case.channel_id)
    assert edit.reactions == [NUMBERS[1]]
    await rig.workflow.hand_edit(case, "carla", 3, "Warum schweigt der Bürgermeister zu seinem Versprechen?")
    unbacked = rig.chat.last(case.channel_id)
    assert unbacked.reactions == [NUMBERS[2], "✅"] and "✅ Entwurf 3: vor der Freigabe" in unbacked.text
    await rig.react(unbacked, "3️⃣", ANNA)
    assert rig.wakes == []
    await rig.react(edit, "✅", BERT)  # ✅ on another draft's message does not confirm draft 3
    await rig.react(unbacked, "✅", BERT)
    assert rig.wakes == ["posting"]
    assert ("hand_edit", "carla") in await actions(rig)


async def test_the_source_goes_out_as_a_reply_with_outlet_and_date(engine):
    rig = Rig(engine, undo=0, source_as_reply=True)
    news = NewsItem(NEWS, "https://www.abendblatt.de/hamburg/preise.html", "Preise steigen", "de",
                    "Hamburger Abendblatt", date(2026, 11, 24))
    rig.llm.drafts(*GOOD_DRAFTS)
    case = await rig.workflow.take_news(news, origin="test", requester_id=CARLA, guild_id=GUILD,
                                        channel_id=CHANNEL, anchor_message_id=1)
    shown = rig.chat.last(case.channel_id)
    assert ("Quelle: Hamburger Abendblatt, 24.11.2026 · <https://www.abendblatt.de/hamburg/preise.html>"
            in shown.text)
    await rig.react(shown, "1️⃣", ANNA)
    assert "Als Antwort darunter: „Quelle: Hamburger Abendblatt, 24.11.2026 <https://www.abendblatt.de/" in (
        rig.chat.texts(case.channel_id)[-1])
    await rig.run_due()
    assert rig.publisher.source_lines == [
        "Quelle: Hamburger Abendblatt, 24.11.2026 https://www.abendblatt.de/hamburg/preise.html"]


async def test_a_check_whose_giver_lost_the_rights_in_the_undo_window_stops_the_post(engine):
    rig = Rig(engine)
    case, message = await start_unbacked(rig)
    await rig.react(message, "✅", ANNA)
    await rig.react(message, "1️⃣", BERT)
    rig.workflow.policy = ApprovalPolicy(approver_user_ids=frozenset({BERT}))  # anna is no approver any more
    rig.clock.advance(30)
    await rig.run_due()
    assert rig.publisher.calls == 0
    assert "Die Bestätigung ✅ „Quelle geprüft“ gilt nicht mehr" in rig.chat.texts(case.channel_id)[-1]
    assert ("approval_withdrawn", "") in await actions(rig)
