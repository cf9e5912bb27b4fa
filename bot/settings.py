"""The one place for configuration: typed settings from the environment and `.env`.

Secrets are `SecretStr`, so they print as '**********' in logs, reprs and errors.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.drafting.limits import MAX_COUNT, MAX_REPLY_CHARS, MIN_COUNT
from bot.core.drafting.tone import TONES
from bot.core.errors import ConfigError
from bot.core.networks import ORDER as NETWORK_ORDER
from bot.core.networks import Network
from bot.core.planning.best_time import parse_weekly_time
from bot.core.reach.watchlist import parse_list_ids
from bot.core.timespec import parse_schedule, parse_time_of_day, parse_weekday

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # the source checkout when run from one; nothing installed relies on it
DEFAULT_PROMPTS_DIR = PACKAGE_DIR / "prompts"  # the templates shipped with the package
HOME_VARIABLE = "SPITZFEDER_HOME"
DATABASE_FILE = "spitzfeder.db"
ENV_FILE = ".env"


def default_home() -> Path:
    """The user's data folder for Spitzfeder: `$XDG_DATA_HOME/spitzfeder`, else `~/.local/share/spitzfeder`."""
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return (base / "spitzfeder").absolute()


def spitzfeder_home() -> Path:
    """`SPITZFEDER_HOME` from the environment, else the default data folder."""
    value = os.environ.get(HOME_VARIABLE, "").strip()
    return Path(value).expanduser().absolute() if value else default_home()


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"

