import pytest

from bot.core.drafting.checks import check_draft, evidence_in_news, foreign_links, is_question, mark_near_duplicates
from bot.core.drafting.language import guess_language
from bot.core.drafting.models import NewsItem, ProblemKind
from tests.fakes.samples import GOOD_DRAFTS, NEWS

NEWS_ITEM = NewsItem(text=NEWS + " Mehr bei @hvv_hamburg unter https://www.hvv.de/preise.")


def kinds(draft):
    return {p.kind for p in draft.problems}


@pytest.mark.parametrize("text", [
    "Wer zahlt am Ende?",
    "Wer zahlt am Ende? #Hamburg #HVV",
    "Wer zahlt am Ende? 🤔",
    "Wer zahlt am Ende?\u00a0👀🚌 #ÖPNV",
    "„Wer zahlt am Ende?“",
    "Wirklich?!",
])
def test_questions(text):
    assert is_question(text)


@pytest.mark.parametrize("text", ["Die Preise steigen.", "Wer zahlt? Die Fahrgäste.", "#Frage?  nein", ""])
def test_not_questions(text):
    assert not is_question(text)


@pytest.mark.parametrize("text", [
    "Wer zahlt am Ende für die gestiegenen Energiekosten im Nahverkehr?",
    "Warum schweigt @hvv_hamburg zu den neuen Preisen?",
    "Ist das noch Politik für Pendler? #Hamburg #HVV #Nahverkehr",
])
def test_german(text):
    assert guess_language(text).is_german


@pytest.mark.parametrize("text", [
    "Who pays for the higher energy costs in the end?",
    "Qui paie la facture énergétique à la fin?",
    "https://www.hvv.de/preise https://example.com",  # only URLs
    "@hvv_hamburg @senat_hamburg",  # only handles
    "#HVV #Hamburg?",  # too short once the noise is gone
    "Warum?",  # too short to tell
    "",
])
def test_not_german(text):
    assert not guess_language(text).is_german


def test_language_detection_is_repeatable():
    text = "Ist das fair für die Pendler?"
    assert len({guess_language(text) for _ in range(20)}) == 1


def test_evidence_found_despite_quotes_case_and_spacing():
    quote = "der SENAT begründet   den Schritt mit \u201egestiegenen\u201c Energiekosten"
    assert evidence_in_news(quote, NEWS)


def test_fragments_joined_with_an_ellipsis_are_no_evidence():
    assert not evidence_in_news("Der Senat begründet … gestiegenen Energiekosten", NEWS)
    assert not evidence_in_news("gestiegenen Energiekosten … Der Senat begründet", NEWS)
    assert not evidence_in_news("Hamburg … Senat … Deutschlandticket … Opposition", NEWS)


def test_a_gap_at_either_end_of_one_span_is_allowed():
    assert evidence_in_news("… begründet den Schritt mit gestiegenen Energiekosten …", NEWS)


def test_a_short_quote_counts_only_as_a_complete_clause():
    assert evidence_in_news("Die Opposition spricht von Wortbruch.", NEWS)  # 36 characters anyway
    news = "Die Preise steigen. Der Senat schweigt dazu bislang. Mehr dazu morgen im Ausschuss des Rathauses."
    assert evidence_in_news("Die Preise steigen.", news)  # 19 characters, a whole sentence
    assert evidence_in_news("Die Preise steigen", news)
    assert not evidence_in_news("Preise steigen", news)  # part of a clause
    assert not evidence_in_news("Der Senat schweigt", news)


@pytest.mark.parametrize("quote", ["Die Preise sinken um 20 Prozent.", "Senat", "", "…"])
def test_evidence_missing_or_too_short(quote):
    assert not evidence_in_news(quote, NEWS)


def test_unsupported_premise_is_a_warning_not_a_drop():
    draft = check_draft("Warum verschweigt der Senat die Kürzungen bei den Schulen?", "Schulen werden gekürzt",
                        NEWS_ITEM)
    assert draft.usable and not draft.evidence_found
    assert draft.warnings == ["Kein Beleg aus der Meldung"]


