"""The German chat texts: names, states, draft blocks, message splitting and posting notices."""

from datetime import UTC, date, datetime

import pytest

from bot.core.conversation.records import DraftEntry, SetState
from bot.core.drafting.models import NewsItem
from bot.core.posting.records import Post, PostState
from bot.core.text.rendering import (
    CANCEL,
    DISCARD,
    HEADER_RESERVE,
    HELP_TEXT,
    NUMBERS,
    RENEW,
    THREAD_NAME_LIMIT,
    VOTE_HINT,
    Chunk,
    cancelled_text,
    confirm_hint,
    draft_block,
    drafting_failed_text,
    failed_text,
    first_message,
    headline,
    number_of,
    published_text,
    same_emoji,
    scheduled_text,
    set_header,
    shorten,
    split_blocks,
    status_label,
    thread_name,
)

NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

MESSAGE_LIMIT = 2000  # the chat's limit (FakeChat and Discord)


def make_post(state: PostState = PostState.SCHEDULED, **fields) -> Post:
    values = {"id": 7, "set_id": 3, "draft_id": 11, "text": "Frage?", "approved_at": NOON, "due_at": NOON}
    return Post(state=state, **(values | fields))


def make_entry(number: int = 2, **fields) -> DraftEntry:
    values = {"id": 11, "number": number, "text": "Wer zahlt am Ende?", "evidence": "Der Senat begründet es.",
              "evidence_found": True, "weighted_length": 18}
    return DraftEntry(**(values | fields))


# --- number emoji ---

def test_same_emoji_ignores_the_variation_selector():
    assert same_emoji("1️⃣", "1\u20e3")
    assert same_emoji("🗑️", "🗑")


def test_same_emoji_tells_different_emoji_apart():
    assert not same_emoji("1️⃣", "2️⃣")


@pytest.mark.parametrize("number", range(1, 10))
def test_number_of_reads_every_keycap_back_as_its_number(number):
    assert number_of(NUMBERS[number - 1]) == number


def test_number_of_accepts_a_keycap_without_variation_selector():
    assert number_of("3\u20e3") == 3


@pytest.mark.parametrize("emoji", [RENEW, DISCARD, CANCEL, "🔟", "1", ""])
def test_number_of_is_none_for_anything_but_a_number_keycap(emoji):
    assert number_of(emoji) is None


# --- shorten, headline, thread name ---

def test_shorten_collapses_whitespace_and_keeps_short_text():
    assert shorten("  Preise\n steigen\t stark ", 50) == "Preise steigen stark"


def test_shorten_cuts_long_text_to_the_limit_with_an_ellipsis():
    cut = shorten("Die Preise im Nahverkehr steigen", 12)
    assert cut == "Die Preise…" and len(cut) <= 12


def test_shorten_keeps_text_of_exactly_the_limit():
    assert shorten("abcde", 5) == "abcde"


def test_headline_prefers_the_title():
    assert headline(NewsItem("Langer Text. Noch ein Satz.", title="  Preise   steigen ")) == "Preise steigen"


def test_headline_takes_the_first_sentence_of_the_text():
    news = NewsItem("Hamburg erhöht die Preise. Der Senat nennt Gründe.")
    assert headline(news) == "Hamburg erhöht die Preise."


def test_headline_does_not_end_a_sentence_at_an_ordinal_date():
    news = NewsItem("Ab dem 1. Januar steigen die Preise. Der Senat nennt Gründe.")
    assert headline(news) == "Ab dem 1. Januar steigen die Preise."


def test_headline_ends_a_sentence_before_an_umlaut():
    assert headline(NewsItem("Preise steigen! Ärger bei Pendlern.")) == "Preise steigen!"


def test_headline_respects_its_limit():
    assert headline(NewsItem("Ein sehr langer erster Satz ohne Ende"), limit=10) == "Ein sehr…"


def test_headline_falls_back_to_the_url_for_an_empty_text():
    assert headline(NewsItem("", url="https://example.org/a")) == "https://example.org/a"


def test_thread_name_is_the_headline_within_discords_limit():
    name = thread_name(NewsItem("Wort " * 60))
    assert len(name) == THREAD_NAME_LIMIT and name.endswith("…")


# --- states and header ---

