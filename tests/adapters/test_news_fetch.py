"""ArticleFetcher against a local aiohttp server on 127.0.0.1 (no outside network)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

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

# The outlet's name and the article's date in the page's metadata, as news sites give them.
METADATA_HTML = ARTICLE_HTML.replace(
    '<meta property="og:title"',
    '<meta property="og:site_name" content="Musterstädter Anzeiger">\n'
    '  <meta property="article:published_time" content="2026-11-24T09:30:00+01:00">\n  <meta property="og:title"',
).replace('<p class="byline">Von Erika Mustermann, 14.05.2025</p>', "")
UNDATED_HTML = ARTICLE_HTML.replace('<p class="byline">Von Erika Mustermann, 14.05.2025</p>', "")

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

    async def with_metadata(_: web.Request) -> web.Response:
        return web.Response(text=METADATA_HTML, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/article", article)
    app.router.add_get("/with-metadata", with_metadata)
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
    port = runner.addresses[0][1]  # port 0: ask the OS which one it picked
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
    fetcher = ArticleFetcher(max_bytes=SMALL_MAX_BYTES, allow_private_hosts=True)
    error = await _fetch_error(fetcher, server.url("/big-chunked"))
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


# --- DNS rebinding: the connection goes to the address that was checked ---


class ScriptedResolver:
    """Stands in for the event loop's resolver: scripted answers per host name, one list per call.

    The last answer repeats. IP literals resolve numerically; any other name fails the test,
    so nothing here can reach a real DNS server.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, answers: dict[str, list[list[str]]]) -> None:
        self._real = loop.getaddrinfo
        self._answers = answers
        self.calls: list[str] = []

    async def getaddrinfo(self, host, port, *, family=0, type=0, proto=0, flags=0):  # noqa: A002 -- loop's names
        if isinstance(host, bytes):  # anyio passes the IDNA-encoded name
            host = host.decode("ascii")
        if host in self._answers:
            script = self._answers[host]
            answer = script[min(self.calls.count(host), len(script) - 1)]
            self.calls.append(host)
            if not answer:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [
                (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port or 0, 0, 0)) if ":" in a
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
                for a in answer
            ]
        return await self._real(host, port, family=family, type=type, proto=proto, flags=flags | socket.AI_NUMERICHOST)


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch):
    def install(answers: dict[str, list[list[str]]]) -> ScriptedResolver:
        loop = asyncio.get_running_loop()
        resolver = ScriptedResolver(loop, answers)
        monkeypatch.setattr(loop, "getaddrinfo", resolver.getaddrinfo)
        return resolver

    return install


@dataclass
class Seen:
    host: str  # the Host header
    local: str  # the server address the connection reached
    sni: list[str]


@pytest.fixture
async def recording_server() -> AsyncIterator[tuple[int, list[Seen]]]:
    """Serves the article on 127.0.0.1 and records where each request arrived; /hop redirects by name."""
    seen: list[Seen] = []

    async def article(request: web.Request) -> web.Response:
        assert request.transport is not None
        seen.append(Seen(request.host, request.transport.get_extra_info("sockname")[0], []))
        return web.Response(text=ARTICLE_HTML, content_type="text/html", charset="utf-8")

    async def hop(request: web.Request) -> web.Response:
        seen.append(Seen(request.host, "", []))
        raise web.HTTPFound(f"http://{request.query['to']}/article")

    async def with_metadata(_: web.Request) -> web.Response:
        return web.Response(text=METADATA_HTML, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/article", article)
    app.router.add_get("/with-metadata", with_metadata)
    app.router.add_get("/hop", hop)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1], seen
    finally:
        await runner.cleanup()


async def test_connects_to_the_checked_address_not_to_a_second_answer(recording_server, resolve) -> None:
    port, seen = recording_server
    # A rebinding name: the first answer is the one checked; any later one points elsewhere
    # (nothing listens on 127.0.0.2, so connecting there would fail the fetch).
    resolver = resolve({"nachrichten.test": [["127.0.0.1"], ["127.0.0.2"]]})

    article = await ArticleFetcher(allow_private_hosts=True).fetch(f"http://nachrichten.test:{port}/article")

    assert article.title == HEADLINE
    assert resolver.calls == ["nachrichten.test"]  # resolved once: the client did not ask again
    assert [(s.host, s.local) for s in seen] == [(f"nachrichten.test:{port}", "127.0.0.1")]


