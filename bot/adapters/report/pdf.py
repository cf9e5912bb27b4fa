"""The monthly report as PDF: the HTML of `html.py` laid out by WeasyPrint (CSS paged media: A4, page breaks).

WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0) and is imported only when a PDF is made.
"""

from __future__ import annotations

from bot.adapters.report.html import render_html
from bot.core.errors import SpitzfederError
from bot.core.reports.monthly import MonthlyReport

PANGO_MISSING = ("Für PDF-Berichte fehlt Pango auf diesem Rechner (Debian/Ubuntu: apt-get install libpango-1.0-0 "
                 "libpangoft2-1.0-0). HTML und CSV gehen ohne.")
WEASYPRINT_MISSING = ("Für PDF-Berichte fehlt WeasyPrint (pip install weasyprint; dazu Pango, Debian/Ubuntu: "
                      "apt-get install libpango-1.0-0 libpangoft2-1.0-0). HTML und CSV gehen ohne.")


def render_pdf(report: MonthlyReport) -> bytes:
    return html_to_pdf(render_html(report))


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except ImportError as exc:
        raise SpitzfederError(WEASYPRINT_MISSING, detail=str(exc)) from exc
    except OSError as exc:  # the library loads Pango when imported
        raise SpitzfederError(PANGO_MISSING, detail=str(exc)) from exc
    # Everything the report shows is inline (data: URLs); nothing is ever fetched, whatever a stored text says.
    inline_only = URLFetcher(allowed_protocols=("data",))
    # Whole fonts: subsetting them (fontTools, without HarfBuzz-Subset) took longer than laying out the pages.
    pdf = HTML(string=html, url_fetcher=inline_only).write_pdf(full_fonts=True)
    assert pdf is not None  # no target given: the bytes
    return pdf