@pytest.mark.parametrize(("state", "post", "number", "label"), [
    (SetState.OPEN, None, None, "offen"),
    (SetState.REPLACED, None, None, "ersetzt durch neuere Entwürfe (weiter unten)"),
    (SetState.DISCARDED, None, None, "verworfen"),
    (SetState.DISCARDED, make_post(PostState.CANCELLED), 2, "verworfen"),
    (SetState.OPEN, make_post(PostState.SCHEDULED), 2, "freigegeben (Entwurf 2)"),
    (SetState.OPEN, make_post(PostState.IN_FLIGHT), 2, "freigegeben (Entwurf 2)"),
    (SetState.OPEN, make_post(PostState.POSTED), 3, "gepostet (Entwurf 3)"),
    (SetState.OPEN, make_post(PostState.POSTED, simulated=True), 3, "gepostet (Entwurf 3) — simuliert (Dry Run)"),
    (SetState.OPEN, make_post(PostState.CANCELLED), 1, "abgebrochen (Entwurf 1)"),
    (SetState.OPEN, make_post(PostState.FAILED, retryable=True), 2,
     f"freigegeben (Entwurf 2) — Posten fehlgeschlagen, {RENEW} versucht es erneut"),
    (SetState.OPEN, make_post(PostState.FAILED, retryable=False), 2, "freigegeben (Entwurf 2) — Posten fehlgeschlagen"),
    (SetState.REPLACED, make_post(PostState.POSTED), 4, "gepostet (Entwurf 4)"),
])
def test_status_label_names_the_state_of_set_and_post(state, post, number, label):
    assert status_label(state, [post] if post else [], number) == label


def test_status_label_leaves_out_an_unknown_draft_number():
    assert status_label(SetState.OPEN, [make_post(PostState.SCHEDULED)]) == "freigegeben"


def test_set_header_shows_headline_and_state_and_says_when_there_is_no_source_link():
    assert set_header(NewsItem("Preise steigen. Mehr dazu."), "offen") == (
        "📰 **Preise steigen.**\nQuelle: ohne Quellenlink (eingefügter Text)\nStatus: **offen**")


def test_set_header_shows_outlet_date_and_the_link_without_preview():
    news = NewsItem("Preise steigen.", "https://www.tagesschau.de/inland/preise-100.html", "Preise steigen",
                    outlet="tagesschau.de", published=date(2026, 11, 24))
    assert set_header(news, "offen").splitlines()[1] == (
        "Quelle: tagesschau.de, 24.11.2026 · <https://www.tagesschau.de/inland/preise-100.html>")


def test_set_header_falls_back_to_the_host_and_escapes_the_outlet():
    assert set_header(NewsItem("Preise.", "https://www.example.org/a"), "offen").splitlines()[1] == (
        "Quelle: example.org · <https://www.example.org/a>")
    news = NewsItem("Preise.", "https://example.org/a", outlet="**Die** Zeitung", published=date(2026, 1, 2))
    assert set_header(news, "offen").splitlines()[1] == (
        "Quelle: \\*\\*Die\\*\\* Zeitung, 02.01.2026 · <https://example.org/a>")


def test_first_message_puts_the_body_below_the_header():
    assert first_message("Kopf", "Rumpf") == "Kopf\n\nRumpf"


def test_first_message_without_body_is_the_header_alone():
    assert first_message("Kopf", "") == "Kopf"


def test_vote_hint_names_the_reactions():
    assert RENEW in VOTE_HINT and DISCARD in VOTE_HINT and "Zahl" in VOTE_HINT


# --- draft blocks ---

def test_draft_block_shows_number_text_length_and_evidence():
    assert draft_block(make_entry()) == "2️⃣ Wer zahlt am Ende?\n   18/280 · Beleg: „Der Senat begründet es.“"


def test_draft_block_marks_a_hand_edit():
    assert draft_block(make_entry(), edited=True).splitlines()[0] == "2️⃣ Wer zahlt am Ende? ✏️ (von Hand)"


def test_draft_block_without_evidence_shows_only_the_length():
    assert draft_block(make_entry(evidence="")).splitlines()[1] == "   18/280"


def test_draft_block_shortens_long_evidence():
    block = draft_block(make_entry(evidence="Beleg " * 100))
    quote = block.split("„")[1].split("“")[0]
    assert len(quote) == 140 and quote.endswith("…")


