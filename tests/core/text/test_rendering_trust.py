"""The draft block's evidence and premise, and the line about dropped drafts."""

import pytest

from bot.core.conversation.records import DraftEntry
from bot.core.text.rendering import draft_block, dropped_line


def make_entry(**fields) -> DraftEntry:
    values = {"id": 11, "number": 2, "text": "Wer zahlt am Ende?", "evidence": "Der Senat begründet es.",
              "evidence_found": True, "weighted_length": 18}
    return DraftEntry(**(values | fields))


@pytest.mark.parametrize("evidence", ["„Der Senat begründet es.“", "\"Der Senat begründet es.\"",
                                      "»Der Senat begründet es.«", "“Der Senat begründet es.”"])
def test_evidence_already_in_quotes_is_not_quoted_twice(evidence):
    assert draft_block(make_entry(evidence=evidence)).splitlines()[1] == "   18/280 · Beleg: „Der Senat begründet es.“"


def test_a_quote_inside_the_evidence_stays():
    line = draft_block(make_entry(evidence="Der Senat nennt es „alternativlos“")).splitlines()[1]
    assert line == "   18/280 · Beleg: „Der Senat nennt es „alternativlos““"


def test_the_premise_is_shown_on_its_own_line_shortened_and_escaped():
    lines = draft_block(make_entry(premise="Der Senat **erhöht** die Preise.", warnings=("Prämisse ungeprüft",)))
    assert lines.splitlines()[2:] == ["   Prämisse: Der Senat \\*\\*erhöht\\*\\* die Preise.",
                                      "   ⚠️ Prämisse ungeprüft"]
    long = draft_block(make_entry(premise="Wort " * 60)).splitlines()[2]
    assert long.endswith("…") and len(long) == len("   Prämisse: ") + 120


def test_without_a_premise_there_is_no_premise_line():
    assert len(draft_block(make_entry()).splitlines()) == 2


def test_the_dropped_line_counts_and_names_the_reasons_once():
    assert dropped_line([]) == ""
    assert dropped_line(["Keine Frage"]) == "🚫 1 Entwurf verworfen: Keine Frage"
    assert dropped_line(["Fremder Link/Handle: @x_y", "Keine Frage", "Keine Frage"]) == (
        "🚫 3 Entwürfe verworfen: Fremder Link/Handle: @x\\_y; Keine Frage")
