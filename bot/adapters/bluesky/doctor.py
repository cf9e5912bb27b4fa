"""`doctor` check for Bluesky: a session with handle and app password, the account, its followers, posting."""

from __future__ import annotations

from bot.adapters.bluesky.client import BlueskyClient, BlueskyError
from bot.core.errors import CheckSkipped, SpitzfederError
from bot.core.networks import Network
from bot.core.text.numbers import de_int
from bot.settings import Settings


async def check_bluesky(settings: Settings) -> str:
    handle, password = settings.bluesky_handle.strip(), settings.bluesky_app_password.get_secret_value()
    if not handle and not password:
        raise CheckSkipped("keine Bluesky-Zugangsdaten (BLUESKY_HANDLE, BLUESKY_APP_PASSWORD): Bluesky ist aus")
    if not handle or not password:
        missing = "BLUESKY_HANDLE" if not handle else "BLUESKY_APP_PASSWORD"
        raise SpitzfederError(f"Bluesky-Zugangsdaten unvollständig, es fehlt: {missing}. Beide eintragen (oder beide "
                              "leer lassen, dann bleibt Bluesky aus).")
    if Network.BLUESKY not in settings.active_networks:
        raise CheckSkipped("NETWORKS nennt bluesky nicht: Bluesky ist aus")
    client = BlueskyClient.from_settings(settings)
    try:
        account = await client.account()
    except BlueskyError as exc:  # doctor shows what to fix, not what 🔁 does under a draft
        raise exc.without_posting_hints() from None
    followers = "Followerzahl unbekannt" if account.followers is None else f"{de_int(account.followers)} Follower"
    return f"Konto @{account.handle}, {followers}, darf posten ({_password_kind(client.scope)}, PDS {client.pds_host})"


def _password_kind(scope: str | None) -> str:
    if scope == "com.atproto.access":
        return ("mit dem Hauptpasswort des Kontos: besser in Bluesky unter Einstellungen → Datenschutz und "
                "Sicherheit → App-Passwörter ein App-Passwort anlegen und in BLUESKY_APP_PASSWORD eintragen")
    return "App-Passwort" if scope and scope.startswith("com.atproto.appPass") else "Passwort"
