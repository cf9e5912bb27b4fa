"""ArticleFetcher against a local aiohttp server on 127.0.0.1 (no outside network)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2
import pytest
from aiohttp import web

from bot.adapters import news_fetch
from bot.adapters.news_fetch import ArticleFetcher, FetchedArticle
from bot.core.errors import NewsFetchError

HEADLINE = "Stadtrat beschließt neues Radwegenetz für die Innenstadt"
SENTENCES = [
    "Der Stadtrat hat am Dienstagabend mit knapper Mehrheit ein neues Radwegenetz für die Innenstadt beschlossen.",
    "Nach Angaben der Verwaltung sollen bis 2027 insgesamt 42 Kilometer geschützte Radwege entstehen.",
    "Die Kosten werden auf rund 18 Millionen Euro geschätzt, wovon das Land etwa die Hälfte übernehmen will.",
    "Kritik kam vor allem vom Einzelhandelsverband, der den Wegfall von rund 600 Parkplätzen bemängelt.",
    "Die Oberbürgermeisterin sprach dagegen von einem überfälligen Schritt für mehr Sicherheit im Verkehr.",
]
NAV_TEXT = "Startseite Politik Wirtschaft Sport Kultur Abo abschließen"
FOOTER_TEXT = "Impressum Datenschutz Kontakt © 2025 Musterstädter Anzeiger"

ARTICLE_HTML = f"""<!DOCTYPE html>
<html lang="de">
<head>
  <meta charset="utf-8">
  <title>{HEADLINE} | Musterstädter Anzeiger</title>
  <meta property="og:title" content="{HEADLINE}">
</head>
<body>
  <header><a href="/">Musterstädter Anzeiger</a></header>
  <nav><ul>{"".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in NAV_TEXT.split())}</ul></nav>
  <main>
    <article>
      <h1>{HEADLINE}</h1>
      <p class="byline">Von Erika Mustermann, 14.05.2025</p>
      {"".join(f"<p>{s}</p>" for s in SENTENCES)}
    </article>
  </main>
  <footer><p>{FOOTER_TEXT}</p></footer>
