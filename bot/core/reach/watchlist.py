"""The watchlist: accounts the team wants to hear about when they carry a post (WATCHLIST_PATH, X lists).

A CSV with the header ``handle,network,label,note`` (network ``x``, ``bluesky`` or ``mastodon``; label e.g.
„MdB“, „Journalistin“, „Verband“) or the older ``handle,label,note`` (every account on X), and members
of X lists (WATCHLIST_X_LIST_IDS, each optionally with a label: ``123:MdB``). A handle is matched on its
own network only: X ``name``, Bluesky ``name.bsky.social``, Mastodon ``name@instance`` (also for accounts of
our own instance: the Mastodon adapter names every account so). Handles match regardless of case and of a
leading @. Parsing is strict and says in German which line is wrong and
why; the file itself is read by the caller.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from bot.core.networks import Network

HEADER = ("handle", "label", "note")  # every account on X
HEADER_NETWORKS = ("handle", "network", "label", "note")
HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HANDLES = {
    Network.X: (HANDLE, "kein X-Handle (1–15 Buchstaben, Ziffern oder _)"),
    Network.BLUESKY: (re.compile(rf"^(?=.{{3,253}}$){_LABEL}(?:\.{_LABEL})+$"),
                      "kein Bluesky-Handle (z. B. name.bsky.social)"),
    Network.MASTODON: (re.compile(r"^[A-Za-z0-9_]{1,30}(?:@[A-Za-z0-9.-]{1,253})?$"),
                       "kein Mastodon-Konto (name@instanz.social)"),
}
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
    network: Network = Network.X


def watch_key(handle: str, network: Network = Network.X) -> str:
    """The key of ``Watchlist.by_handle``: the lower-case handle on X, „network:handle“ elsewhere."""
    handle = handle.lower().removeprefix("@")
    return handle if network is Network.X else f"{network.value}:{handle}"


@dataclass(frozen=True)
class Watchlist:
    by_handle: dict[str, WatchEntry] = field(default_factory=dict)  # watch_key(handle, network) -> entry
    list_labels: dict[str, str] = field(default_factory=dict)  # X list id -> label of its members

    def label_for(self, handle: str, list_ids: frozenset[str] = frozenset(), *,
                  network: Network = Network.X) -> str | None:
        """The label of an account on the watchlist (CSV first, then the X lists it is a member of), or None."""
        entry = self.by_handle.get(watch_key(handle, network))
        if entry is not None:
            return entry.label
        for list_id in sorted(list_ids):
            if list_id in self.list_labels:
                return self.list_labels[list_id]
        return None


def parse_csv(text: str, source: str = "WATCHLIST_PATH") -> dict[str, WatchEntry]:
    """``handle,network,label,note`` (or ``handle,label,note``: X) lines; raises WatchlistError
    („WATCHLIST_PATH, Zeile 3: …“)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    entries: dict[str, WatchEntry] = {}
    header = tuple(cell.strip().lower() for cell in rows[0]) if rows else ()
    if header not in (HEADER, HEADER_NETWORKS):
        raise WatchlistError(f"{source}, Zeile 1: die Kopfzeile muss „handle,network,label,note“ "
                             "(oder „handle,label,note“ für X) lauten")
    columns = ",".join(header)
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{source}, Zeile {number}"
        if len(row) != len(header):
            raise WatchlistError(f"{where}: erwartet {len(header)} Spalten ({columns}), gefunden {len(row)}")
        cells = [cell.strip() for cell in row]
        network = _network(cells.pop(1), where) if header == HEADER_NETWORKS else Network.X
        handle, label, note = cells
        handle = handle.removeprefix("@")
        pattern, wrong = HANDLES[network]
        if not pattern.match(handle):
            raise WatchlistError(f"{where}: „{handle[:30]}“ ist {wrong}")
        if not label or len(label) > MAX_LABEL:
            raise WatchlistError(f"{where}: das Label fehlt oder ist länger als {MAX_LABEL} Zeichen")
        key = watch_key(handle, network)
        if key in entries:
            on = "" if network is Network.X else f" ({network.label})"
            raise WatchlistError(f"{where}: @{handle}{on} steht schon weiter oben")
        entries[key] = WatchEntry(handle, label, note, network)
    return entries


def _network(cell: str, where: str) -> Network:
    try:
        return Network(cell.lower())
    except ValueError:
        raise WatchlistError(f"{where}: „{cell[:20]}“ ist kein Netzwerk (x, bluesky oder mastodon)") from None


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
