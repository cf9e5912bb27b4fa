"""The trust checks one by one: fairness lexicon, patterns, hashtags, handles, trailing handles, tone words."""

import pytest

from bot.core.drafting.checks import CheckRules, check_draft, hashtags, is_question
from bot.core.drafting.lexicon import parse_fairness, parse_patterns
from bot.core.drafting.models import NewsItem, ProblemKind, Severity
from bot.core.drafting.prompts import PromptLibrary, template_files, without_comments
from bot.core.drafting.tone import DEFAULT_TONE, TONES, checked_tone, tone_in_wish
from bot.core.errors import InputError
from bot.settings import DEFAULT_PROMPTS_DIR

LIBRARY = PromptLibrary.load(DEFAULT_PROMPTS_DIR)
RULES = CheckRules(lexicon=parse_fairness(LIBRARY.text_of("fairness")))
NEWS = NewsItem(
    "Bundesinnenminister Hans-Peter Friedrich hält einen eigenen Datenschutzbeauftragten für verzichtbar. "
    "Kritiker werfen ihm vor, er lüge über die Kosten. Das sagte der CSU-Politiker am Dienstag in Berlin."
)
EVIDENCE = "Bundesinnenminister Hans-Peter Friedrich"


def kinds(draft) -> list[ProblemKind]:
    return [p.kind for p in draft.problems]


# --- the fairness lexicon ---

@pytest.mark.parametrize("text", [
    "Ist Friedrich ein Lügner?", "Ist Friedrich ein LÜGNER?", "Warum lügt Friedrich?",
    "Warum verschweigt Friedrich seine Kontakte zur Überwachungsindustrie?", "Wie korrupt ist das Ministerium?",
    "Ist das nicht Betrug am Wähler?", "Ist Friedrich eine Marionette der Industrie?", "Wer vertuscht hier was?",
    "Ist das schon Vetternwirtschaft?", "Ist das Totalversagen?",
])
def test_a_word_of_the_lexicon_is_a_fatal_smear(text):
    draft = check_draft(text, EVIDENCE, NEWS, RULES)
    [smear] = [p for p in draft.problems if p.kind is ProblemKind.SMEAR]
    assert smear.fatal and not draft.usable and "Unterstellung" in smear.label


@pytest.mark.parametrize("text", [
    "Was kostet der Datenschutz den Bund?", "Wie skandalfrei ist Berlin?",
    "Was sagen die Lügnerdetektoren?",  # a longer word is not the form
])
def test_other_words_and_longer_words_are_no_smear(text):
    assert ProblemKind.SMEAR not in kinds(check_draft(text, EVIDENCE, NEWS, RULES))


def test_a_form_the_evidence_quotes_is_a_warning_marked_as_quoted():
    draft = check_draft("Lügt Friedrich über die Kosten, wie Kritiker sagen?",
                        "Kritiker werfen ihm vor, er lüge über die Kosten.", NEWS,
                        CheckRules(lexicon=parse_fairness("lügt: lügt, lüge, lügen")))
    [quoted] = [p for p in draft.problems if p.kind is ProblemKind.QUOTED_SMEAR]
    assert quoted.severity is Severity.WARNING and "zitiert" in quoted.label and draft.usable


def test_an_evidence_quote_not_in_the_news_does_not_excuse_a_smear():
    draft = check_draft("Ist Friedrich ein Lügner?", "Friedrich ist ein Lügner, sagen alle.", NEWS, RULES)
    assert ProblemKind.SMEAR in kinds(draft)


def test_the_lexicon_format():
    lexicon = parse_fairness("# Kommentar\nLügner: Lügnerin, Lügners\n\nLügner: doppelt\nFilz\n")
    assert [(lemma.name, lemma.forms) for lemma in lexicon.lemmas] == [
        ("Lügner", ("Lügner", "Lügnerin", "Lügners")), ("Filz", ("Filz",))]
    assert [form for _, form in lexicon.hits("Filz und Lügnerin")] == ["Lügnerin", "Filz"]


def test_the_shipped_lexicon_has_the_words_it_promises():
    names = {lemma.name for lemma in RULES.lexicon.lemmas}
    assert {"Lügner", "lügt", "korrupt", "kriminell", "Betrug", "verschweigt", "vertuscht", "Skandal", "Verrat",
            "Marionette"} <= names and len(names) >= 20


