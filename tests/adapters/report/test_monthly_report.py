"""The monthly report end to end from a database: HTML, PDF and CSV for a month with posts on two networks and for
an empty month, built by the function the CLI and Discord share."""

from __future__ import annotations

import base64
import csv
import io
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest

from bot.adapters.report.charts import _by_day as by_day
from bot.adapters.report.charts import _by_network as by_network
from bot.adapters.report.charts import report_charts
from bot.adapters.storage.monthly import SqlMonthlyStore
from bot.core.errors import InputError
from bot.core.reports.monthly import build_monthly_report
from bot.core.reports.period import Month
from bot.settings import Settings
from bot.wiring import monthly_report
from tests.fakes.clock import FakeClock
from tests.fixtures.reports import Carrier, OnNetwork, Question, seed_questions

HOSTILE = 'Wer zahlt? <script>alert("x")</script> & <img src=x onerror=alert(1)>'
NOV = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
CLOCK = FakeClock(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))


def questions() -> list[Question]:
    return [
        Question("Wer trägt die Kosten der Brücke?", NOV, [
            OnNetwork("x", (120, 1_450, 30, 12, 25_000), followers=10_000,
                      carriers=[Carrier("mdb_mueller", 95_000, notable=True, label="MdB", follows_us=None)]),
            OnNetwork("bluesky", (40, 300, 10, 5, 0), followers=2_000,
                      carriers=[Carrier("zeitung", 48_000, notable=True, label="Presse"),
                                Carrier("leserin", 500, follows_us=True)]),
        ]),
        Question(HOSTILE, datetime(2026, 11, 20, 7, 30, tzinfo=UTC), [OnNetwork("x", (1, 2, 3, 4, 2_500))],
                 pattern="widerspruch"),
        Question("Vom Oktober", datetime(2026, 10, 5, 9, 0, tzinfo=UTC), [OnNetwork("x", (10, 20, 0, 0, 4_000))]),
        # Berlin's November begins at 23:00 UTC on 31 October; a simulated post never counts
        Question("Gerade noch November", datetime(2026, 10, 31, 23, 30, tzinfo=UTC), [OnNetwork("x", None)]),
        Question("Simuliert", NOV, [OnNetwork("x", (999, 999, 999, 999, 999), simulated=True)]),
    ]


@pytest.fixture
async def seeded(engine):
    await seed_questions(engine, questions())
    return engine


def settings() -> Settings:
    return Settings(display_name="Kunde <A> & Söhne", timezone="Europe/Berlin")


async def test_the_store_reads_the_months_posts_in_local_time(seeded):
    store = SqlMonthlyStore(seeded)
    start, end = datetime(2026, 10, 31, 23, 0, tzinfo=UTC), datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    posts = await store.month_posts(start, end)
    assert [(p.text[:12], p.network.value) for p in posts] == [
        ("Gerade noch ", "x"), ("Wer trägt di", "x"), ("Wer trägt di", "bluesky"), (HOSTILE[:12], "x")]
    assert posts[1].latest is not None and posts[1].latest.impressions == 25_000  # the newest reading
    assert posts[0].latest is None
    amplifiers = await store.month_amplifiers(start, end)
    assert sorted(a.handle for a in amplifiers) == ["leserin", "mdb_mueller", "zeitung"]