def test_draft_block_lists_each_warning_shortened():
    block = draft_block(make_entry(warnings=("Prämisse nicht belegt", "x" * 200)))
    lines = block.splitlines()
    assert lines[2] == "   ⚠️ Prämisse nicht belegt"
    assert lines[3].startswith("   ⚠️ xxx") and lines[3].endswith("…") and len(lines[3]) == len("   ⚠️ ") + 120


# --- splitting into messages ---

def test_split_blocks_packs_small_blocks_into_one_message():
    chunks = split_blocks([(1, "eins"), (2, "zwei"), (None, "Hinweis")], limit=MESSAGE_LIMIT)
    assert chunks == [Chunk("eins\n\nzwei\n\nHinweis", (1, 2))]


def test_split_blocks_of_nothing_is_one_empty_message():
    assert split_blocks([], limit=MESSAGE_LIMIT) == [Chunk("", ())]


def test_split_blocks_never_cuts_a_block_and_keeps_its_number_with_it():
    blocks = [(n, str(n) * 700) for n in range(1, 5)] + [(None, VOTE_HINT)]
    chunks = split_blocks(blocks, limit=MESSAGE_LIMIT)
    assert [c.numbers for c in chunks] == [(1, 2), (3, 4)]
    assert chunks[0].body == "1" * 700 + "\n\n" + "2" * 700
    assert chunks[1].body.endswith(VOTE_HINT)
    assert "\n\n".join(c.body for c in chunks) == "\n\n".join(block for _, block in blocks)


def test_split_blocks_keeps_room_for_the_header_in_the_first_message_only():
    room = MESSAGE_LIMIT - HEADER_RESERVE
    first = "a" * (room - 2 - 10)  # the second block ("b" * 10) just fits
    assert len(split_blocks([(1, first), (2, "b" * 10)], limit=MESSAGE_LIMIT)) == 1
    assert len(split_blocks([(1, first), (2, "b" * 11)], limit=MESSAGE_LIMIT)) == 2
    later = [(1, "a" * room), (2, "b" * (MESSAGE_LIMIT - 2 - 10)), (3, "c" * 10)]
    assert [c.numbers for c in split_blocks(later, limit=MESSAGE_LIMIT)] == [(1,), (2, 3)]


def test_split_blocks_every_message_fits_the_limit_with_the_header():
    blocks = [(n, f"{NUMBERS[n - 1]} " + "Frage " * 90) for n in range(1, 10)] + [(None, VOTE_HINT)]
    chunks = split_blocks(blocks, limit=MESSAGE_LIMIT)
    assert len(chunks) > 1
    assert len(chunks[0].body) <= MESSAGE_LIMIT - HEADER_RESERVE
    assert all(len(c.body) <= MESSAGE_LIMIT for c in chunks[1:])
    assert [n for c in chunks for n in c.numbers] == list(range(1, 10))


def test_split_blocks_keeps_an_oversized_block_whole():
    [chunk] = split_blocks([(1, "x" * (MESSAGE_LIMIT + 5))], limit=MESSAGE_LIMIT)
    assert chunk == Chunk("x" * (MESSAGE_LIMIT + 5), (1,))


def test_split_blocks_respects_a_custom_limit_and_reserve():
    chunks = split_blocks([(1, "aaaa"), (2, "bbbb"), (3, "cccc")], first_reserve=0, limit=10)
    assert chunks == [Chunk("aaaa\n\nbbbb", (1, 2)), Chunk("cccc", (3,))]


# --- posting notices ---

def test_scheduled_text_quotes_the_post_names_the_approvers_and_offers_cancel():
    post = make_post(source_url="https://example.org/a", source_line="Quelle: example.org https://example.org/a")
    assert scheduled_text(2, 30, [post], ["@A", "@B"]) == (
        f"⏳ Entwurf 2 wird in 30 s gepostet (freigegeben von @A, @B): „Frage?“ — {CANCEL} zum Abbrechen\n"
        "Als Antwort darunter: „Quelle: example.org <https://example.org/a>“ (ein Post mit Link kostet bei X "
        "etwa 0,20 $ statt 0,015 $)")


