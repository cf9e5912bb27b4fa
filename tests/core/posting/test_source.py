"""The source reply's text: outlet and date from the article, else the host; nothing without a link."""

from datetime import date

from bot.core.drafting.models import NewsItem
from bot.core.posting.source import host_name, source_label, source_line

URL = "https://www.tagesschau.de/inland/nahverkehr-preise-100.html"


def test_outlet_date_and_link():
    news = NewsItem("Meldung", URL, outlet="tagesschau.de", published=date(2026, 11, 24))
    assert source_line(news) == f"Quelle: tagesschau.de, 24.11.2026 {URL}"


def test_without_metadata_the_host_name_and_no_date():
    assert source_line(NewsItem("Meldung", URL)) == f"Quelle: tagesschau.de {URL}"
    assert host_name("https://WWW.Example.org:8443/a") == "example.org"


def test_pasted_text_without_a_link_has_no_source_reply():
    assert source_line(NewsItem("Meldung")) is None


def test_an_outlet_name_from_the_page_is_one_short_line_and_no_handle():
    news = NewsItem("Meldung", URL, outlet="@Der\nSpiegel\u202e " + "x" * 80, published=date(2026, 1, 2))
    label = source_label(news)
    assert label.startswith("Der Spiegel ") and label.endswith("…, 02.01.2026") and "\n" not in label
    assert len(label) <= 60 + len(", 02.01.2026")
