"""X (Twitter) weighted tweet length, following twitter-text v3.

X does not count plain characters: it NFC-normalises the text and then
- weighs code points in a few "Latin-ish" ranges 1 and everything else 2,
- counts every URL as 23 (it is replaced by a t.co link), whatever its length,
- counts every emoji sequence (ZWJ sequences, flags, keycaps, skin tones) as 2.
A post may weigh at most 280.

The URL extraction is a compact port of twitter-text's ``extractUrlsWithIndices``
(https://github.com/twitter/twitter-text, Apache License 2.0), including its
quirks: a bare domain needs a known TLD, and a bare ``name.<ccTLD>`` without a
path (e.g. ``spiegel.de``) is *not* a URL, except for ``.co`` and ``.tv``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from bot.core.drafting.limits import MAX_WEIGHTED_LENGTH

# twitter-text v3 config: weights are given at scale 100.
_SCALE = 100
_DEFAULT_WEIGHT = 200
_URL_WEIGHT = 23 * _SCALE
_EMOJI_WEIGHT = 200
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))  # weight 100

# twitter-text's emoji regex does not treat bare (text-style) (c)/(R) as emoji; the
# ``emoji`` package does. Keep their plain character weight of 1.
_NOT_EMOJI = {"\u00a9", "\u00ae"}

# ---------------------------------------------------------------------------
# Character classes (twitter-text regexp/*.js)
# ---------------------------------------------------------------------------
_INVALID_CHARS = "\ufffe\ufeff\uffff"  # make a tweet invalid
_SPACES = "\t-\r \u0085\u00a0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_DIRECTIONAL = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_PUNCT = re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_LATIN_ACCENTS = (
    "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257"
    "\u0259\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_CYRILLIC = "\u0400-\u04ff"

# ---------------------------------------------------------------------------
# TLDs. ccTLDs: twitter-text's complete list (js/src/regexp/validCCTLD.js).
# gTLDs: twitter-text knows ~1,500; this is a curated subset of the common and
# German-relevant ones. A domain with an unknown gTLD is not a URL.
# ---------------------------------------------------------------------------
_CCTLDS = """
한국 香港 澳門 新加坡 台灣 台湾 中國 中国 გე ລາວ ไทย ලංකා ഭാരതം ಭಾರತ భారత్ சிங்கப்பூர் இலங்கை இந்தியா
ଭାରତ ભારત ਭਾਰਤ ভাৰত ভারত বাংলা भारोत भारतम् भारत ڀارت پاکستان موريتانيا مليسيا مصر قطر فلسطين عمان
عراق سورية سودان تونس بھارت بارت ایران امارات المغرب السعودية الجزائر البحرين الاردن հայ қаз укр срб
рф мон мкд ею бел бг ευ ελ
ac ad ae af ag ai al am an ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bl bm bn bo bq br bs
bt bv bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg eh
er es et eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht
hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt
lu lv ly ma mc md me mf mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no
np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sj
sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tp tr tt tv tw tz ua ug uk um
us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
""".split()
_GTLDS = """
com net org info biz edu gov mil int name pro mobi aero asia cat coop jobs museum tel travel xxx post
onion academy agency app art audio auto bank bar berlin best bet bike bio black blog blue boutique
build business buzz cafe camp capital care career careers cash center chat church city click clinic
cloud club coach codes coffee college cologne community company computer consulting cool credit
dating deals delivery design dev digital direct directory earth education email energy engineering
estate events exchange expert express family fan fans farm fashion film finance financial fit
fitness foo football forum foundation fund furniture fyi gallery game games garden gift gifts global
gmbh gold golf google green group guide guru hamburg haus health help holdings host hosting house
how icu immo immobilien industries ink institute international investments jetzt kaufen kitchen
koeln land law lawyer legal life link live llc loan london love ltd luxury management market
marketing media money movie network news ngo ninja nrw one online ooo page paris partners party
photo photography photos pics pictures place plus press productions promo properties property pub
radio recipes red reise reisen rent repair report rest restaurant review reviews rocks ruhr run
saarland sale school schule science security services shop shopping show site social software
solar solutions space sport store stream studio style support swiss systems team tech technology
tirol today tools top tours town toys trade training tube university versicherung video vip vision
vote watch website wedding wien wiki win wine work works world wtf xyz yoga youtube zone
""".split()


def _alternation(words: list[str]) -> str:
    """Regex alternation of ``words``, factored by first character.

    The factoring makes a failing TLD test much cheaper (Python's ``re`` tries
    alternatives one by one), which matters when backtracking over dotted tokens.
    """
    groups: dict[str, list[str]] = {}
    for word in sorted(set(words), key=len, reverse=True):  # longest first
        groups.setdefault(word[0], []).append(re.escape(word[1:]))
    return "|".join(f"{re.escape(first)}(?:{'|'.join(rest)})" for first, rest in groups.items())


# A TLD must not be followed by more domain-ish ASCII characters.
_TLD_END = r"(?=[^A-Za-z0-9@+-]|$)"
_CCTLD = rf"(?:(?:{_alternation(_CCTLDS)}){_TLD_END})"
_TLD = rf"(?:(?:{_alternation(_GTLDS)}){_TLD_END}|{_CCTLD}|xn--[-0-9a-z]+)"

_DOMAIN_CHAR = rf"[^{_PUNCT}{_SPACES}{_INVALID_CHARS}{_DIRECTIONAL}]"
_SUBDOMAIN = rf"(?:(?:{_DOMAIN_CHAR}(?:[_-]|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_DOMAIN_NAME = rf"(?:(?:{_DOMAIN_CHAR}(?:-|{_DOMAIN_CHAR})*)?{_DOMAIN_CHAR}\.)"
_DOMAIN = rf"(?:{_SUBDOMAIN}*{_DOMAIN_NAME}{_TLD})"

_PATH_CHAR = rf"[a-z{_CYRILLIC}0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{_LATIN_ACCENTS}]"
# Up to two levels of balanced parentheses, e.g. Wikipedia's /Primer_(film).
_PARENS = rf"\((?:{_PATH_CHAR}+|(?:{_PATH_CHAR}*\({_PATH_CHAR}+\){_PATH_CHAR}*))\)"
# A path must not end in punctuation, so "see example.com/foo." keeps the period out.
_PATH_END = rf"(?:[+\-a-z{_CYRILLIC}0-9=_#/{_LATIN_ACCENTS}]|{_PARENS})"
_PATH = rf"(?:(?:{_PATH_CHAR}*(?:{_PARENS}{_PATH_CHAR}*)*{_PATH_END})|(?:@{_PATH_CHAR}+/))"
_QUERY = r"\?[a-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]*[a-z0-9\-_&=#/]"


@dataclass(frozen=True)
class _UrlPatterns:
    url: re.Pattern[str]
    ascii_domain: re.Pattern[str]  # protocol-less URLs only take the ASCII(+Latin accents) part of a matched domain
    short_cc_domain: re.Pattern[str]
    special_short_domain: re.Pattern[str]


@functools.cache
def _url_patterns() -> _UrlPatterns:
    """Compiled on first use (the warm-up measures a text): with the lists of domains they took 40 ms of the start."""
    return _UrlPatterns(
        url=re.compile(
            rf"(?<![A-Za-z0-9@＠$#＃{_INVALID_CHARS}])"
            rf"(?P<protocol>https?://)?(?P<domain>{_DOMAIN})(?::[0-9]+)?(?P<path>/{_PATH}*)?(?:{_QUERY})?",
            re.IGNORECASE,
        ),
        ascii_domain=re.compile(rf"(?:[-a-z0-9{_LATIN_ACCENTS}]+\.)+{_TLD}", re.IGNORECASE),
        short_cc_domain=re.compile(rf"^{_DOMAIN_NAME}{_CCTLD}$", re.IGNORECASE),
        special_short_domain=re.compile(rf"^{_DOMAIN_NAME}(?:co|tv){_TLD_END}$", re.IGNORECASE),
    )


_TCO_RE = re.compile(r"^https?://t\.co/([a-z0-9]+)", re.IGNORECASE)
_MAX_URL_LENGTH = 4096
_MAX_TCO_SLUG_LENGTH = 40

_MENTION_RE = re.compile(
    # Preceding characters excluded as in twitter-text (so "foo@bar" is no mention).
    # The match is dropped if followed by a further handle character (handle > 15
    # characters), another "@", an accented letter ("@müller") or "://".
    rf"(?<![A-Za-z0-9_!#$%&*@＠])[@＠]([A-Za-z0-9_]{{1,15}})(?![A-Za-z0-9_@＠{_LATIN_ACCENTS}]|://)"
)


def _punycode_length(domain: str) -> int | None:
    """Length of the IDNA (punycode) form of ``domain``; None if a label is invalid."""
    try:
        # The stdlib codec rejects empty labels and labels longer than 63 characters.
        return len(domain.encode("idna"))
    except UnicodeError:
        return None


def _url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) indices of the URLs in (already normalised) ``text``."""
    spans: list[tuple[int, int]] = []
    patterns = _url_patterns()
    for m in patterns.url.finditer(text):
        protocol, domain, path = m.group("protocol"), m.group("domain"), m.group("path")
        start, end = m.span()
        host_length = _punycode_length(domain)
        if host_length is None:
            continue
        url_length = end - start + host_length - len(domain)
        if len(protocol or "https://") + url_length > _MAX_URL_LENGTH:
            continue

        if protocol:
            tco = _TCO_RE.match(m.group())
            if tco:
                if len(tco.group(1)) > _MAX_TCO_SLUG_LENGTH:
                    continue
                end = start + tco.end()  # t.co links take no extra path characters
            spans.append((start, end))
            continue

        # Without protocol: not after "-", "_", "." or "/" (e.g. not "foo/bar.com").
        if start > 0 and text[start - 1] in "-_./":
            continue
        last: tuple[int, int] | None = None
        for ascii_match in patterns.ascii_domain.finditer(domain):  # domain starts at `start`
            last = (start + ascii_match.start(), start + ascii_match.end())
            ascii_domain = ascii_match.group()
            if (
                path
                or patterns.special_short_domain.match(ascii_domain)
                or not patterns.short_cc_domain.match(ascii_domain)
            ):
                spans.append(last)
        if last is not None and path:
            # The path (and query) belongs to the last ASCII domain.
            spans[-1] = (last[0], end)
    return spans


