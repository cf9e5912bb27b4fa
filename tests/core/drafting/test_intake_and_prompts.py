import logging
from datetime import date

import pytest
from aiohttp import web

from bot.adapters.news_fetch import FetchedArticle
from bot.cli import main
from bot.core.drafting.intake import obtain_news, split_url
from bot.core.drafting.prompts import PromptError, PromptLibrary, fence
from bot.core.drafting.service import DraftingService
from bot.core.errors import InputError, NewsFetchError
from bot.logs import REDACTED, SecretFilter, secret_values
from bot.settings import DEFAULT_PROMPTS_DIR, Settings
from tests.fakes.llm import ScriptedLLM
from tests.fakes.samples import GOOD_DRAFTS, NEWS
from tests.fakes.threaded_server import ThreadedServer

ARTICLE = f"""<html><head><title>Nahverkehr wird teurer</title></head><body>
<nav>Startseite Politik Sport</nav><article><h1>Nahverkehr wird teurer</h1>
{"".join(f"<p>{sentence}.</p>" for sentence in NEWS.split(". "))}</article><footer>Impressum</footer></body></html>"""


@pytest.fixture
def article_server():
    app = web.Application()
    async def article(request):
        return web.Response(text=ARTICLE, content_type="text/html")

    app.router.add_get("/artikel", article)
    server = ThreadedServer(app).start()
    yield server
    server.stop()


class FailingSource:
    async def fetch(self, url):
        raise NewsFetchError("Die Seite antwortete mit HTTP 404.")


@pytest.fixture
def drafting():
    return DraftingService(ScriptedLLM(), PromptLibrary.load(DEFAULT_PROMPTS_DIR))


@pytest.mark.parametrize(("message", "rest", "url"), [
    ("Bitte dazu: https://example.com/a?b=1.", "Bitte dazu: .", "https://example.com/a?b=1"),
    ("<https://example.com/x> wichtig", "wichtig", "https://example.com/x"),
    ("(siehe https://example.com/y)", "(siehe )", "https://example.com/y"),
    ("nur Text", "nur Text", None),
])
def test_split_url(message, rest, url):
    assert split_url(message) == (rest, url)


async def test_pasted_text_is_the_fallback_when_the_page_fails(drafting):
    news = await obtain_news(drafting, FailingSource(), text=NEWS, url="https://example.com/a")
    assert news.text == NEWS and news.url == "https://example.com/a"


async def test_the_article_brings_its_outlet_and_date(drafting):
    class Source:
        async def fetch(self, url):
            return FetchedArticle(url, "Nahverkehr wird teurer", NEWS, "Hamburger Abendblatt", date(2026, 11, 24))

    news = await obtain_news(drafting, Source(), url="https://www.abendblatt.de/a")
    assert (news.url, news.title, news.outlet, news.published) == (
        "https://www.abendblatt.de/a", "Nahverkehr wird teurer", "Hamburger Abendblatt", date(2026, 11, 24))
    pasted = await obtain_news(drafting, FailingSource(), text=NEWS, url="https://www.abendblatt.de/a")
    assert (pasted.outlet, pasted.published) == (None, None)  # the source line falls back to the host


async def test_page_failure_without_enough_text_is_reported(drafting):
    with pytest.raises(NewsFetchError):
        await obtain_news(drafting, FailingSource(), text="siehe Link", url="https://example.com/a")


async def test_nothing_given(drafting):
    with pytest.raises(InputError):
        await obtain_news(drafting, FailingSource(), text=" ")


def test_cli_drafts_from_a_url(capsys, llm_env, monkeypatch, article_server):
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", "true")
    llm_env.reply_drafts(*GOOD_DRAFTS)
    assert main(["draft", "--url", article_server.base_url + "/artikel", "--no-save"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Meldung: Nahverkehr wird teurer (de)")
    prompt = llm_env.requests[0]["payload"]["messages"][1]["content"]
    assert "gestiegenen Energiekosten" in prompt and "Impressum" not in prompt


def test_cli_reports_a_missing_page(capsys, llm_env, monkeypatch, article_server):
    monkeypatch.setenv("FETCH_ALLOW_PRIVATE_HOSTS", "true")
    assert main(["draft", "--url", article_server.base_url + "/weg"]) == 2
    assert "HTTP 404" in capsys.readouterr().err and llm_env.requests == []


def test_cli_refuses_private_addresses_by_default(capsys, llm_env, article_server):
    assert main(["draft", "--url", article_server.base_url + "/artikel"]) == 2
    assert "internes Netz" in capsys.readouterr().err


def test_fence_removes_only_the_tag():
    assert fence("a </meldung_ab> b <MELDUNG_AB > c <meldung_x>", "meldung_ab") == "a  b  c <meldung_x>"


def test_broken_template_is_named(tmp_path):
    for name in ("system", "draft", "repair", "refine"):
        (tmp_path / f"{name}.txt").write_text((DEFAULT_PROMPTS_DIR / f"{name}.txt").read_text())
    (tmp_path / "draft.txt").write_text("Schreibe Fragen zu $news")
    with pytest.raises(PromptError) as info:
        PromptLibrary.load(tmp_path)
    assert "draft.txt" in info.value.user_message and "$count" in info.value.user_message
    (tmp_path / "draft.txt").unlink()
    with pytest.raises(PromptError, match="fehlt"):
        PromptLibrary.load(tmp_path)


def test_secrets_never_reach_the_log(monkeypatch, caplog):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret-value")
    monkeypatch.setenv("DISCORD_TOKEN", "discord-secret-token")
    settings = Settings()
    assert "sk-very-secret-value" not in repr(settings)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "key %s and %s", ("sk-very-secret-value",
                               "discord-secret-token"), None)
    SecretFilter(secret_values(settings)).filter(record)
    assert record.getMessage() == f"key {REDACTED} and {REDACTED}"
