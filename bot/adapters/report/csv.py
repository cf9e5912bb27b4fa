"""The monthly report as CSV for Excel with German settings: one row per post and network.

What Excel-DE opens correctly with a double click: UTF-8 with a byte order mark (otherwise umlauts and „“ break),
semicolons between fields (the German list separator; a comma is the decimal sign there), decimal commas
(„1,5“), whole numbers without thousands separators (a „1.234“ could be read as a date or a decimal), dates as
„30.11.2026 14:05“ and CRLF line ends. Post texts are untrusted: a text beginning with =, +, -, @ or a tab
would be taken as a formula, so it gets a leading apostrophe, as OWASP recommends against CSV injection.
"""

from __future__ import annotations

import csv
import io

from bot.core.reports.monthly import MonthlyReport, PostLine

BOM = "\ufeff"
HEADER = ("Datum", "Netzwerk", "Fragemuster", "Text", "Reposts", "Likes", "Antworten", "Zitate", "Impressionen",
          "Interaktionen", "Follower beim Posten", "Multiplikator", "Art des Multiplikators", "Link")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_csv(report: MonthlyReport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(_row(report, line) for line in report.posts)
    return (BOM + buffer.getvalue()).encode("utf-8")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}".replace(".", ",")


def _row(report: MonthlyReport, line: PostLine) -> list[str]:
    post, m = line.post, line.metrics
    local = post.posted_at.astimezone(report.tz)
    counts = [str(v) for v in (m.retweets, m.likes, m.replies, m.quotes)] if line.tracked else [""] * 4
    return [local.strftime("%d.%m.%Y %H:%M"), post.network.label, _cell(post.pattern), _cell(post.text), *counts,
            "" if line.impressions is None else str(line.impressions),
            str(line.interactions) if line.tracked else "",
            "" if post.followers_at_post is None else str(post.followers_at_post),
            _decimal(line.multiplier), line.multiplier_name, _cell(post.url or "")]
