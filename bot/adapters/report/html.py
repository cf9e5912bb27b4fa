"""The monthly report as one self-contained HTML file: inline CSS (with print rules and page breaks), charts as
inline base64 PNGs, German formats. Every stored text (post texts, handles, names, labels, patterns, the display
name) is escaped: it is data, never markup. The PDF renders this same HTML.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from bot.adapters.report.charts import Chart, report_charts
from bot.core.reach.metrics import format_multiplier
from bot.core.reports.monthly import (
    IMPRESSION_MULTIPLIER,
    REACH_MULTIPLIER,
    TOTAL_FIELDS,
    Change,
    MonthlyReport,
    PostLine,
    ReachBeyond,
)
from bot.core.text.numbers import de_float, de_int

TEXT_PREVIEW = 140  # characters of a post's text in the tables
# Headers break only here (no automatic hyphenation: „Mul-tipli-ka-tor“)
HEADER_BREAKS = {"Multiplikator": "Multi\u00adplikator", "Impressionen": "Impres\u00adsionen",
                 "Interaktionen": "Inter\u00adaktionen", "Antworten": "Ant\u00adworten"}

CSS = """
@page { size: A4; margin: 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1c2430; font-size: 10.5pt;
       line-height: 1.4; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 20pt; margin: 0 0 .2rem; }
