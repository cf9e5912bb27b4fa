"""Reports until reach tracking exists: an honest 'no numbers yet'."""

from __future__ import annotations

from bot.core.ports import Announcement

NO_NUMBERS = ("Noch keine Zahlen: die Auswertung der Reichweite auf X ist noch nicht eingerichtet. "
              "Sobald Posts gemessen werden, stehen hier Zusammenfassung und Statistik.")


class NoReportsYet:
    async def summary(self) -> Announcement:
        return Announcement(NO_NUMBERS)

    async def statistics(self, question: str | None = None) -> str:
        return NO_NUMBERS
