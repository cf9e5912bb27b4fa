"""`doctor` checks for X: the keys work (get_me), the app may write, and which account with how many followers."""

from __future__ import annotations

from bot.adapters.x.client import Account, XClient, XError
from bot.core.errors import CheckSkipped, SpitzfederError
from bot.core.networks import Network
from bot.core.text.numbers import de_int
from bot.settings import Settings

_KEYS = ("x_api_key", "x_api_secret", "x_access_token", "x_access_token_secret")


def _dry_run_reason(settings: Settings) -> str | None:
    """Why nothing will reach X, or None; raises when the keys are only partly set."""
    if settings.dry_run:
        return "DRY_RUN=true: Posts werden nur simuliert und nicht getrackt"
    missing = [key.upper() for key in _KEYS if not getattr(settings, key).get_secret_value()]
    if Network.X not in settings.active_networks:
        raise CheckSkipped("X ist aus: " + ("NETWORKS nennt x nicht" if not missing else "keine X-Zugangsdaten"))
    if len(missing) == len(_KEYS):
        return "keine X-Zugangsdaten: Testbetrieb, Posts werden nur simuliert und nicht getrackt"
    if missing:
        raise SpitzfederError(f"X-Zugangsdaten unvollständig, es fehlt: {', '.join(missing)}. Alle vier aus "
                              "derselben App eintragen (oder alle leer lassen für den Testbetrieb).")
    return None


async def _account(settings: Settings) -> Account:
    try:
        return await XClient.from_settings(settings).me()
    except XError as exc:  # doctor shows what to fix, not what 🔁 does under a draft
        raise exc.without_posting_hints() from None


async def check_x_account(settings: Settings) -> str:
    reason = _dry_run_reason(settings)
    if reason:
        return reason
    account = await _account(settings)
    followers = "Followerzahl unbekannt" if account.followers is None else f"{de_int(account.followers)} Follower"
    return f"Konto @{account.username}, {followers}"


async def check_x_write(settings: Settings) -> str:
    if _dry_run_reason(settings):
        raise CheckSkipped("im Testbetrieb wird nichts gepostet")
    level = (await _account(settings)).access_level
    if level is None:
        return "X meldet die Berechtigung nicht (X-Access-Level fehlt); sie zeigt sich beim ersten Post"
    if "write" not in level:
        raise SpitzfederError(
            f"Die X-App darf nur lesen ({level}). Im X-Entwicklerportal unter „User authentication settings“ "
            "auf „Read and write“ stellen, danach Access Token und Secret neu erzeugen und in .env eintragen.")
    return f"die App darf posten ({level})"

