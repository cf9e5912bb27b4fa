"""Reading the watchlist: the CSV at WATCHLIST_PATH and the X lists of WATCHLIST_X_LIST_IDS."""

from __future__ import annotations

from pathlib import Path

from bot.core.errors import ConfigError
from bot.core.reach.watchlist import Watchlist, WatchlistError, parse_csv, parse_list_ids

MAX_BYTES = 1_000_000


def load_watchlist(path: Path | None, list_ids: str) -> Watchlist:
    """The watchlist; raises ConfigError naming the file, the line and the problem."""
    try:
        labels = parse_list_ids(list_ids)
        if path is None:
            return Watchlist({}, labels)
        try:
            if path.stat().st_size > MAX_BYTES:
                raise ConfigError(f"WATCHLIST_PATH: {path} ist größer als 1 MB.")
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"WATCHLIST_PATH: die Datei {path} gibt es nicht.") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "kein UTF-8"
            raise ConfigError(f"WATCHLIST_PATH: {path} ist nicht lesbar ({reason}).") from None
        return Watchlist(parse_csv(text, f"WATCHLIST_PATH {path}"), labels)
    except WatchlistError as exc:
        raise ConfigError(str(exc)) from None