# --- patterns and data files ---

def test_the_shipped_patterns_and_their_format():
    keys = [p.key for p in parse_patterns(LIBRARY.text_of("patterns"))]
    assert keys == ["kosten", "alternative", "ursache", "versprechen", "nutzniesser", "zeitpunkt", "folgen",
                    "zustaendigkeit", "widerspruch", "andere"]
    assert [p.key for p in parse_patterns("Kosten: Wer zahlt?\nkosten\n")] == ["kosten", "andere"]


def test_data_files_are_exported_and_replaceable(tmp_path):
    assert {"patterns.txt", "fairness.txt", "style.txt", "premise_check.txt"} <= set(template_files())
    (tmp_path / "patterns.txt").write_text("kosten: Wer zahlt?\n", encoding="utf-8")
    library = PromptLibrary.load(DEFAULT_PROMPTS_DIR, tmp_path)
    assert library.text_of("patterns") == "kosten: Wer zahlt?"
    assert library.sources["patterns"] == tmp_path / "patterns.txt"
    assert library.text_of("style") == ""  # shipped: only comments


def test_comments_are_removed_from_data_files():
    assert without_comments("# a\n\nRegel eins\n  # b\nRegel zwei\n\n") == "Regel eins\nRegel zwei"


# --- hashtags and handles ---

def test_more_hashtags_than_allowed_are_a_warning():
    assert hashtags("Wer zahlt? #Hamburg #HVV &#39; #1") == ["#Hamburg", "#HVV"]
    draft = check_draft("Wer zahlt den Datenschutz? #Datenschutz #Bund", EVIDENCE, NEWS)
    [problem] = draft.problems
    assert problem.kind is ProblemKind.TOO_MANY_HASHTAGS and problem.severity is Severity.WARNING
    assert check_draft("Wer zahlt den Datenschutz? #Datenschutz #Bund", EVIDENCE, NEWS,
                       CheckRules(hashtags_max=2)).problems == ()


def test_handles_from_the_allowlist_are_allowed_others_foreign():
    rules = CheckRules(handle_allowlist=frozenset({"spitzfeder"}))
    assert check_draft("Was sagt der Bund dazu, @Spitzfeder?", EVIDENCE, NEWS, rules).problems == ()
    draft = check_draft("Was sagt der Bund dazu, @bmi?", EVIDENCE, NEWS, rules)
    assert kinds(draft) == [ProblemKind.FOREIGN_LINK] and not draft.usable
    assert check_draft("Was sagt der Bund dazu, @bmi?", EVIDENCE, NEWS, rules, manual=True).problems == ()


@pytest.mark.parametrize("text", ["Was sagt das Ministerium dazu? @bmi", "Was sagt das Ministerium? @bmi @bund #DSGVO"])
def test_a_trailing_handle_is_still_a_question(text):
    assert is_question(text)


# --- tone ---

def test_tones_and_their_check():
    assert set(TONES) == {"sachlich", "zugespitzt", "ironisch", "konstruktiv"} and DEFAULT_TONE == "zugespitzt"
    assert checked_tone(" Ironisch ") == "ironisch" and checked_tone(None) == "zugespitzt"
    with pytest.raises(InputError) as info:
        checked_tone("zynisch")
    assert info.value.user_message == ("Den Ton „zynisch“ gibt es nicht. "
                                       "Möglich sind: sachlich, zugespitzt, ironisch, konstruktiv.")


@pytest.mark.parametrize(("wish", "tone"), [
    ("ironischer bitte", "ironisch"), ("Etwas sachlicher", "sachlich"), ("Bitte konstruktiv!", "konstruktiv"),
    ("schärfer", "zugespitzt"), ("kürzer", None), ("nicht ironisch", None), ("sachlich, aber ironisch", None),
    ("mit Ironie", "ironisch"), ("nicht so ironisch bitte", None), ("bitte keine Ironie", None),
    ("weniger stark zugespitzt", None),
])
def test_a_wish_names_a_tone_only_when_clear(wish, tone):
    assert tone_in_wish(wish) == tone
