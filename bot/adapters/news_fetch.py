"""Download a news page and extract its article text.

Every failure ends as a ``NewsFetchError`` with a short German ``user_message``
(what went wrong, what the user can do) and the technical cause in ``detail``.

Users' URLs must not reach the bot's own network: before every hop (redirects
included) the host name is resolved once and each address checked; the connection
then goes to exactly those checked addresses, so a DNS answer that changes between
check and connect (DNS rebinding) cannot redirect it. The ``Host`` header, TLS
server name and certificate check stay on the host name.
"""

from __future__ import annotations

import asyncio
import codecs
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import httpcore2
import httpx2

from bot.core.errors import NewsFetchError

MAX_REDIRECTS = 5
MIN_TEXT_CHARS = 200
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# No type, or the generic one misconfigured servers send: accept only if the body looks like HTML.
_UNTYPED = frozenset({"", "application/octet-stream"})

_PASTE = "den Artikeltext direkt einfügen"
_UNREACHABLE = f"Die Seite ist nicht erreichbar – bitte die URL prüfen oder {_PASTE}."
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class FetchedArticle:
    url: str  # final URL after redirects
    title: str | None
    text: str
    outlet: str | None = None  # the site's name from its metadata, else the host without www.
    published: date | None = None  # the article's date from its metadata, if it gives one


@dataclass(frozen=True)
class _Extracted:
    title: str | None
    text: str
    sitename: str | None = None
    published: date | None = None


class ArticleFetcher:
    def __init__(
        self,
        *,
        timeout_seconds: float = 15.0,
        max_bytes: int = 3_000_000,
        user_agent: str = "Spitzfeder/0.1 (+news drafting bot)",
        transport: httpx2.AsyncBaseTransport | None = None,
        allow_private_hosts: bool = False,
    ) -> None:
        """``transport`` replaces the network (tests): the host check still runs, address pinning does not."""
        self._allow_private_hosts = allow_private_hosts
        self._timeout = timeout_seconds
        self._max_bytes = max_bytes
        self._user_agent = user_agent
        self._transport = transport

    async def fetch(self, url: str) -> FetchedArticle:
        url = _check_url(url)
        final_url, body, charset = await self._download(url)
        html = _decode(body, charset)
        try:
            # trafilatura is sync and CPU-bound: keep it off the event loop.
            found = await asyncio.to_thread(_extract, html, final_url)
        except Exception as exc:  # parser crash on odd markup: still a page we cannot use
            raise NewsFetchError(
                f"Die Seite konnte nicht ausgewertet werden – bitte {_PASTE}.",
                detail=f"extraction failed for {final_url}: {exc!r}",
            ) from exc
        if len(found.text) < MIN_TEXT_CHARS:
            raise NewsFetchError(
                f"Auf der Seite wurde kein Artikeltext gefunden – bitte {_PASTE}.",
                detail=f"extracted {len(found.text)} chars (< {MIN_TEXT_CHARS}) from {final_url}",
            )
        return FetchedArticle(url=final_url, title=found.title, text=found.text,
                              outlet=found.sitename or _host(final_url), published=found.published)

    async def _download(self, url: str) -> tuple[str, bytes, str | None]:
        """Return (final URL, body bytes with Content-Encoding undone, header charset)."""
        try:
            # httpx2's timeout bounds each connect/read; the outer deadline also stops
            # a server that trickles bytes just fast enough to dodge the read timeout.
            async with asyncio.timeout(self._timeout):
                pins: dict[str, tuple[str, ...]] | None = None if self._transport is not None else {}

                async def check_host(request: httpx2.Request) -> None:
                    await self._check_host(request, pins)

                async with httpx2.AsyncClient(
                    timeout=self._timeout,
                    follow_redirects=True,
                    max_redirects=MAX_REDIRECTS,
                    headers={"User-Agent": self._user_agent, "Accept": _ACCEPT},
                    transport=self._transport if pins is None else _PinnedTransport(pins),
                    event_hooks={"request": [check_host]},
                ) as client:
                    async with client.stream("GET", url) as response:
                        return await self._read(response)
        except (TimeoutError, httpx2.TimeoutException) as exc:
            raise NewsFetchError(
                f"Die Seite hat nicht rechtzeitig geantwortet – bitte später erneut versuchen oder {_PASTE}.",
                detail=f"timeout after {self._timeout}s for {url}: {exc!r}",
            ) from exc
        except httpx2.TooManyRedirects as exc:
            raise NewsFetchError(
                f"Die Seite leitet zu oft weiter – bitte die URL prüfen oder {_PASTE}.",
                detail=f"{url}: {exc}",
            ) from exc
        except httpx2.ConnectError as exc:
            raise NewsFetchError(_UNREACHABLE, detail=f"connect failed for {url}: {exc!r}") from exc
        except (httpx2.HTTPError, httpx2.InvalidURL) as exc:
            # Protocol errors, broken streams, redirects to odd schemes, ...
            raise NewsFetchError(
                f"Die Seite konnte nicht geladen werden – bitte {_PASTE}.",
                detail=f"{type(exc).__name__} for {url}: {exc}",
            ) from exc

    async def _check_host(self, request: httpx2.Request, pins: dict[str, tuple[str, ...]] | None) -> None:
        """Every hop, redirects included: resolve the host once, refuse non-public addresses, pin the rest."""
        if pins is None and self._allow_private_hosts:
            return  # an injected transport does its own "connecting"
        host = request.url.raw_host.decode("ascii")  # IDNA form, as the connection pool names it
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise NewsFetchError(_UNREACHABLE, detail=f"{host} does not resolve: {exc!r}") from exc
        addresses: list[str] = []
        for info in infos:
            raw = str(info[4][0])
            address = ipaddress.ip_address(raw.split("%", 1)[0])
            if not self._allow_private_hosts and not address.is_global:
                raise NewsFetchError(
                    f"Die Adresse zeigt auf ein internes Netz und wird nicht geladen – bitte {_PASTE}.",
                    detail=f"{host} resolves to non-public {address}",
                )
            if raw not in addresses:
                addresses.append(raw)
        if pins is not None:
            pins[host] = tuple(addresses)

    async def _read(self, response: httpx2.Response) -> tuple[str, bytes, str | None]:
        final_url = str(response.url)
        status = response.status_code
        if status >= 400:
            hint = "bitte später erneut versuchen" if status >= 500 else "bitte die URL prüfen"
            raise NewsFetchError(
                f"Die Seite antwortete mit HTTP {status} – {hint} oder {_PASTE}.",
                detail=f"HTTP {status} {response.reason_phrase} for {final_url}",
            )

        content_type = response.headers.get("Content-Type", "")
        media_type = content_type.split(";", 1)[0].strip().lower()
        sniff = media_type in _UNTYPED
        if not sniff and media_type not in HTML_TYPES:
            raise NewsFetchError(
                f"Die Adresse liefert keine Webseite, sondern „{media_type}“ – bitte {_PASTE}.",
                detail=f"content type {content_type!r} for {final_url}",
            )

        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(final_url, f"Content-Length {declared}")
        chunks: list[bytes] = []
        size = 0
        # Count decoded bytes: that is what we hold in memory (and guards against zip bombs).
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self._max_bytes:
                raise self._too_large(final_url, f"body exceeded {self._max_bytes} bytes")
            chunks.append(chunk)
        body = b"".join(chunks)

        if sniff and not _looks_like_html(body):
            raise NewsFetchError(
                f"Die Adresse liefert keine erkennbare Webseite – bitte {_PASTE}.",
                detail=f"content type {content_type!r} and body is not HTML for {final_url}",
            )
        return final_url, body, response.charset_encoding

    def _too_large(self, url: str, why: str) -> NewsFetchError:
        megabytes = f"{self._max_bytes / 1_000_000:g}".replace(".", ",")
        return NewsFetchError(
            f"Die Seite ist zu groß (über {megabytes} MB) – bitte {_PASTE}.",
            detail=f"{why} for {url}",
        )


