"""The watchlist: accounts the team wants to hear about when they carry a post (WATCHLIST_PATH, X lists).

A CSV with the header ``handle,label,note`` (label e.g. „MdB“, „Journalistin“, „Verband“), and members
of X lists (WATCHLIST_X_LIST_IDS, each optionally with a label: ``123:MdB``). Parsing is strict and says
in German which line is wrong and why; the file itself is read by the caller.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

HEADER = ("handle", "label", "note")
HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
LIST_ID = re.compile(r"^(\d{1,25})(?::(.{1,40}))?$")
DEFAULT_LIST_LABEL = "Liste"
MAX_LABEL = 40


class WatchlistError(ValueError):
    """A German message naming the line and the problem."""


@dataclass(frozen=True)
class WatchEntry:
    handle: str  # without @, as written
    label: str
    note: str = ""


@dataclass(frozen=True)
class Watchlist:
    by_handle: dict[str, WatchEntry] = field(default_factory=dict)  # lower-case handle -> entry
    list_labels: dict[str, str] = field(default_factory=dict)  # X list id -> label of its members

    def label_for(self, handle: str, list_ids: frozenset[str] = frozenset()) -> str | None:
        """The label of an account on the watchlist (CSV first, then the lists it is a member of), or None."""
        entry = self.by_handle.get(handle.lower())
        if entry is not None:
            return entry.label
        for list_id in sorted(list_ids):
            if list_id in self.list_labels:
                return self.list_labels[list_id]
        return None


def parse_csv(text: str, source: str = "WATCHLIST_PATH") -> dict[str, WatchEntry]:
    """``handle,label,note`` lines; raises WatchlistError („WATCHLIST_PATH, Zeile 3: …“)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    entries: dict[str, WatchEntry] = {}
    if not rows or tuple(cell.strip().lower() for cell in rows[0]) != HEADER:
        raise WatchlistError(f"{source}, Zeile 1: die Kopfzeile muss „handle,label,note“ lauten")
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{source}, Zeile {number}"
        if len(row) != 3:
            raise WatchlistError(f"{where}: erwartet 3 Spalten (handle,label,note), gefunden {len(row)}")
        handle, label, note = (cell.strip() for cell in row)
        handle = handle.removeprefix("@")
        if not HANDLE.match(handle):
            raise WatchlistError(f"{where}: „{handle[:30]}“ ist kein X-Handle (1–15 Buchstaben, Ziffern oder _)")
        if not label or len(label) > MAX_LABEL:
            raise WatchlistError(f"{where}: das Label fehlt oder ist länger als {MAX_LABEL} Zeichen")
        if handle.lower() in entries:
            raise WatchlistError(f"{where}: @{handle} steht schon weiter oben")
        entries[handle.lower()] = WatchEntry(handle, label, note)
    return entries


def parse_list_ids(text: str) -> dict[str, str]:
    """'123,456:MdB' -> {'123': 'Liste', '456': 'MdB'}; raises WatchlistError."""
    labels: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        match = LIST_ID.match(part)
        if not match:
            raise WatchlistError(f"WATCHLIST_X_LIST_IDS: „{part[:40]}“ ist keine Listen-ID (Ziffern, optional :Label)")
        labels[match[1]] = (match[2] or DEFAULT_LIST_LABEL).strip() or DEFAULT_LIST_LABEL
    return labels
