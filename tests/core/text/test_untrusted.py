"""Untrusted text: what the team sees is exactly what goes out."""

from bot.core.drafting.models import NewsItem
from bot.core.text.rendering import headline
from bot.core.text.untrusted import chat_markup, literal, one_paragraph, plain_line


def test_a_draft_is_one_paragraph_without_invisible_controls():
    assert one_paragraph("Wer zahlt?\n2️⃣ Gefälschte Zeile\r\n   mit Beleg") == "Wer zahlt? 2️⃣ Gefälschte Zeile mit Beleg"
    assert one_paragraph("Wer\u2028zahlt\u202e?\x00") == "Wer zahlt?"
    assert one_paragraph("Familie 👨\u200d👩\u200d👧 zahlt?") == "Familie 👨\u200d👩\u200d👧 zahlt?"  # emoji stay whole


def test_headers_lose_control_bidi_and_zero_width_characters():
    assert plain_line("Preise\u202e steigen\u200b\n  heute\x07") == "Preise steigen heute"


def test_discord_markup_is_named():
    assert chat_markup("Ist das ||geheim|| und **fett**?") == ["**", "||"]
    assert chat_markup("Wer zahlt [hier](https://evil.example)?") == ["[…](…)"]
    assert chat_markup("Wer zahlt am Ende?") == []


def test_the_chat_shows_the_characters_literally():
    shown = literal("Ist das [Frage?](https://evil.example/x) ||Spoiler|| **fett** <@123> `code`?")
    assert shown == (r"Ist das \[Frage?\]\(<https://evil.example/x>\) \|\|Spoiler\|\| \*\*fett\*\* \<@123\> "
                     r"\`code\`?")
    assert literal("Siehe https://example.org/a_b_c. Dazu") == "Siehe <https://example.org/a_b_c>. Dazu"


def test_headlines_are_not_cut_at_abbreviations():
    assert headline(NewsItem("x", title="Prof. Drosten warnt vor neuer Welle")) == "Prof. Drosten warnt vor neuer Welle"
    assert headline(NewsItem("x", title="Hamburg: Preise steigen. Opposition empört")) == \
        "Hamburg: Preise steigen. Opposition empört"
    assert headline(NewsItem("Laut Dr. Müller steigen die Preise. Mehr folgt.")) == \
        "Laut Dr. Müller steigen die Preise."
    assert headline(NewsItem("Der FC St. Pauli gewinnt. Mehr folgt.")) == "Der FC St. Pauli gewinnt."
    assert headline(NewsItem("Preise steigen z. B. In Hamburg. Mehr folgt.")) == "Preise steigen z. B. In Hamburg."
