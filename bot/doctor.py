"""`spitzfeder doctor`: check each part of the configuration and say how to fix what is wrong."""

from __future__ import annotations

from dataclasses import dataclass

from bot.adapters.discord.doctor import DISCORD_CHECKS
from bot.adapters.storage.database import create_engine, migrate
from bot.adapters.x.doctor import X_CHECKS
from bot.app import build_llm
from bot.core.drafting.prompts import PromptLibrary
from bot.core.errors import SpitzfederError
from bot.doctor_types import Check
from bot.settings import Settings


@dataclass(frozen=True)
class CheckResult:
    part: str
    ok: bool
    message: str


async def check_prompts(settings: Settings) -> str:
    PromptLibrary.load(settings.prompts_dir)
    return f"Vorlagen in {settings.prompts_dir} vollständig"


async def check_llm(settings: Settings) -> str:
    if not settings.openai_api_key.get_secret_value() and not settings.openai_base_url:
        raise SpitzfederError(
            "OPENAI_API_KEY fehlt. In .env setzen, oder OPENAI_BASE_URL auf einen lokalen Server "
            "(z. B. Ollama: http://localhost:11434/v1) zeigen lassen."
        )
    llm = build_llm(settings)
    try:
        return await llm.check_model()
    finally:
        await llm.aclose()


async def check_database(settings: Settings) -> str:
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    return f"{engine.url.render_as_string(hide_password=True)} beschreibbar, Schema aktuell"


CHECKS: list[tuple[str, Check]] = [
    ("Prompts", check_prompts),
    ("LLM", check_llm),
    ("Datenbank", check_database),
    *DISCORD_CHECKS,
    *X_CHECKS,
]


async def run_checks(settings: Settings, checks: list[tuple[str, Check]] | None = None) -> list[CheckResult]:
    results = []
    for part, check in checks or CHECKS:
        try:
            results.append(CheckResult(part, True, await check(settings)))
        except SpitzfederError as exc:
            results.append(CheckResult(part, False, exc.user_message))
    return results
