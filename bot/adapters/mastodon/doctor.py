"""`doctor` check for Mastodon: the token works (verify_credentials), which account with how many followers,
and whether it may post (the scopes /api/v1/apps/verify_credentials reports, where the instance reports them)."""

from __future__ import annotations

from typing import Any

from bot.adapters.mastodon.client import Account, MastodonClient
from bot.adapters.mastodon.errors import NEW_TOKEN, MastodonFailure
from bot.core.errors import CheckSkipped, SpitzfederError
from bot.core.networks import Network
from bot.core.text.numbers import de_int
from bot.settings import Settings

WRITE_SCOPES = {"write", "write:statuses"}


def _require_settings(settings: Settings) -> None:
    """Raises CheckSkipped when Mastodon is not configured or not chosen, SpitzfederError when half configured."""
    values = {"MASTODON_BASE_URL": settings.mastodon_base_url.strip(),
              "MASTODON_ACCESS_TOKEN": settings.mastodon_access_token.get_secret_value()}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(values):
        raise CheckSkipped("keine Mastodon-Zugangsdaten (MASTODON_BASE_URL, MASTODON_ACCESS_TOKEN): Mastodon ist aus")
    if missing:
        raise SpitzfederError(f"Mastodon-Zugangsdaten unvollständig, es fehlt: {', '.join(missing)}. Beide eintragen "
                              "(oder beide leer lassen, dann wird nicht auf Mastodon gepostet).")
    if Network.MASTODON not in settings.active_networks:
        raise CheckSkipped("NETWORKS schließt Mastodon aus")


async def _write_permission(client: MastodonClient) -> str:
    """„darf posten“, or „Schreibrecht nicht prüfbar“; raises when the scopes leave out writing.

    The scopes are the app's: a token has at most these, so missing write scopes are certain, present ones
    are what the token was most likely made with."""
    try:
        app: Any = await client.call("app_verify_credentials")
    except MastodonFailure:
        return "Schreibrecht nicht prüfbar (die Instanz nennt die Berechtigungen nicht)"
    scopes = app.get("scopes") if isinstance(app, dict) else None
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, list) or not scopes:
        return "Schreibrecht nicht prüfbar (die Instanz nennt die Berechtigungen nicht)"
    if not WRITE_SCOPES & {str(scope) for scope in scopes}:
        raise SpitzfederError(f"Das Mastodon-Zugangstoken darf nicht posten (Berechtigungen: "
                              f"{', '.join(map(str, scopes))}). {NEW_TOKEN}")
    return "darf posten"


async def check_mastodon(settings: Settings) -> str:
    _require_settings(settings)
    client = MastodonClient.from_settings(settings)
    try:
        account: Account = await client.me()
    except MastodonFailure as exc:  # doctor shows what to fix, not what 🔁 does under a draft
        raise exc.without_posting_hints() from None
    followers = "Followerzahl unbekannt" if account.followers is None else f"{de_int(account.followers)} Follower"
    return f"Konto @{account.acct} auf {client.host}, {followers}, {await _write_permission(client)}"