async def test_html_shows_the_month_in_german_and_escapes_stored_text(seeded):
    name, content = await monthly_report(settings(), seeded, "standard", "2026-11", "html", clock=CLOCK)
    assert name == "spitzfeder-bericht-standard-2026-11.html"
    html = content.decode("utf-8")
    assert "<title>Monatsbericht November 2026 – Kunde &lt;A&gt; &amp; Söhne</title>" in html
    assert "Kunde &lt;A&gt; &amp; Söhne: Monatsbericht November 2026" in html
    assert "erstellt am 01.12.2026, 09:00 Uhr" in html
    assert "<script>" not in html and "<img src=x" not in html
    assert ("Wer zahlt? &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
            "&lt;img src=x onerror=alert(1)&gt;") in html
    assert '<td class="n">1.450</td>' in html and '<td class="n">25.000</td>' in html  # likes, impressions
    assert '<td class="n">2,5×</td>' in html  # X: 25 000 ÷ 10 000
    assert "24,2× R" in html  # Bluesky: (48 000 + 500) ÷ 2 000
    assert '1.622<span class="chg up">+1.592<br>+5.306,7 %</span>' in html  # X interactions vs October (30)
    assert "@mdb_mueller (Mdb_Mueller)" in html and "95.000" in html and "MdB" in html
    assert ("Bluesky: 2 Konten haben Posts weitergetragen, zusammen 48.500 Follower; 1 davon folgt uns nicht und "
            "erreicht 48.000 Follower über unsere hinaus.") in html
    assert "X: 1 Konto hat Posts weitergetragen, zusammen 95.000 Follower; ob es uns folgt, ist auf X nicht " \
           "bekannt." in html
    assert '<td>Widerspruch</td><td class="net">X</td>' in html
    assert "Konto „standard“" not in html  # the display name only
    assert "Alle Posts im November 2026 (4)" in html and "Simuliert" not in html
    assert "01.11. 00:30" in html  # the post at 23:30 UTC, in Berlin time
    assert "@media print" in html and "page-break-before: always" in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 2 and all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    assert "http" not in html.replace("https://x.example", "").replace("https://bluesky.example", "")


async def test_an_empty_month_gives_a_short_report_in_every_format(seeded):
    _name, html = await monthly_report(settings(), seeded, "standard", "2026-09", "html", clock=CLOCK)
    assert "Im September 2026 wurde nichts gepostet." in html.decode()
    assert "<img" not in html.decode()
    _name, pdf = await monthly_report(settings(), seeded, "standard", "2026-09", "pdf", clock=CLOCK)
    text = _pdf_text(pdf)
    assert "Im September 2026 wurde nichts gepostet." in text and "Kunde <A> & Söhne" in text
    name, table = await monthly_report(settings(), seeded, "standard", "2026-09", "csv", clock=CLOCK)
    assert name.endswith("2026-09.csv") and len(_csv_rows(table)) == 1  # the header only


def _pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(text.split())  # lines broken where the page layout broke them


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


async def test_pdf_has_the_same_content_on_more_than_one_page(seeded):
    name, pdf = await monthly_report(settings(), seeded, "standard", "2026-11", "pdf", clock=CLOCK)
    assert name == "spitzfeder-bericht-standard-2026-11.pdf"
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) >= 2  # the list of posts starts a page
    text = _pdf_text(pdf)
    for expected in ["Kunde <A> & Söhne: Monatsbericht November 2026", "1.450", "25.000", "2,5×", "24,2× R",
                     "Wer trägt die Kosten der Brücke?", "@mdb_mueller", "Reichweiten-Multiplikator",
                     '<script>alert("x")</script>']:  # escaped in HTML: shown as text, never run
        assert expected in text, expected


async def test_csv_has_one_row_per_post_and_network_for_excel(seeded):
    _name, content = await monthly_report(settings(), seeded, "standard", "2026-11", "csv", clock=CLOCK)
    assert b"\r\n" in content
    header, *rows = _csv_rows(content)
    assert header[:4] == ["Datum", "Netzwerk", "Fragemuster", "Text"]
    assert [(row[0], row[1]) for row in rows] == [("01.11.2026 00:30", "X"), ("10.11.2026 13:00", "X"),
                                                  ("10.11.2026 13:00", "Bluesky"), ("20.11.2026 08:30", "X")]
    x = dict(zip(header, rows[1], strict=True))
    assert (x["Reposts"], x["Likes"], x["Impressionen"], x["Interaktionen"]) == ("120", "1450", "25000", "1612")
    assert (x["Multiplikator"], x["Art des Multiplikators"]) == ("2,50", "Multiplikator")
    bluesky = dict(zip(header, rows[2], strict=True))
    assert (bluesky["Impressionen"], bluesky["Multiplikator"]) == ("", "24,25")
    assert bluesky["Art des Multiplikators"] == "Reichweiten-Multiplikator"
    assert rows[3][3] == HOSTILE
    assert rows[0][4:10] == [""] * 6  # not measured yet: empty, not zero