def _char_weight(char: str) -> int:
    code = ord(char)
    if any(lo <= code <= hi for lo, hi in _LIGHT_RANGES):
        return _SCALE
    return _DEFAULT_WEIGHT


def weighted_length(text: str) -> int:
    """Length of ``text`` as X counts it (twitter-text's ``weightedLength``)."""
    import emoji  # loaded by the warm-up, not the start

    text = unicodedata.normalize("NFC", text)
    # start index -> (end index, weight); URLs win over emoji at the same index.
    entities = {start: (end, _URL_WEIGHT) for start, end in _url_spans(text)}
    for match in emoji.emoji_list(text):
        if match["emoji"] not in _NOT_EMOJI:
            entities.setdefault(match["match_start"], (match["match_end"], _EMOJI_WEIGHT))

    total, i = 0, 0
    while i < len(text):
        if i in entities:
            i, weight = entities[i]
        else:
            weight = _char_weight(text[i])
            i += 1
        total += weight
    return total // _SCALE


def has_invalid_character(text: str) -> bool:
    """True if ``text`` holds a character X refuses in any post (U+FFFE, U+FEFF, U+FFFF)."""
    return any(c in _INVALID_CHARS for c in text)


def is_within_limit(text: str) -> bool:
    """True if ``text`` can be posted: not blank, no invalid characters, weight <= 280."""
    if not text.strip() or has_invalid_character(text):
        return False
    return weighted_length(text) <= MAX_WEIGHTED_LENGTH


def extract_urls(text: str) -> list[str]:
    """The URLs in ``text`` (NFC-normalised) as twitter-text finds them, in order."""
    text = unicodedata.normalize("NFC", text)
    return [text[start:end] for start, end in _url_spans(text)]


def extract_mentions(text: str) -> list[str]:
    """The @handles in ``text``, lowercased and without the "@", in order."""
    return [m.group(1).lower() for m in _MENTION_RE.finditer(text)]