h2 { font-size: 13.5pt; margin: 1.6rem 0 .5rem; border-bottom: 2px solid #1d6fa5; padding-bottom: .15rem; }
.sub { color: #5a6877; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0 .8rem; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #dde3ea; vertical-align: top; }
th { background: #eef3f8; font-weight: 600; font-size: 8.5pt; hyphens: manual; }
td.n, th.n { text-align: right; }
td.n { white-space: nowrap; }
table.fixed { table-layout: fixed; }
td.text { overflow-wrap: anywhere; }
td.net { white-space: nowrap; }
.chg { font-size: 8pt; line-height: 1.2; display: block; }
tr.total td { font-weight: 700; border-top: 2px solid #8a99a8; }
.up { color: #17803d; } .down { color: #b3261e; }
.note { color: #5a6877; font-size: 9pt; }
table.small { font-size: 8.5pt; }
.empty { font-size: 13pt; margin: 2rem 0; }
figure { margin: .6rem 0 1rem; } figure img { max-width: 100%; height: auto; }
figcaption { color: #5a6877; font-size: 9pt; }
a { color: #1d6fa5; text-decoration: none; }
.break { break-before: page; page-break-before: always; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; }
  a { color: inherit; }
  tr, figure { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""


def render_html(report: MonthlyReport, charts: Sequence[Chart] | None = None) -> str:
    """The whole document; ``charts`` default to the report's own (rendered here, matplotlib)."""
    charts = report_charts(report) if charts is None else charts
    title = f"Monatsbericht {report.period} – {report.display_name}"
    body = [f"<h1>{_e(report.display_name)}: Monatsbericht {_e(report.period)}</h1>",
            f'<p class="sub">{_made(report)}</p>']
    if report.empty:
        body.append(f'<p class="empty">{_e(report.empty_text)}</p>')
    else:
        body += [*_overview(report), *_charts(charts), *_best(report), *_amplifiers(report), *_patterns(report),
                 *_all_posts(report)]
    return ("<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _made(report: MonthlyReport) -> str:
    when = _when(report, report.generated_at)
    return f"erstellt am {when}" if report.finished else f"Stand: {when} – der Monat ist noch nicht vorbei"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _when(report: MonthlyReport, moment: datetime) -> str:
    local = moment.astimezone(report.tz)
    return f"{local.day:02d}.{local.month:02d}.{local.year}, {local.hour:02d}:{local.minute:02d} Uhr"


def _day(report: MonthlyReport, line: PostLine) -> str:
    local = line.post.posted_at.astimezone(report.tz)
    return f"{local.day:02d}.{local.month:02d}. {local.hour:02d}:{local.minute:02d}"


def _change(change: Change) -> str:
    """The change in a small line of its own: the difference, below it the percentage."""
    delta = change.delta
    if delta == 0:
        return '<span class="chg">±0</span>'
    sign, css = ("+", "up") if delta > 0 else ("−", "down")
    percent = "neu" if change.percent is None else f"{sign}{_percent(abs(change.percent))} %"
    return f'<span class="chg {css}">{sign}{de_int(abs(delta))}<br>{percent}</span>'


def _percent(value: float) -> str:
    """One decimal, none on a whole number: 454.0 -> „454“, 5306.66 -> „5.306,7“."""
    text = de_float(value)
    return text[:-2] if text.endswith(",0") else text


def _table(head: Iterable[tuple[str, bool]], rows: Iterable[str], *, widths: Sequence[float] = (),
           css: str = "") -> str:
    """``widths`` (percent per column): a fixed layout that keeps the table on the page, and much quicker for
    WeasyPrint to lay out than an automatic one."""
    cells = "".join(f'<th class="n">{_header(name)}</th>' if numeric else f"<th>{_header(name)}</th>"
                    for name, numeric in head)
    columns = "".join(f'<col style="width: {width}%">' for width in widths)
    classes = " ".join(c for c in ("fixed" if widths else "", css) if c)
    opening = f'<table class="{classes}">' if classes else "<table>"
    opening += f"<colgroup>{columns}</colgroup>" if widths else ""
    return f"{opening}<thead><tr>{cells}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


def _header(name: str) -> str:
    return " ".join(_e(HEADER_BREAKS.get(word, word)) for word in name.split(" "))


def _n(value: str) -> str:
    return f'<td class="n">{value}</td>'


def _overview(report: MonthlyReport) -> list[str]:
    head = [("Netzwerk", False), *((label, True) for _name, label in TOTAL_FIELDS)]
    rows = []
    for row in report.totals:
        cells = [f'<td class="net">{_e(row.label)}</td>']
        for name, _label in TOTAL_FIELDS:
            if name == "impressions" and row.network is not None and row.network.value != "x":
                cells.append(_n("–"))
                continue
            change = row.change(name)
            cells.append(_n(f"{de_int(change.now)}{_change(change)}"))
        css = ' class="total"' if row.network is None else ""
        rows.append(f"<tr{css}>{''.join(cells)}</tr>")
    previous = report.month.previous().label
    return ["<h2>Überblick</h2>", _table(head, rows, widths=(11, 8, 16, 12, 12, 12, 11, 18)),
            f'<p class="note">Unter jeder Zahl die Veränderung gegenüber {_e(previous)}. Impressionen zählt nur X. '
            "Zahlen: die neueste Messung jedes Posts.</p>"]


def _charts(charts: Sequence[Chart]) -> list[str]:
    parts = []
    for chart in charts:
        data = base64.b64encode(chart.png).decode("ascii")
        parts.append(f'<figure><img src="data:image/png;base64,{data}" alt="{_e(chart.title)}">'
                     f"<figcaption>{_e(chart.title)}</figcaption></figure>")
    return ["<h2>Verlauf</h2>", *parts] if parts else []


def _link(line: PostLine, text: str) -> str:
    url = line.post.url
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{_e(url)}">{text}</a>'
    return text


def _preview(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_PREVIEW else flat[: TEXT_PREVIEW - 1].rstrip() + "…"


def _multiplier(line: PostLine) -> str:
    """„2,5×“ on X, „24,2× R“ for the Reichweiten-Multiplikator, „–“ without one."""
    return format_multiplier(line.multiplier) + _r(line.post.network.value, line.multiplier)


def _best(report: MonthlyReport) -> list[str]:
    head = [("Netzwerk", False), ("Post", False), ("Interaktionen", True), ("Multiplikator", True)]

    def rows(lines: Sequence[PostLine]) -> list[str]:
        return [f'<tr><td class="net">{_e(line.post.network.label)}</td>'
                f'<td class="text">{_link(line, _e(_preview(line.post.text)))}</td>'
                f"{_n(de_int(line.interactions))}{_n(_multiplier(line))}</tr>" for line in lines]

    parts = ["<h2>Beste Posts</h2>", _multipliers_note()]
    if report.best_by_multiplier:
        parts += ["<h3>Nach Multiplikator, je Netzwerk</h3>", _table(head, rows(report.best_by_multiplier))]
    if report.best_by_interactions:
        parts += ["<h3>Nach Interaktionen</h3>", _table(head, rows(report.best_by_interactions))]
    if len(parts) == 2:
        parts.append("<p>Noch keine Messungen für die Posts dieses Monats.</p>")
    return parts


def _amplifiers(report: MonthlyReport) -> list[str]:
    parts = ["<h2>Weiterträger und Reichweite</h2>"]
    if report.notable:
        head = [("Netzwerk", False), ("Konto", False), ("Einordnung", False), ("Follower", True), ("Posts", True)]
        rows = [f'<tr><td class="net">{_e(a.network.label)}</td><td class="text">@{_e(a.handle)} ({_e(a.name)})'
                f"{' · zitiert' if a.quoted else ''}</td><td>{_e(a.label or '–')}</td>"
                f"{_n(de_int(a.followers))}{_n(de_int(a.posts))}</tr>" for a in report.notable]
        parts += [f"<p>Bemerkenswerte Konten, die Posts des Monats weitergetragen haben: "
                  f"{de_int(report.notable_total)}.</p>", _table(head, rows)]
        more = report.notable_total - len(report.notable)
        if more > 0:
            parts.append(f"<p>… und {de_int(more)} weitere.</p>")
    else:
        parts.append("<p>Keine bemerkenswerten Weiterträger in diesem Monat.</p>")
    parts += [f"<p>{_reach_line(reach)}.</p>" for reach in report.reach]
    return parts


def _reach_line(reach: ReachBeyond) -> str:
    """Who carried the posts and, where known (the follower scans of X), how many of them reach beyond ours."""
    label, one = _e(reach.network.label), reach.accounts == 1
    line = (f"{label}: {'1 Konto hat' if one else f'{de_int(reach.accounts)} Konten haben'} Posts weitergetragen, "
            f"zusammen {de_int(reach.followers)} Follower")
    if reach.unknown == reach.accounts:
        return line + f"; ob {'es' if one else 'sie'} uns {'folgt' if one else 'folgen'}, ist auf {label} nicht bekannt"
    if reach.outside:
        line += (f"; {de_int(reach.outside)} davon {'folgt' if reach.outside == 1 else 'folgen'} uns nicht und "
                 f"{'erreicht' if reach.outside == 1 else 'erreichen'} {de_int(reach.outside_followers)} Follower "
                 "über unsere hinaus")
    else:
        line += "; alle, von denen es bekannt ist, folgen uns schon"
    if reach.unknown:
        line += (" (bei 1 Konto ist nicht bekannt, ob es uns folgt)" if reach.unknown == 1 else
                 f" (bei {de_int(reach.unknown)} Konten ist nicht bekannt, ob sie uns folgen)")
    return line


def _r(network: str, value: float | None) -> str:
    return " R" if value is not None and network != "x" else ""


def _number(value: float | None) -> str:
    if value is None:
        return "–"
    return de_int(int(value)) if float(value).is_integer() else de_float(value)


def _patterns(report: MonthlyReport) -> list[str]:
    head = [("Fragemuster", False), ("Netzwerk", False), ("Posts", True), ("Median Interaktionen", True),
            ("Median Multiplikator", True)]
    rows = [f'<tr><td>{_e(_pattern(row.pattern))}</td><td class="net">{_e(row.network.label)}</td>'
            f"{_n(de_int(row.posts))}"
            f"{_n(_number(row.median_interactions))}"
            f"{_n(format_multiplier(row.median_multiplier) + _r(row.network.value, row.median_multiplier))}</tr>"
            for row in report.patterns]
    return ["<h2>Fragemuster</h2>", _r_note(), _table(head, rows)]


def _pattern(key: str) -> str:
    """„zeitplan_frage“ -> „Zeitplan frage“: the stored key, readable."""
    text = " ".join(key.replace("_", " ").split())
    return text[:1].upper() + text[1:]


def _all_posts(report: MonthlyReport) -> list[str]:
    head = [("Datum", False), ("Netzwerk", False), ("Post", False), ("Reposts", True), ("Likes", True),
            ("Antworten", True), ("Zitate", True), ("Impressionen", True), ("Multiplikator", True)]
    rows = []
    for line in report.posts:
        m = line.metrics
        numbers = [m.retweets, m.likes, m.replies, m.quotes] if line.tracked else None
        cells = "".join(_n(de_int(v)) for v in numbers) if numbers else _n("–") * 4
        impressions = "–" if line.impressions is None else de_int(line.impressions)
        rows.append(f'<tr><td>{_day(report, line)}</td><td class="net">{_e(line.post.network.label)}</td>'
                    f'<td class="text">{_link(line, _e(_preview(line.post.text)))}</td>{cells}{_n(impressions)}'
                    f"{_n(_multiplier(line))}</tr>")
    return [f'<h2 class="break">Alle Posts im {_e(report.period)} ({de_int(len(report.posts))})</h2>',
            _r_note(), _table(head, rows, widths=(8, 11, 29, 8, 8, 8, 7, 11, 10), css="small")]


def _multipliers_note() -> str:
    """Both multipliers explained, where they first appear."""
    return (f'<p class="note">{IMPRESSION_MULTIPLIER} (X): Impressionen ÷ Follower beim Posten. '
            f"{REACH_MULTIPLIER} (R, Bluesky und Mastodon, die keine Impressionen zählen): die Follower aller "
            "Konten, die repostet oder zitiert haben, zusammen ÷ unsere Follower beim Posten. Die beiden sind "
            "nicht direkt vergleichbar.</p>")


def _r_note() -> str:
    return (f'<p class="note">„R“: {REACH_MULTIPLIER} (Follower der Weiterträger ÷ unsere Follower), '
            "ohne „R“: Impressionen ÷ Follower (X).</p>")
