"""Text cleaning shared by every input path: HTML to text, hashing, datelines.

Plain functions, no Beam: feeds and archives both build their stories here,
so a story reads the same whichever way it arrived.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from typing import Optional

from inscriptis import get_text
from inscriptis.model.config import ParserConfig
from w3lib.url import canonicalize_url, url_query_cleaner

_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_ALL_SPACE = re.compile(r"\s+")
_INSCRIPTIS = ParserConfig(display_links=False, display_images=False)

# Query parameters that only say how a reader arrived; two URLs that differ
# in these alone point at the same article.
TRACKING_PARAMS = (
    "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content",
    "utm_name", "utm_id", "fbclid", "gclid", "dclid", "msclkid", "mc_cid",
    "mc_eid", "ocid", "cmpid", "smid", "rss", "ref", "taid", "yptr",
)


def html_to_text(markup: Optional[str]) -> str:
    """Plain text with paragraphs kept as blank-line-separated blocks."""
    if not markup:
        return ""
    text = get_text(markup, _INSCRIPTIS) if _TAG.search(markup) else \
        html.unescape(markup)
    return normalize_text(text)


def normalize_text(text: str) -> str:
    """Unicode NFC, one space between words, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def content_hash(title: str, body: str) -> str:
    """Hash of the text as a reader sees it: case, spacing and markup aside.

    The body decides when there is one, so a republished copy with its own
    headline still hashes the same; title-only items hash their title.
    """
    basis = body if body.strip() else title
    folded = _ALL_SPACE.sub(" ", basis.casefold()).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]


def canonical_url(url: Optional[str]) -> Optional[str]:
    """The URL with tracking parameters, fragment and case noise removed."""
    if not url or not re.match(r"^https?://", url, re.I):
        return url or None
    cleaned = url_query_cleaner(url, TRACKING_PARAMS, remove=True)
    return canonicalize_url(cleaned, keep_fragments=False)


def stable_id(*parts: str) -> str:
    """A short, stable identifier derived from its parts."""
    joined = "\x1f".join(parts)
    return hashlib.sha1(joined.encode("utf-8")).hexdigest()[:24]


# --- Datelines and wire credits ------------------------------------------------

# Canonical names of the wire services and the spellings that credit them.
AGENCIES = {
    "AP": ("AP", "Associated Press", "The Associated Press"),
    "Reuters": ("Reuters", "REUTERS", "Reuter"),
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "dpa": ("dpa", "DPA", "Deutsche Presse-Agentur"),
    "UPI": ("UPI", "United Press International"),
    "Xinhua": ("Xinhua", "Xinhua News Agency"),
    "EFE": ("EFE",),
    "ANSA": ("ANSA",),
    "Kyodo": ("Kyodo", "Kyodo News"),
    "Bloomberg": ("Bloomberg", "Bloomberg News"),
    "PA": ("PA", "PA Media", "Press Association"),
    "CP": ("CP", "The Canadian Press", "Canadian Press"),
    "AAP": ("AAP", "Australian Associated Press"),
    "IANS": ("IANS",),
    "PTI": ("PTI", "Press Trust of India"),
    "TASS": ("TASS",),
    "Anadolu": ("Anadolu", "Anadolu Agency"),
    "Yonhap": ("Yonhap",),
    "ANI": ("ANI",),
}
_AGENCY_OF = {alias.casefold(): name
              for name, aliases in AGENCIES.items() for alias in aliases}
_AGENCY_ALT = "|".join(sorted((re.escape(a) for aliases in AGENCIES.values()
                               for a in aliases), key=len, reverse=True))

# "BRUSSELS (Reuters) -", "PARIS, March 3 (AFP) -", "NAIROBI, Kenya (AP) —",
# the agency-less "NAIROBI, Kenya —", and a dateline on a line of its own as
# Reuters' 1990s wire had it ("LONDON 1996-08-30"). The place is upper case
# (optionally followed by a region in title case), which keeps ordinary
# sentences out.
_PLACE = r"[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+)*"
_REGION = r"(?:, (?:[A-Z][a-zA-Z.'\-]+)(?: [A-Z][a-zA-Z.'\-]+)*)?"
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DATE = rf"(?:,? {_MONTH} \d{{1,2}}(?:,? \d{{4}})?)?"
_DATELINE = re.compile(
    rf"^\s*(?P<place>{_PLACE}{_REGION}){_DATE}"
    rf"\s*(?:\((?P<agency>{_AGENCY_ALT})\))?\s*[-\u2013\u2014]+\s")