async def test_every_redirect_hop_is_resolved_once_and_pinned(recording_server, resolve) -> None:
    port, seen = recording_server
    resolver = resolve({"nachrichten.test": [["127.0.0.1"], ["127.0.0.2"]],
                        "umleitung.test": [["127.0.0.1"], ["127.0.0.2"]]})

    article = await ArticleFetcher(allow_private_hosts=True).fetch(
        f"http://nachrichten.test:{port}/hop?to=umleitung.test:{port}")

    assert article.url == f"http://umleitung.test:{port}/article"
    assert resolver.calls == ["nachrichten.test", "umleitung.test"]
    assert [s.host for s in seen] == [f"nachrichten.test:{port}", f"umleitung.test:{port}"]
    assert seen[-1].local == "127.0.0.1"


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["10.0.0.7"], ["::1"]])
async def test_name_resolving_to_a_private_address_is_refused_before_connecting(
    recording_server, resolve, answer
) -> None:
    port, seen = recording_server
    resolve({"nachrichten.test": [answer]})

    error = await _fetch_error(ArticleFetcher(), f"http://nachrichten.test:{port}/article")

    assert "internes Netz" in error.user_message
    assert seen == []


async def test_redirect_to_a_name_resolving_privately_is_refused(resolve) -> None:
    requested: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        requested.append(str(request.url))
        return httpx2.Response(302, headers={"Location": "http://intranet.test/admin"})

    resolver = resolve({"zeitung.test": [["93.184.216.34"]], "intranet.test": [["192.168.1.10"]]})
    error = await _fetch_error(ArticleFetcher(transport=httpx2.MockTransport(handler)), "http://zeitung.test/start")

    assert "internes Netz" in error.user_message and "192.168.1.10" in error.detail
    assert requested == ["http://zeitung.test/start"]
    assert resolver.calls == ["zeitung.test", "intranet.test"]


@pytest.mark.parametrize("allow_private", [False, True])
async def test_name_that_does_not_resolve_is_unreachable(resolve, allow_private: bool) -> None:
    resolve({"gibt-es-nicht.test": [[]]})
    error = await _fetch_error(ArticleFetcher(allow_private_hosts=allow_private), "http://gibt-es-nicht.test/a")
    assert "nicht erreichbar" in error.user_message
    assert "does not resolve" in error.detail


# --- HTTPS to a pinned address: Host header, SNI and certificate check stay on the name ---


def _self_signed(folder, name: str) -> tuple[str, str]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


@pytest.fixture
async def tls_server(tmp_path) -> AsyncIterator[tuple[int, list[Seen], str]]:
    """HTTPS on 127.0.0.1 with a certificate for nachrichten.test only (no IP in it)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = _self_signed(tmp_path, "nachrichten.test")
    sni: list[str] = []
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: sni.append(name)
    seen: list[Seen] = []

    async def article(request: web.Request) -> web.Response:
        assert request.transport is not None
        seen.append(Seen(request.host, request.transport.get_extra_info("sockname")[0], list(sni)))
        return web.Response(text=ARTICLE_HTML, content_type="text/html", charset="utf-8")

    async def with_metadata(_: web.Request) -> web.Response:
        return web.Response(text=METADATA_HTML, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/article", article)
    app.router.add_get("/with-metadata", with_metadata)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    try:
        yield runner.addresses[0][1], seen, cert
    finally:
        await runner.cleanup()


async def test_https_keeps_host_sni_and_certificate_check_on_the_name(tls_server, resolve, monkeypatch) -> None:
    port, seen, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # trust the test certificate, as httpx2 does from the environment
    resolve({"nachrichten.test": [["127.0.0.1"], ["127.0.0.2"]]})

    article = await ArticleFetcher(allow_private_hosts=True).fetch(f"https://nachrichten.test:{port}/article")

    assert article.title == HEADLINE
    assert [(s.host, s.local, s.sni) for s in seen] == [(f"nachrichten.test:{port}", "127.0.0.1", ["nachrichten.test"])]


async def test_https_certificate_for_another_name_is_rejected(tls_server, resolve, monkeypatch) -> None:
    port, seen, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    resolve({"andere.test": [["127.0.0.1"]]})

    error = await _fetch_error(ArticleFetcher(allow_private_hosts=True), f"https://andere.test:{port}/article")

    assert "nicht erreichbar" in error.user_message and "CERTIFICATE_VERIFY_FAILED" in error.detail
    assert seen == []


async def test_outlet_and_date_come_from_the_metadata(server: Server, fetcher: ArticleFetcher) -> None:
    article = await fetcher.fetch(server.url("/with-metadata"))
    assert (article.outlet, article.published) == ("Musterstädter Anzeiger", date(2026, 11, 24))


def test_without_metadata_the_outlet_is_the_host_without_www_and_there_is_no_date() -> None:
    found = news_fetch._extract(UNDATED_HTML, "https://www.musterstadt-anzeiger.de/politik/radwege")
    assert (found.sitename, found.published) == ("musterstadt-anzeiger.de", None)
    assert news_fetch._host("https://www.musterstadt-anzeiger.de/a") == "musterstadt-anzeiger.de"
    assert news_fetch._date("2026-11-24") == date(2026, 11, 24)
    assert news_fetch._date("irgendwann") is None and news_fetch._date(None) is None
