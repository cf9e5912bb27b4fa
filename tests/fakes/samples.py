"""A sample news item and four good drafts for it, each with a verbatim quote from the news."""

NEWS = (
    "Die Stadt Hamburg erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich 9,5 Prozent. "
    "Der Senat begründet den Schritt mit gestiegenen Energiekosten. Das Deutschlandticket bleibt davon "
    "unberührt. Im Wahlkampf hatte Bürgermeister Peter Tschentscher noch versprochen, die Ticketpreise "
    "stabil zu halten. Die Opposition spricht von Wortbruch. Der Verkehrsverbund rechnet mit Mehreinnahmen "
    "von 60 Millionen Euro pro Jahr."
)

# Four good drafts, each with a verbatim quote from NEWS.
GOOD_DRAFTS = [
    ("Wer zahlt am Ende für die gestiegenen Energiekosten – wirklich nur die Fahrgäste?",
     "Der Senat begründet den Schritt mit gestiegenen Energiekosten."),
    ("Was ist ein Versprechen im Wahlkampf eigentlich noch wert, Herr Tschentscher?",
     "Bürgermeister Peter Tschentscher noch versprochen, die Ticketpreise stabil zu halten"),
    ("Wohin fließen die 60 Millionen Euro Mehreinnahmen pro Jahr genau?",
     "Der Verkehrsverbund rechnet mit Mehreinnahmen von 60 Millionen Euro pro Jahr."),
    ("Wie soll die Verkehrswende gelingen, wenn Bus und Bahn fast zehn Prozent teurer werden?",
     "erhöht zum 1. Januar die Preise im Nahverkehr um durchschnittlich 9,5 Prozent"),
]