_DATELINE_LINE = re.compile(
    rf"^\s*(?P<place>{_PLACE}{_REGION}),? (?:\d{{4}}-\d{{2}}-\d{{2}}|{_MONTH} \d{{1,2}}(?:,? \d{{4}})?)"
    rf"\s*(?:\((?P<agency>{_AGENCY_ALT})\))?[ \t]*\n")
_CREDIT = re.compile(
    rf"(?:^|\n)\s*(?:By|Source:|\u00a9|Copyright(?: \u00a9)?(?: \d{{4}})?)\s+"
    rf"(?:[^\n]{{0,60}}?[,/] ?)?(?P<agency>{_AGENCY_ALT})\b")


def agency_name(alias: Optional[str]) -> Optional[str]:
    if not alias:
        return None
    return _AGENCY_OF.get(alias.strip().casefold())


def find_dateline(body: str) -> tuple[Optional[str], Optional[str]]:
    """(dateline place, credited agency) from the start of a wire story."""
    match = _DATELINE.match(body) or _DATELINE_LINE.match(body)
    if match:
        place = match.group("place").strip()
        return place, agency_name(match.group("agency"))
    credit = _CREDIT.search(body[:400])
    return None, agency_name(credit.group("agency")) if credit else None


def find_agency(body: str, authors: tuple[str, ...] = ()) -> Optional[str]:
    """The credited wire service, from the dateline, a byline or the authors."""
    _, agency = find_dateline(body)
    if agency:
        return agency
    for author in authors:
        name = agency_name(author)
        if name:
            return name
        # "Jane Doe, Associated Press" / "Jane Doe (Reuters)"
        tail = re.search(rf"[,(/]\s*(?P<agency>{_AGENCY_ALT})\)?\s*$", author)
        if tail:
            return agency_name(tail.group("agency"))
    return None


# --- Wire cleaning: what is not the story's text -------------------------------

# Whole lines that are furniture, credits or captions rather than the story.
_FURNITURE = re.compile(
    r"^(?:"
    # credits and sign-offs
    rf"(?:By|BY) [^\n]{{0,80}}?(?:\b(?:{_AGENCY_ALT})\b|Staff|Correspondents?|Writers?)[^\n]{{0,40}}"
    r"|\(?(?:Additional )?(?:Reporting|Writing|Editing|Compiled|Edited|Produced|Translated) by [^\n]{0,200}\)?"
    rf"|(?:Copyright|\u00a9)[^\n]{{0,120}}"
    r"|[^\n]{0,80}All rights reserved\.?"
    rf"|(?:Source|Credit|Photo|Photograph|Picture|Image|Video|Graphic)s?(?: credit)?: [^\n]{{0,160}}"
    # captions: a line ending in a photo credit
    rf"|[^\n]{{0,400}}\((?:AP|AFP|Reuters|EPA|Getty|dpa|Xinhua|[A-Z][a-z]+) ?(?:Photo|Images?|Pool)[^\n)]{{0,60}}\)\.?"
    rf"|[^\n]{{0,400}}(?:Photograph|Photo|Picture|Image): [^\n]{{0,60}}/(?:{_AGENCY_ALT}|Getty Images|EPA|Shutterstock)\S*"
    r"|[^\n]{0,300}(?:REUTERS|Reuters)/[A-Z][^\n]{0,60}"
    # site furniture
    r"|(?:Advertisement|ADVERTISEMENT|Advertising|Sponsored|Related(?: Articles| Stories| coverage)?"
    r"|(?:Read more|READ MORE|Read More|Related|See also|Watch|Listen)(?:[:.\u2014-] [^\n]{0,120})?"
    r"|Share this(?: article| story)?|Share|Tweet|Email|Print"
    r"|Follow (?:us|[A-Z][\w ]{0,40}) on (?:Twitter|X|Facebook|Instagram)[^\n]{0,80}"
    r"|Sign up for[^\n]{0,120}|Subscribe[^\n]{0,120}|Click here[^\n]{0,120}"
    r"|(?:Our|The) Standards: The Thomson Reuters Trust Principles\.?"
    r"|Skip to (?:main )?content|Back to top|Comments?|Most Read|Trending|Listen to this article"
    r"|(?:Updated|Published|Last updated)[: ][^\n]{0,60}\d{1,2}:\d{2}[^\n]{0,30})"
    r")[ \t]*$", re.M)