def test_scheduled_text_shows_the_text_escaped_so_it_never_pings_or_formats():
    post = make_post(text="Warum **schweigt** @everyone <@123>?")
    said = scheduled_text(2, 30, [post], ["@A"])
    assert "„Warum \\*\\*schweigt\\*\\* @everyone \\<@123\\>?“" in said
    assert said.endswith("Ohne Quellenlink: die Meldung wurde als Text eingefügt.")


def test_scheduled_text_says_when_the_source_reply_is_off():
    assert scheduled_text(2, 30, [make_post(source_url="https://example.org/a")], ["@A"]).endswith(
        "Ohne Quellenantwort (SOURCE_AS_REPLY ist aus).")


@pytest.mark.parametrize("undo", [0, -1])
def test_scheduled_text_without_undo_window_posts_now(undo):
    assert scheduled_text(2, undo, [make_post()], ["@A"]).startswith(
        "✅ Entwurf 2 ist freigegeben (von @A) und wird jetzt gepostet: „Frage?“")


def test_published_text_links_the_post():
    post = make_post(PostState.POSTED, url="https://x.com/acct/status/1", remote_id="1")
    assert published_text(2, post) == "✅ Entwurf 2 ist auf X gepostet: https://x.com/acct/status/1"


def test_published_text_without_url_names_the_post_id():
    assert published_text(2, make_post(PostState.POSTED, remote_id="1234")) == "✅ Entwurf 2 ist auf X gepostet: 1234"


def test_published_text_of_a_dry_run_says_nothing_reached_x():
    post = make_post(PostState.POSTED, simulated=True, remote_id="sim-1")
    assert published_text(2, post) == "🧪 Entwurf 2: simuliert (Dry Run) — nichts wurde auf X veröffentlicht."


def test_failed_text_retryable_offers_retry_and_giving_up():
    post = make_post(PostState.FAILED, error="X ist gestört.", retryable=True)
    assert failed_text(2, post) == (f"⚠️ Entwurf 2 konnte nicht auf X gepostet werden: X ist gestört. "
                                    f"{RENEW} versucht es erneut, {CANCEL} gibt ihn auf.")


def test_failed_text_uncertain_offers_only_retry():
    post = make_post(PostState.FAILED, error="Antwort verloren.", retryable=True, uncertain=True)
    assert failed_text(2, post) == (f"⚠️ Entwurf 2 konnte nicht auf X gepostet werden: Antwort verloren. "
                                    f"{RENEW} versucht es erneut.")


def test_failed_text_final_asks_for_new_drafts():
    post = make_post(PostState.FAILED, error="Doppelter Post.", retryable=False)
    assert failed_text(2, post) == ("⚠️ Entwurf 2 konnte nicht auf X gepostet werden: Doppelter Post. "
                                    "Neue Entwürfe zum Freigeben bringt ein Wunsch hier "
                                    f"oder {RENEW} an den Entwürfen.")


def test_cancelled_text_names_who_cancelled():
    said = cancelled_text(3, "<@2>", [make_post(PostState.CANCELLED)])
    assert said == "🛑 Abgebrochen von <@2>: Entwurf 3 wird nicht gepostet."


def test_drafting_failed_text_offers_retry():
    text = drafting_failed_text("Das Modell antwortet nicht.")
    assert text == f"⚠️ Das Modell antwortet nicht. {RENEW} versucht es erneut."


def test_help_text_explains_starting_approving_and_numbers():
    for word in ("/entwurf", "/statistik", "/zusammenfassung", CANCEL, RENEW, DISCARD):
        assert word in HELP_TEXT
    assert len(HELP_TEXT) <= MESSAGE_LIMIT


def test_a_dry_run_shows_the_source_reply_that_would_have_followed():
    post = make_post(PostState.POSTED, simulated=True, source_line="Quelle: example.org https://example.org/a")
    assert published_text(1, post) == ("🧪 Entwurf 1: simuliert (Dry Run) — nichts wurde auf X veröffentlicht. "
                                       "Als Antwort wäre „Quelle: example.org <https://example.org/a>“ gefolgt.")


def test_the_confirm_hint_names_the_drafts_that_need_a_source_check():
    assert confirm_hint(2).startswith("✅ Entwurf 2: vor der Freigabe bitte die Quelle prüfen")
    assert "an dieser Nachricht anklicken" in confirm_hint(2)
    assert "| Beleg:" in HELP_TEXT and "✅" in HELP_TEXT