def test_good_draft_has_no_problems():
    text, evidence = GOOD_DRAFTS[0]
    draft = check_draft(text, evidence, NEWS_ITEM)
    assert draft.problems == () and draft.language == "de" and draft.evidence_found
    assert draft.weighted_length == len(text)


def test_too_long_draft_is_fatal():
    draft = check_draft("Warum " + "wirklich " * 40 + "?", GOOD_DRAFTS[0][1], NEWS_ITEM)
    assert ProblemKind.TOO_LONG in kinds(draft) and not draft.usable


def test_links_and_handles_from_the_news_are_allowed():
    assert foreign_links("Was sagt @HVV_Hamburg dazu? hvv.de/preise", NEWS_ITEM) == []


def test_foreign_links_and_handles_are_fatal():
    draft = check_draft("Warum verschweigt das @bild? Mehr auf https://evil.example/x", GOOD_DRAFTS[0][1], NEWS_ITEM)
    [problem] = [p for p in draft.problems if p.kind is ProblemKind.FOREIGN_LINK]
    assert problem.fatal and "@bild" in problem.label and "evil.example" in problem.label


def test_bare_domains_count_as_links():
    assert foreign_links("Steht das auch auf spiegel.de?", NEWS_ITEM) == ["spiegel.de"]
    assert foreign_links("Gilt das z.B. auch für 9,5 Prozent u.a. im HVV?", NEWS_ITEM) == []


def test_allowed_link_carries_a_cost_warning():
    draft = check_draft("Was steht wirklich auf https://www.hvv.de/preise zu den neuen Preisen?",
                        GOOD_DRAFTS[0][1], NEWS_ITEM)
    assert draft.usable and ProblemKind.CONTAINS_URL in kinds(draft)


def test_near_duplicates_are_flagged_after_the_first():
    text, evidence = GOOD_DRAFTS[0]
    drafts = [check_draft(t, evidence, NEWS_ITEM) for t in (text, text.replace("wirklich", "tatsächlich"),
                                                              GOOD_DRAFTS[1][0])]
    flagged = mark_near_duplicates(drafts)
    assert [d.usable for d in flagged] == [True, False, True]
    assert flagged[1].warnings == ["Fast gleich wie Entwurf 1"]


def test_a_character_x_refuses_is_fatal():
    news = NewsItem(NEWS)
    draft = check_draft("Wer zahlt am Ende für die gestiegenen Energiekosten\ufffe?", GOOD_DRAFTS[0][1], news)
    assert "Enthält ein Zeichen, das X nicht annimmt" in draft.warnings and not draft.usable


def test_a_runaway_draft_is_too_long_before_the_costly_checks():
    text = "Read more at https://evil.example " + "and more " * 20_000 + "!"  # English, a foreign link, no '?'
    draft = check_draft(text, text, NEWS_ITEM)
    assert kinds(draft) == {ProblemKind.TOO_LONG} and not draft.usable
    assert draft.language is None and not draft.evidence_found and draft.warnings == ["Zu lang (über 1.000 Zeichen)"]


def test_a_draft_of_1000_characters_is_checked_except_for_its_language():
    text = ("Why " + "really " * 150)[:978] + "? https://evil.example"
    assert len(text) == 1_000
    draft = check_draft(text, GOOD_DRAFTS[0][1], NEWS_ITEM)
    assert kinds(draft) == {ProblemKind.TOO_LONG, ProblemKind.NOT_A_QUESTION, ProblemKind.FOREIGN_LINK}
    assert draft.weighted_length == 1_000 and draft.evidence_found and draft.language is None


def test_runaway_drafts_are_never_compared_for_near_duplicates():
    runaway = check_draft(GOOD_DRAFTS[0][0] * 20, "", NEWS_ITEM)
    first = check_draft(*GOOD_DRAFTS[0], NEWS_ITEM)
    marked = mark_near_duplicates([first, runaway, check_draft(*GOOD_DRAFTS[0], NEWS_ITEM)])
    assert ProblemKind.NEAR_DUPLICATE not in kinds(marked[1]) and ProblemKind.NEAR_DUPLICATE in kinds(marked[2])