_HTML_FURNITURE = re.compile(
    r"<(figcaption|figure|aside|nav|footer|header|script|style|noscript|form|button)\b[^>]*>"
    r".*?</\1\s*>", re.S | re.I)
_HTML_CLASSED = re.compile(
    r"<(div|p|span|section)\b[^>]*\bclass=[\"'][^\"']*\b(?:caption|credit|byline|related|share"
    r"|advert|promo|newsletter|social)[^\"']*[\"'][^>]*>.*?</\1\s*>", re.S | re.I)


def strip_markup_furniture(markup: Optional[str]) -> Optional[str]:
    """HTML without captions, figures, asides, navigation and share boxes."""
    if not markup or not _TAG.search(markup):
        return markup
    markup = _HTML_FURNITURE.sub(" ", markup)
    return _HTML_CLASSED.sub(" ", markup)


def clean_wire_body(body: str) -> tuple[str, Optional[str], Optional[str]]:
    """(cleaned body, dateline place, agency credited in the text).

    The dateline ("BRUSSELS (Reuters) -") leaves the body for the dateline
    column; credit, caption and furniture lines leave it altogether. The
    agency comes from the dateline, else from a credit line.
    """
    place, agency = None, None
    match = _DATELINE.match(body) or _DATELINE_LINE.match(body)
    if match:
        place = match.group("place").strip()
        agency = agency_name(match.group("agency"))
        rest = body[match.end():].lstrip()
        if rest:
            body = rest
    if agency is None:
        credit = _CREDIT.search(body[:400]) or _CREDIT.search(body[-400:])
        agency = agency_name(credit.group("agency")) if credit else None
    if _FURNITURE.search(body):
        body = _FURNITURE.sub("", body)
        body = normalize_text(body)
    return body, place, agency


# Title suffixes naming the outlet ("... | Reuters", "... - The Associated Press").
_TITLE_SUFFIX = re.compile(rf"\s+[|\-\u2013\u2014]\s+(?:{_AGENCY_ALT})(?: News)?\s*$")


def clean_title(title: str) -> tuple[str, Optional[str]]:
    match = _TITLE_SUFFIX.search(title)
    if match and match.start() > 0:
        return title[:match.start()].rstrip(), agency_name(
            match.group(0).strip(" |-\u2013\u2014").removesuffix(" News"))
    return title, None


# --- Language -----------------------------------------------------------------

_LANGID = None
MIN_LANGUAGE_LETTERS = 25
# Below this many letters, or this confidence, a non-English guess is not
# taken: league tables, lists of names and one-line items fool character
# n-gram models, and an unknown language still reaches the English model.
CONFIDENT_LETTERS = 200
CONFIDENCE = 0.9
SHORT_LETTERS = 40
SHORT_CONFIDENCE = 0.99


def detect_language(text: str) -> Optional[str]:
    """ISO 639-1 code of the text's language (py3langid, whose model ships
    with the package), or None when too short or too unsure to tell."""
    global _LANGID
    sample = text[:2000]
    letters = sum(ch.isalpha() for ch in sample)
    if letters < MIN_LANGUAGE_LETTERS:
        return None
    if _LANGID is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        _LANGID = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    code, probability = _LANGID.classify(sample)
    sure = (letters >= CONFIDENT_LETTERS and probability >= CONFIDENCE or
            letters >= SHORT_LETTERS and probability >= SHORT_CONFIDENCE)
    if code != "en" and not sure:
        return None
    return code