IdList = Annotated[list[int], NoDecode]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LLM_KEY_MISSING = ("OPENAI_API_KEY fehlt. In .env setzen, oder OPENAI_BASE_URL auf einen lokalen Server "
                   "(z. B. Ollama: http://localhost:11434/v1) zeigen lassen.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    # --- where things live ---
    spitzfeder_home: Path = Field(default_factory=spitzfeder_home)

    # --- LLM (any OpenAI-compatible server) ---
    openai_api_key: SecretStr = SecretStr("")
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(60.0, gt=0)
    llm_max_attempts: int = Field(3, ge=1, le=10)
    llm_max_reply_chars: int = Field(MAX_REPLY_CHARS, ge=1_000)

    # --- drafting ---
    prompts_dir: Path | None = None  # own templates; each file found there replaces the shipped one
    draft_count: int = Field(4, ge=MIN_COUNT, le=MAX_COUNT)
    max_news_chars: int = Field(20_000, ge=500)
    fetch_timeout_seconds: float = Field(15.0, gt=0)
    fetch_max_bytes: int = Field(3_000_000, ge=10_000)
    fetch_allow_private_hosts: bool = False  # only for a news server on your own network

    # --- storage ---
    database_url: str = ""  # empty: the SQLite file spitzfeder.db in SPITZFEDER_HOME
    database_busy_seconds: float = Field(5.0, gt=0, le=120)
    database_start_wait_seconds: float = Field(60.0, ge=0, le=3600)  # `run` waits this long for the server

    # --- Discord ---
    discord_token: SecretStr = SecretStr("")
    discord_channel_ids: IdList = []
    dm_allowed_user_ids: IdList = []
    approver_role_ids: IdList = []
    approver_user_ids: IdList = []
    approvals_required: int = Field(1, ge=1, le=10)
    allow_self_approval: bool = True
    post_undo_seconds: int = Field(30, ge=0, le=3600)
    reconcile_wait_seconds: int = Field(60, ge=0, le=3600)
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None

    # --- X ---
    x_api_key: SecretStr = SecretStr("")
    x_api_secret: SecretStr = SecretStr("")
    x_access_token: SecretStr = SecretStr("")
    x_access_token_secret: SecretStr = SecretStr("")
    x_bearer_token: SecretStr = SecretStr("")
    x_api_base_url: str | None = None
    dry_run: bool = False
    source_as_reply: bool = True  # the reply „Quelle: <Medium>, <Datum> <URL>" under each post with a news link
    metrics_schedule: str = "1h,6h,24h,48h,7d"
    x_read_budget_month: int = Field(10_000, ge=0)

    # --- daily summary ---
    summary_time: str = "18:00"
    weekly_summary_day: str = "montag"  # on this day the summary adds the week; „aus": never
    timezone: str = "Europe/Berlin"
    summary_channel_id: int | None = None

    # --- running as a service ---
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    health_port: int | None = Field(None, ge=1, le=65535)  # GET /healthz on 127.0.0.1 while the bot runs

    # --- trust before posting: the approval gate ---
    # Which drafts need an approver's ✅ „Quelle geprüft" before their votes approve them: those with a premise
    # warning or without evidence (warned), every draft (always), none (never).
    source_confirmation: Literal["warned", "always", "never"] = "warned"

    # --- who carried it: amplifiers, notable accounts, reach beyond our followers ---
    amplifier_schedule: str = "6h,24h,7d"  # when reposters and quoters are read (only if the counts grew)
    amplifier_max_pages: int = Field(1, ge=1, le=10)  # pages of 100 per endpoint and step
    notable_followers: int = Field(10_000, ge=0)  # from this many followers an amplifier is notable
    watchlist_path: Path | None = None  # CSV handle,network,label,note
    watchlist_x_list_ids: str = ""  # X list ids, each optionally with a label: 123,456:MdB
    follower_scan_max: int = Field(2_000, ge=0, le=100_000)  # our followers are compared only up to this many
    follower_scan_days: int = Field(7, ge=1, le=365)  # read our follower list at most this often

    @field_validator("amplifier_schedule")
    @classmethod
    def _valid_amplifier_schedule(cls, value: str) -> str:
        try:
            parse_schedule(value)
        except ValueError as exc:
            raise ValueError(str(exc).replace("METRICS_SCHEDULE", "AMPLIFIER_SCHEDULE").replace(
                "1h,6h,24h,48h,7d", "6h,24h,7d")) from None
        return value

    @field_validator("watchlist_x_list_ids")
    @classmethod
    def _valid_list_ids(cls, value: str) -> str:
        parse_list_ids(value)
        return value

    @field_validator("watchlist_path", mode="before")
    @classmethod
    def _no_watchlist(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # --- trust in drafting: premise check, tone, hashtags, handles ---
    premise_check: bool = True  # one more LLM request per draft set: does the news back each question's premise?
    tone_default: str = "zugespitzt"  # sachlich, zugespitzt, ironisch, konstruktiv
    hashtags_max: int = Field(1, ge=0, le=10)  # more hashtags in a draft: a warning
    handle_allowlist: Annotated[list[str], NoDecode] = []  # @handles the model may always use (e.g. the team's own)

    # --- learning what works: pattern statistics and the draft prompt's „Was bei uns gut lief“ ---
    learn_from_history: bool = True  # the best past posts go into draft and refine prompts (from 5 tracked posts)
    learning_window_days: int = Field(90, ge=1, le=3650)  # days of posts for /muster and the draft prompt's block

    # --- more networks: Bluesky and Mastodon (a network is active when its credentials are complete) ---
    bluesky_handle: str = ""
    bluesky_app_password: SecretStr = SecretStr("")
    bluesky_pds_url: str = "https://bsky.social"
    mastodon_base_url: str = ""
    mastodon_access_token: SecretStr = SecretStr("")
    mastodon_visibility: Literal["public", "unlisted", "private"] = "public"
    networks: Annotated[list[Network], NoDecode] = []  # empty: every active network; else x, bluesky, mastodon

    # --- monthly client reports ---
    display_name: str = Field("Spitzfeder", min_length=1, max_length=100)  # the account's name in reports

    @field_validator("networks", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        chosen = []
        for part in (part.strip().casefold() for part in value.replace(";", ",").split(",")):
            if not part:
                continue
            try:
                chosen.append(Network(part))
            except ValueError:
                raise ValueError(f"NETWORKS: „{part}“ ist kein Netzwerk; erlaubt sind x, bluesky, mastodon") from None
        return chosen

    # --- several accounts in one bot ---
    accounts_file: Path | None = None  # TOML with [accounts.<name>] tables; empty: one account from this environment
    style_path: Path | None = None  # the house style (as style.txt) of this account; replaces PROMPTS_DIR's

    @field_validator("accounts_file", "style_path", mode="before")
    @classmethod
    def _no_accounts_file(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    # --- planned posts (⏰, /planen, /warteschlange) ---
    plan_stale_hours: int = Field(6, ge=1, le=24 * 14)  # a planned post this late (the bot was down) asks again
    best_time: str = "Di 08:00"  # „zur besten Zeit" while fewer than 10 posts have numbers: weekday and time

    @field_validator("best_time")
    @classmethod
    def _valid_best_time(cls, value: str) -> str:
        try:
            parse_weekly_time(value)
        except ValueError as error:
            raise ValueError(f"BEST_TIME: {error}") from None
        return value.strip()

    _env_file_used: Path | None = PrivateAttr(default=None)

    @property
    def env_file_used(self) -> Path | None:
        """The `.env` the settings were read from (set by `load_settings`), None for none."""
        return self._env_file_used

    @property
    def earlier_database_problem(self) -> str | None:
        """A database at ``./data/spitzfeder.db`` (the default before SPITZFEDER_HOME) while the default one in
        the home does not exist yet: starting now would begin with an empty database by mistake."""
        earlier, default = Path.cwd() / "data" / DATABASE_FILE, self.spitzfeder_home / DATABASE_FILE
        if self.database_url != sqlite_url(default) or default.exists() or not earlier.is_file():
            return None
        return (f"{earlier} (der frühere Standardort) wird nicht mehr verwendet; die Datenbank liegt jetzt unter "
                f"{default}. Die Datei dorthin verschieben oder DATABASE_URL={sqlite_url(earlier)} setzen.")

    @property
    def llm_key_missing(self) -> bool:
        """No key and no own server: every request would go to OpenAI without a key."""
        return not self.openai_api_key.get_secret_value() and not self.openai_base_url

    @property
    def x_credentials_complete(self) -> bool:
        keys = (self.x_api_key, self.x_api_secret, self.x_access_token, self.x_access_token_secret)
        return all(key.get_secret_value() for key in keys)

    @property
    def bluesky_credentials_complete(self) -> bool:
        return bool(self.bluesky_handle.strip() and self.bluesky_app_password.get_secret_value())

    @property
    def mastodon_credentials_complete(self) -> bool:
        return bool(self.mastodon_base_url.strip() and self.mastodon_access_token.get_secret_value())

    @property
    def active_networks(self) -> list[Network]:
        """Networks with complete credentials (X also in dry run), narrowed by NETWORKS; in the usual order."""
        others = self.bluesky_credentials_complete or self.mastodon_credentials_complete
        complete = {Network.X: self.x_credentials_complete or (self.dry_run and not others),
                    Network.BLUESKY: self.bluesky_credentials_complete,
                    Network.MASTODON: self.mastodon_credentials_complete}
        wanted = set(self.networks) or set(Network)
        active = [network for network in NETWORK_ORDER if complete[network] and network in wanted]
        return active or [Network.X]  # nothing usable: X, whose missing keys are then reported as before

    @field_validator(
        "discord_channel_ids", "dm_allowed_user_ids", "approver_role_ids", "approver_user_ids", mode="before"
    )
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        parts = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        for part in parts:
            if not part.isdigit():
                raise ValueError(f"„{part}“ ist keine ID; erwartet werden Zahlen, durch Kommas getrennt")
        return [int(part) for part in parts]

    @field_validator("tone_default", mode="before")
    @classmethod
    def _valid_tone(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().casefold()
            if value not in TONES:
                raise ValueError(f"TONE_DEFAULT: „{value}“ ist kein Ton; erlaubt sind {', '.join(TONES)}")
        return value

    @field_validator("handle_allowlist", mode="before")
    @classmethod
    def _split_handles(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        handles = [part.strip().lstrip("@") for part in value.replace(";", ",").split(",") if part.strip()]
        for handle in handles:
            if not handle.replace("_", "").isalnum() or not handle.isascii() or len(handle) > 15:
                raise ValueError(f"HANDLE_ALLOWLIST: „{handle}“ ist kein X-Handle (Buchstaben, Ziffern, _; "
                                 "höchstens 15 Zeichen)")
        return [handle.lower() for handle in handles]

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_schedule")
    @classmethod
    def _valid_schedule(cls, value: str) -> str:
        parse_schedule(value)
        return value

    @field_validator("weekly_summary_day")
    @classmethod
    def _valid_weekday(cls, value: str) -> str:
        parse_weekday(value)
        return value

    @field_validator("summary_time")
    @classmethod
    def _valid_summary_time(cls, value: str) -> str:
        parse_time_of_day(value)
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ValueError, KeyError):
            raise ValueError(f"TIMEZONE: „{value}“ ist keine Zeitzone wie Europe/Berlin") from None
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _valid_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL: „{value}“ ist keine Protokollstufe; erlaubt sind {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("spitzfeder_home", mode="before")
    @classmethod
    def _home(cls, value: object) -> object:
        if isinstance(value, str):
            return Path(value.strip()).expanduser().absolute() if value.strip() else spitzfeder_home()
        return value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url.strip():
            self.database_url = sqlite_url(self.spitzfeder_home / DATABASE_FILE)
        return self

    @field_validator(
        "openai_base_url", "discord_api_base_url", "discord_gateway_url", "x_api_base_url", "summary_channel_id",
        "health_port", "prompts_dir", mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


def env_file_candidates() -> list[Path]:
    """Where a `.env` is looked for, the first found wins: the current directory, then SPITZFEDER_HOME."""
    return [Path.cwd() / ENV_FILE, spitzfeder_home() / ENV_FILE]


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a folder we may not look into
        return False


def find_env_file(explicit: Path | None = None) -> Path | None:
    """The `.env` to read: ``explicit`` (which must exist), else the first of `env_file_candidates()`."""
    if explicit is not None:
        if not _is_file(explicit):
            raise ConfigError(f"Die Konfigurationsdatei {explicit} gibt es nicht (--env-file).")
        return explicit
    return next((path for path in env_file_candidates() if _is_file(path)), None)


def load_settings(env_file: Path | None = None) -> Settings:
    """The settings from the environment and one `.env` (see `find_env_file`); the environment wins.

    Raises ValidationError for invalid values and ConfigError for a `.env` that cannot be read.
    """
    found = find_env_file(env_file)
    if found is not None:
        try:
            with found.open(encoding="utf-8") as handle:
                handle.read(1)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Die Konfigurationsdatei {found} ist nicht lesbar "
                              f"({getattr(exc, 'strerror', None) or 'kein UTF-8'}).", detail=str(exc)) from exc
    settings = Settings(_env_file=found)
    settings._env_file_used = found
    return settings


# --- configuration errors in German, one line per variable ---

_NUMBER_ERRORS = {"int_parsing", "int_from_float", "int_type", "float_parsing", "float_type", "finite_number",
                  "greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_BOOL_ERRORS = {"bool_parsing", "bool_type"}
_SHOWN_INPUT_CHARS = 60


def _expected_number(name: str) -> str:
    """What a numeric setting must be, from its type and bounds: 'eine ganze Zahl zwischen 0 und 3600'."""
    field = Settings.model_fields[name]
    kind = "eine ganze Zahl" if int in (field.annotation, *getattr(field.annotation, "__args__", ())) else "eine Zahl"
    bounds = {key: getattr(item, key) for item in field.metadata for key in ("ge", "gt", "le", "lt")
              if getattr(item, key, None) is not None}
    low, high = bounds.get("ge"), bounds.get("le")
    if low is not None and high is not None:
        return f"{kind} zwischen {low:g} und {high:g}"
    parts = [kind]
    if low is not None:
        parts.append(f"ab {low:g}")
    if "gt" in bounds:
        parts.append(f"größer als {bounds['gt']:g}")
    if high is not None:
        parts.append(f"bis {high:g}")
    if "lt" in bounds:
        parts.append(f"kleiner als {bounds['lt']:g}")
    return " ".join(parts)


def _reason(name: str, error: Any) -> str:
    """The German reason for one pydantic error of the setting ``name`` (a field name)."""
    kind = error["type"]
    field = Settings.model_fields.get(name)
    secret = field is not None and field.annotation is SecretStr
    shown = str(error.get("input", ""))
    if len(shown) > _SHOWN_INPUT_CHARS:
        shown = shown[:_SHOWN_INPUT_CHARS] + "…"
    was = "" if secret else f" (war „{shown}“)"
    if kind == "value_error" and isinstance(error.get("ctx", {}).get("error"), ValueError):
        return str(error["ctx"]["error"])  # our validators' German messages
    if kind in _NUMBER_ERRORS and field is not None:
        return f"muss {_expected_number(name)} sein{was}"
    if kind in _BOOL_ERRORS:
        return f"muss true oder false sein{was}"
    if kind == "literal_error" and field is not None:
        *first, last = [str(choice) for choice in get_args(field.annotation)]
        return f"muss {', '.join(first)} oder {last} sein{was}"
    return f"ungültiger Wert{was}"


def configuration_problems(error: ValidationError) -> list[str]:
    """One German line per invalid variable, in the order of the settings: 'TIMEZONE: „Mars“ ist keine Zeitzone …'."""
    order = list(Settings.model_fields)
    reasons: dict[str, str] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item.get("loc") else ""
        reasons.setdefault(name, _reason(name, item))
    ranked = sorted(reasons.items(), key=lambda pair: order.index(pair[0]) if pair[0] in order else len(order))
    # A validator's message may name its variable already ('TIMEZONE: „Mars“ …', 'METRICS_SCHEDULE ist leer').
    return [reason if not name or reason.startswith(name.upper()) else f"{name.upper()}: {reason}"
            for name, reason in ranked]