async def test_a_text_that_excel_would_run_as_a_formula_is_defused(engine):
    await seed_questions(engine, [Question('=HYPERLINK("http://böse.example")', NOV, [OnNetwork("x")])])
    _name, content = await monthly_report(settings(), engine, "standard", "2026-11", "csv", clock=CLOCK)
    assert _csv_rows(content)[1][3] == '\'=HYPERLINK("http://böse.example")'


async def test_bad_input_is_refused_in_german(engine):
    for account, month, fmt, says in [("kunde", "2026-11", "html", "Ein Konto „kunde“ gibt es nicht"),
                                      ("standard", "Nov", "html", "„Nov“ ist kein Monat"),
                                      ("standard", "2026-11", "docx", "„docx“ ist kein Berichtsformat")]:
        with pytest.raises(InputError, match=says):
            await monthly_report(settings(), engine, account, month, fmt)


async def test_charts_compare_the_networks_and_the_days(seeded):
    report = await build_monthly_report(SqlMonthlyStore(seeded), Month(2026, 11), tz=ZoneInfo("Europe/Berlin"),
                                        account="standard", display_name="Kunde", now=CLOCK.now())
    charts = report_charts(report)
    assert [chart.title for chart in charts] == ["Interaktionen je Netzwerk: November 2026 und Vormonat",
                                                 "Interaktionen nach Posting-Tag im November 2026"]
    assert all(chart.png.startswith(b"\x89PNG") for chart in charts)
    networks = by_network(report).axes[0]
    assert [t.get_text() for t in networks.get_xticklabels()] == ["X", "Bluesky"]
    assert [round(bar.get_height()) for bar in networks.patches] == [30, 0, 1_622, 355]  # October, then November
    days = by_day(report).axes[0]
    bars = sorted((round(bar.get_x() + bar.get_width() / 2), bar.get_y(), bar.get_height())
                  for bar in days.patches if bar.get_height())
    assert bars == [(10, 0, 1_612), (10, 1_612, 355), (20, 0, 10)]  # day, bottom, height: Bluesky stacked on X


def test_the_pdf_fetches_nothing_from_outside(tmp_path):
    from bot.adapters.report.pdf import html_to_pdf

    png = report_charts_png()
    (tmp_path / "bild.png").write_bytes(png)
    inline = base64.b64encode(png).decode()
    pdf = html_to_pdf(f'<p>Bild</p><img src="{(tmp_path / "bild.png").as_uri()}">')
    assert not pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images  # a file URL: refused
    pdf = html_to_pdf(f'<p>Bild</p><img src="data:image/png;base64,{inline}">')
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images) == 1  # inline: shown


def report_charts_png() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    buffer = io.BytesIO()
    Figure(figsize=(1, 1), dpi=20).savefig(buffer, format="png")
    return buffer.getvalue()


async def test_the_store_reads_with_a_fixed_number_of_queries(engine):
    from sqlalchemy import event

    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    async def queries_for(posts: int) -> int:
        await seed_questions(engine, [Question(f"Frage {n}?", NOV, [OnNetwork("x", carriers=[Carrier(f"u{n}", 10)]),
                                                                    OnNetwork("bluesky")]) for n in range(posts)])
        statements.clear()
        await build_monthly_report(SqlMonthlyStore(engine), Month(2026, 11), tz=ZoneInfo("Europe/Berlin"),
                                   account="standard", display_name="Kunde", now=CLOCK.now())
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await queries_for(2) == await queries_for(30) == 3  # posts of the month and the one before, amplifiers
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