</body>
</html>
"""

EMPTY_HTML = """<!DOCTYPE html><html lang="de"><head><title>Seite</title></head>
<body><nav><a href="/">Startseite</a> <a href="/politik">Politik</a></nav>
<div id="app"></div><footer>Impressum</footer></body></html>"""

# „“ and – exist in Windows-1252 only: pages labelled ISO-8859-1 use them all the time.
LATIN1_SENTENCE = "Die Bürgerinnen und Bürger äußerten „große Sorge“ über die Schließung des Schwimmbads – zu Recht."
LATIN1_HTML = f"""<!DOCTYPE html><html lang="de"><head>{{meta}}<title>Schwimmbad schließt</title></head>
<body><article><h1>Schwimmbad schließt</h1>
{"".join(f"<p>{LATIN1_SENTENCE} Absatz {i}.</p>" for i in range(4))}
</article></body></html>"""

PNG_BODY = b"\x89PNG\r\n\x1a\n" + b"\0" * 500
SMALL_MAX_BYTES = 10_000
BIG_BODY = b"<html><body>" + "<p>Füllmaterial</p>".encode() * 2_000 + b"</body></html>"


@dataclass
class Server:
    base: str
    release: asyncio.Event  # set on teardown to free handlers that hang on purpose

    def url(self, path: str) -> str:
        return self.base + path


def _make_app(release: asyncio.Event) -> web.Application:
    async def article(_: web.Request) -> web.Response:
        return web.Response(text=ARTICLE_HTML, content_type="text/html", charset="utf-8")

    async def redirect(_: web.Request) -> web.Response:
        raise web.HTTPFound("/article")

    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def not_found(_: web.Request) -> web.Response:
        return web.Response(status=404, text="<html><body>Nicht gefunden</body></html>", content_type="text/html")

    async def server_error(_: web.Request) -> web.Response:
        return web.Response(status=500, text="kaputt")

    async def pdf(_: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", content_type="application/pdf")

    async def big(_: web.Request) -> web.Response:
        # web.Response sends Content-Length, so the fetcher can refuse before reading.
        return web.Response(body=BIG_BODY, content_type="text/html")

    async def big_chunked(request: web.Request) -> web.StreamResponse:
        # No Content-Length: the fetcher must stop while streaming.
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for start in range(0, len(BIG_BODY), 1_000):
            await response.write(BIG_BODY[start : start + 1_000])
        await response.write_eof()
        return response

    async def empty(_: web.Request) -> web.Response:
        return web.Response(text=EMPTY_HTML, content_type="text/html")

    async def slow(_: web.Request) -> web.Response:
        await release.wait()  # never answers while the test runs
        return web.Response(text=ARTICLE_HTML, content_type="text/html")

    async def trickle(request: web.Request) -> web.StreamResponse:
        # Sends a byte often enough to dodge the per-read timeout, but never finishes.
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            while not release.is_set():
                await response.write(b" ")
                await asyncio.sleep(0.02)
        except ConnectionError:
            pass  # the fetcher hung up
        return response

    async def latin1_header(_: web.Request) -> web.Response:
        body = LATIN1_HTML.replace("{meta}", "").encode("cp1252")
        return web.Response(body=body, headers={"Content-Type": "text/html; charset=ISO-8859-1"})

    async def latin1_meta(_: web.Request) -> web.Response:
        html = LATIN1_HTML.replace("{meta}", '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
        return web.Response(body=html.encode("cp1252"), headers={"Content-Type": "text/html"})

    async def octet_stream(request: web.Request) -> web.Response:
        # aiohttp labels untyped bodies application/octet-stream, as misconfigured servers do.
        body = ARTICLE_HTML.encode() if request.query.get("kind") == "html" else PNG_BODY
        return web.Response(body=body)

    app = web.Application()
    app.router.add_get("/article", article)
    app.router.add_get("/redirect", redirect)
    app.router.add_get("/loop", loop)
    app.router.add_get("/404", not_found)
    app.router.add_get("/500", server_error)
    app.router.add_get("/file.pdf", pdf)
    app.router.add_get("/big", big)
    app.router.add_get("/big-chunked", big_chunked)
    app.router.add_get("/empty", empty)
    app.router.add_get("/slow", slow)
    app.router.add_get("/trickle", trickle)
    app.router.add_get("/latin1-header", latin1_header)
    app.router.add_get("/latin1-meta", latin1_meta)
    app.router.add_get("/octet-stream", octet_stream)
    return app


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    release = asyncio.Event()
    runner = web.AppRunner(_make_app(release))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # port 0: ask the OS which one it picked
    try:
        yield Server(base=f"http://127.0.0.1:{port}", release=release)
    finally:
        release.set()
        await runner.cleanup()


@pytest.fixture
def fetcher() -> ArticleFetcher:
    return ArticleFetcher(timeout_seconds=5.0, allow_private_hosts=True)


async def _fetch_error(fetcher: ArticleFetcher, url: str) -> NewsFetchError:
    with pytest.raises(NewsFetchError) as info:
        await fetcher.fetch(url)
    error = info.value
    assert error.user_message and error.detail
    return error


async def test_extracts_article_text_and_title(server: Server, fetcher: ArticleFetcher) -> None:
    article = await fetcher.fetch(server.url("/article"))

    assert isinstance(article, FetchedArticle)
    assert article.url == server.url("/article")
    assert article.title == HEADLINE
    for sentence in SENTENCES:
        assert sentence in article.text
    for boilerplate in ("Startseite", "Abo abschließen", "Impressum", "Datenschutz"):
        assert boilerplate not in article.text


async def test_extraction_runs_off_the_event_loop(
    server: Server, fetcher: ArticleFetcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []
    real_extract = news_fetch._extract

    def spy(html: str, url: str) -> tuple[str | None, str]:
        threads.append(threading.current_thread())
        return real_extract(html, url)

    monkeypatch.setattr(news_fetch, "_extract", spy)
    await fetcher.fetch(server.url("/article"))
    assert threads and threads[0] is not threading.main_thread()


async def test_follows_redirect_and_reports_final_url(server: Server, fetcher: ArticleFetcher) -> None:
    article = await fetcher.fetch(server.url("/redirect"))

    assert article.url == server.url("/article")
    assert SENTENCES[0] in article.text


async def test_redirect_loop_is_bounded(server: Server, fetcher: ArticleFetcher) -> None:
    error = await _fetch_error(fetcher, server.url("/loop"))
    assert "zu oft weiter" in error.user_message


@pytest.mark.parametrize(("path", "status", "hint"), [("/404", 404, "URL prüfen"), ("/500", 500, "später")])
async def test_http_error_names_status(
    server: Server, fetcher: ArticleFetcher, path: str, status: int, hint: str
) -> None:
    error = await _fetch_error(fetcher, server.url(path))
    assert f"HTTP {status}" in error.user_message
    assert hint in error.user_message
    assert "direkt einfügen" in error.user_message
    assert str(status) in error.detail


async def test_rejects_pdf(server: Server, fetcher: ArticleFetcher) -> None:
    error = await _fetch_error(fetcher, server.url("/file.pdf"))
    assert "keine Webseite" in error.user_message
    assert "application/pdf" in error.user_message


async def test_rejects_oversize_by_content_length(server: Server) -> None:
    error = await _fetch_error(ArticleFetcher(max_bytes=SMALL_MAX_BYTES, allow_private_hosts=True), server.url("/big"))
    assert "zu groß (über 0,01 MB)" in error.user_message
    assert "Content-Length" in error.detail


async def test_rejects_oversize_while_streaming(server: Server) -> None:
    error = await _fetch_error(ArticleFetcher(max_bytes=SMALL_MAX_BYTES, allow_private_hosts=True), server.url("/big-chunked"))
    assert "zu groß" in error.user_message
    assert f"exceeded {SMALL_MAX_BYTES}" in error.detail


async def test_page_without_article_text(server: Server, fetcher: ArticleFetcher) -> None:
    error = await _fetch_error(fetcher, server.url("/empty"))
    assert "kein Artikeltext" in error.user_message


async def test_server_that_never_answers_times_out(server: Server) -> None:
    error = await _fetch_error(ArticleFetcher(timeout_seconds=0.2, allow_private_hosts=True), server.url("/slow"))
    assert "nicht rechtzeitig" in error.user_message


async def test_trickling_server_hits_overall_deadline(server: Server) -> None:
    # Each byte arrives well within the read timeout; only the overall deadline stops this.
    started = asyncio.get_running_loop().time()
    error = await _fetch_error(ArticleFetcher(timeout_seconds=0.2, allow_private_hosts=True), server.url("/trickle"))
    assert "nicht rechtzeitig" in error.user_message
    assert asyncio.get_running_loop().time() - started < 2


@pytest.mark.parametrize(
    "url",
    ["ftp://example.org/artikel.html", "keine url", "", "http://", "javascript:alert(1)", "http://[::1/x", "http://127.0.0.1:99999/"],
)
async def test_rejects_non_http_urls(fetcher: ArticleFetcher, url: str) -> None:
    error = await _fetch_error(fetcher, url)
    assert "keine gültige Webadresse" in error.user_message


async def test_connection_refused(fetcher: ArticleFetcher) -> None:
    # A bound but non-listening socket reserves the port, so the refusal is certain.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        error = await _fetch_error(fetcher, f"http://127.0.0.1:{port}/artikel")
    assert "nicht erreichbar" in error.user_message


@pytest.mark.parametrize("path", ["/latin1-header", "/latin1-meta"])
async def test_decodes_declared_charset(server: Server, fetcher: ArticleFetcher, path: str) -> None:
    article = await fetcher.fetch(server.url(path))
    assert LATIN1_SENTENCE in article.text


async def test_octet_stream_accepted_when_body_is_html(server: Server, fetcher: ArticleFetcher) -> None:
    article = await fetcher.fetch(server.url("/octet-stream?kind=html"))
    assert SENTENCES[-1] in article.text


async def test_octet_stream_rejected_when_body_is_not_html(server: Server, fetcher: ArticleFetcher) -> None:
    error = await _fetch_error(fetcher, server.url("/octet-stream?kind=png"))
    assert "keine erkennbare Webseite" in error.user_message


@pytest.mark.parametrize(("body", "ok"), [(ARTICLE_HTML.encode(), True), (PNG_BODY, False)])
async def test_missing_content_type_sniffs_body(body: bytes, ok: bool) -> None:
    # aiohttp always sends a Content-Type, so a mock transport serves the header-less case.
    transport = httpx2.MockTransport(lambda request: httpx2.Response(200, content=body))
    fetcher = ArticleFetcher(transport=transport, allow_private_hosts=True)
    if ok:
        article = await fetcher.fetch("https://zeitung.example/artikel")
        assert SENTENCES[0] in article.text
    else:
        error = await _fetch_error(fetcher, "https://zeitung.example/bild")
        assert "keine erkennbare Webseite" in error.user_message


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/article", "http://localhost/x", "http://10.1.2.3/",
                                 "http://[::1]/", "http://169.254.169.254/latest/meta-data"])
async def test_private_addresses_are_refused_by_default(url):
    error = await _fetch_error(ArticleFetcher(), url)
    assert "internes Netz" in error.user_message


async def test_redirect_into_the_private_network_is_refused():
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(302, headers={"Location": "http://127.0.0.1/admin"})

    fetcher = ArticleFetcher(transport=httpx2.MockTransport(handler))
    error = await _fetch_error(fetcher, "http://93.184.216.34/start")
    assert "internes Netz" in error.user_message