class _PinnedBackend(httpcore2.AsyncNetworkBackend):
    """Connects a host name only to the addresses ``_check_host`` resolved and checked for it."""

    def __init__(self, pins: dict[str, tuple[str, ...]]) -> None:
        self._pins = pins
        self._network = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        addresses = self._pins.get(host)
        if not addresses:
            raise httpcore2.ConnectError(f"no checked address for {host}")
        failure = httpcore2.ConnectError(f"no address of {host} accepted the connection")
        for address in addresses:
            try:
                return await self._network.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except httpcore2.ConnectError as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None,
        socket_options: Iterable[httpcore2.SOCKET_OPTION] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise httpcore2.ConnectError("news pages are fetched over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class _PinnedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's own transport (TLS, HTTP/1.1, pooling) on the pinning network backend.

    httpx2 takes no network backend, so the connection pool is rebuilt with ours. The
    URL keeps the host name: ``Host`` header, SNI and certificate check use it.
    Environment proxies are not used: a proxy would resolve the name again itself.
    """

    def __init__(self, pins: dict[str, tuple[str, ...]]) -> None:
        ssl_context = httpx2.create_ssl_context()
        super().__init__(verify=ssl_context)
        if not isinstance(getattr(self, "_pool", None), httpcore2.AsyncConnectionPool):
            raise RuntimeError("httpx2 changed its transport; the address pinning needs updating")
        self._pool = httpcore2.AsyncConnectionPool(ssl_context=ssl_context, network_backend=_PinnedBackend(pins))


def _check_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError when out of range
        valid = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. "http://[::1" or a port out of range
        valid = False
    if not valid:
        raise NewsFetchError(
            f"Das ist keine gültige Webadresse (http:// oder https://) – bitte die URL prüfen oder {_PASTE}.",
            detail=f"rejected URL {url!r}",
        )
    return url


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<!doctype html") or b"<html" in head


def _known(encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return None
    # As browsers do (WHATWG): pages labelled Latin-1/ASCII are really Windows-1252,
    # which German sites rely on for „“, – and €.
    return "cp1252" if name in ("iso8859-1", "ascii") else name


def _decode(body: bytes, header_charset: str | None) -> str:
    """Header charset, then <meta charset>, then UTF-8, then Windows-1252.

    Windows-1252 is the usual legacy encoding of German sites that declare nothing.
    """
    declared = _known(header_charset)
    if declared is None:
        match = _META_CHARSET.search(body[:4096])
        declared = _known(match.group(1).decode("ascii")) if match else None
    if declared is not None:
        return body.decode(declared, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


_DATE_SEARCH = {"extensive_search": False, "original_date": True}


def _extract(html: str, url: str) -> _Extracted:
    import trafilatura  # large (about 0.2 s to import): loaded with the first article, not at start

    # Only dates the page states as such (metadata, a byline): not a guess from a footer's „© 2025“.
    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                           date_extraction_params=_DATE_SEARCH)
    if document is None or isinstance(document, dict):
        return _Extracted(None, "")
    title = (document.title or "").strip() or None
    sitename = " ".join(str(document.sitename or "").split()) or None
    return _Extracted(title, (document.text or "").strip(), sitename, _date(document.date))


def _date(value: object) -> date | None:
    """trafilatura's date ('2026-11-24'), or None when it gives none or an unreadable one."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _host(url: str) -> str | None:
    """The host name without a leading www., as the outlet of a page whose metadata names none."""
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    return host or None
