"""The tone of a case's questions: chosen with `/entwurf ton:`, changed by a wish such as „ironischer“."""

from __future__ import annotations

import re

from bot.core.errors import InputError

TONES: dict[str, str] = {
    "sachlich": "sachlich: nüchtern und präzise, ohne Zuspitzung im Wortlaut; die Frage wirkt durch ihre Fakten.",
    "zugespitzt": "zugespitzt: pointiert und knapp, bringt den Widerspruch auf den Punkt, bleibt fair.",
    "ironisch": "ironisch: mit leichter, erkennbarer Ironie, die auf die Sache zielt, nie auf die Person; "
                "keine Häme.",
    "konstruktiv": "konstruktiv: fragt nach Lösungen, Alternativen und nächsten Schritten statt nach Schuld.",
}
DEFAULT_TONE = "zugespitzt"

# Words in a wish that name a tone („ironischer“, „bitte sachlich“, „schärfer“).
_WISH_WORDS: dict[str, tuple[str, ...]] = {
    "sachlich": ("sachlich", "sachlicher", "nüchtern", "nüchterner", "neutral", "neutraler"),
    "zugespitzt": ("zugespitzt", "zugespitzter", "zuspitzen", "spitzer", "schärfer", "pointierter"),
    "ironisch": ("ironisch", "ironischer", "ironie", "mit ironie"),
    "konstruktiv": ("konstruktiv", "konstruktiver", "lösungsorientiert", "lösungsorientierter"),
}
# A negation up to two words before the tone word („nicht so ironisch“, „bitte keine Ironie“) names no tone.
_NEGATION = re.compile(r"\b(?:nicht|kein\w*|weniger|ohne)(?:\s+\w+){0,2}\s+$", re.IGNORECASE)


def checked_tone(value: str | None, default: str = DEFAULT_TONE) -> str:
    """The tone named by ``value`` (None or empty: ``default``); InputError in German for an unknown one."""
    name = (value or "").strip().casefold() or default
    if name not in TONES:
        raise InputError(f"Den Ton „{value}“ gibt es nicht. Möglich sind: {', '.join(TONES)}.")
    return name


def tone_instruction(tone: str | None, default: str = DEFAULT_TONE) -> str:
    """The prompt line for ``tone`` (an unknown stored value falls back to ``default``)."""
    name = tone if tone in TONES else default
    return TONES.get(name, TONES[DEFAULT_TONE])


def tone_in_wish(wish: str) -> str | None:
    """The tone a wish clearly names („ironischer bitte“ → ironisch); None if it names none, or several."""
    text = wish.casefold()
    named = set()
    for tone, words in _WISH_WORDS.items():
        for word in words:
            for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text):
                if not _NEGATION.search(text[:match.start()]):
                    named.add(tone)
    return named.pop() if len(named) == 1 else None