class _Broken:
    """An import finder: WeasyPrint is missing (ImportError) or cannot load Pango (OSError)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def find_spec(self, name, _path=None, _target=None):
        if name.split(".")[0] == "weasyprint":
            raise self.error
        return None


@pytest.mark.parametrize(("error", "says"), [
    (ModuleNotFoundError("No module named 'weasyprint'"), "fehlt WeasyPrint (pip install weasyprint; dazu Pango"),
    (OSError("cannot load library 'libpango-1.0-0'"), "fehlt Pango auf diesem Rechner"),
])
def test_a_missing_weasyprint_or_pango_is_named_in_german(monkeypatch, error, says):
    import sys

    from bot.adapters.report.pdf import html_to_pdf
    from bot.core.errors import SpitzfederError

    for name in [name for name in sys.modules if name.split(".")[0] == "weasyprint"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_Broken(error), *sys.meta_path])
    with pytest.raises(SpitzfederError) as caught:
        html_to_pdf("<p>x</p>")
    assert says in caught.value.user_message and "libpango-1.0-0 libpangoft2-1.0-0" in caught.value.user_message


async def test_a_month_still_going_is_a_stand_and_carriers_with_unknown_follows_are_one_sentence(engine):
    carriers = [Carrier(f"k{n}", 1_000 + n, follows_us=None, notable=True) for n in range(27)]
    await seed_questions(engine, [Question("Wer zahlt?", NOV, [OnNetwork("mastodon", carriers=carriers)],
                                           pattern="zeitplan_frage")])
    still_going = FakeClock(datetime(2026, 11, 30, 11, 0, tzinfo=UTC))
    _name, content = await monthly_report(settings(), engine, "standard", "2026-11", "html", clock=still_going)
    html = content.decode()
    assert "Stand: 30.11.2026, 12:00 Uhr – der Monat ist noch nicht vorbei" in html and "erstellt am" not in html
    assert ("Mastodon: 27 Konten haben Posts weitergetragen, zusammen 27.351 Follower; ob sie uns folgen, ist auf "
            "Mastodon nicht bekannt.") in html
    assert "… und 2 weitere." in html  # 27 notable accounts, 25 listed
    assert "<td>Zeitplan frage</td>" in html
    assert '<td class="net">Mastodon</td>' in html  # never broken inside the name


def test_whole_percentages_have_no_decimal_and_headers_break_only_where_meant():
    from bot.adapters.report.html import _change, _header
    from bot.core.reports.monthly import Change

    assert _change(Change(476, 100)) == '<span class="chg up">+376<br>+376 %</span>'
    assert _change(Change(215_920, 45_000)) == '<span class="chg up">+170.920<br>+379,8 %</span>'
    assert _change(Change(5, 5)) == '<span class="chg">±0</span>'
    assert _header("Median Multiplikator") == "Median Multi\u00adplikator"


async def test_every_pdf_table_stays_on_the_a4_page(engine):
    big = [Question(f"Frage {n}: Wer zahlt am Ende für „Projekt {n}“ und warum erst jetzt, nach all den Jahren?",
                    datetime(2026, 11, 1 + n, 9, 0, tzinfo=UTC),
                    [OnNetwork(network, (n * 900, 245_940, 7_260, 3_300, 3_002_442), followers=8_000,
                               carriers=[Carrier(f"{network}{n}", 120_000, notable=True, label="Presse")])
                     for network in ("x", "bluesky", "mastodon")], pattern="zeitplan_frage") for n in range(6)]
    big.append(Question("Vormonat", datetime(2026, 10, 5, 9, 0, tzinfo=UTC),
                        [OnNetwork(network, (1, 2, 3, 4, 5)) for network in ("x", "bluesky", "mastodon")]))
    await seed_questions(engine, big)
    _name, pdf = await monthly_report(settings(), engine, "standard", "2026-11", "pdf", clock=CLOCK)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    seen: list[str] = []
    for page in reader.pages:
        right = float(page.mediabox.width) - 14 * 72 / 25.4  # the right margin: 14 mm

        def beyond(text, cm, tm, _font, size, right=right):
            x = cm[4] + tm[4] * cm[0]
            if text.strip():
                seen.append(text.strip())
                assert x < right, (text, x)  # the start of a text: still before the margin

        page.extract_text(visitor_text=beyond)
    words = " ".join(seen)
    assert "Impres" in words and "Zitate" in words and "3.002.442" in words
