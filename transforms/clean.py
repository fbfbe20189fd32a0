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
    "Xinhua": ("Xinhua",),
    "EFE": ("EFE",),
    "ANSA": ("ANSA",),
    "Kyodo": ("Kyodo",),
    "Bloomberg": ("Bloomberg",),
    "PA": ("PA", "PA Media", "Press Association"),
    "CP": ("CP", "The Canadian Press", "Canadian Press"),
    "AAP": ("AAP", "Australian Associated Press"),
    "IANS": ("IANS",),
    "PTI": ("PTI", "Press Trust of India"),
    "TASS": ("TASS",),
    "Anadolu": ("Anadolu", "Anadolu Agency"),
}
_AGENCY_OF = {alias.casefold(): name
              for name, aliases in AGENCIES.items() for alias in aliases}
_AGENCY_ALT = "|".join(sorted((re.escape(a) for aliases in AGENCIES.values()
                               for a in aliases), key=len, reverse=True))

# "BRUSSELS (Reuters) -", "PARIS, March 3 (AFP) -", "NAIROBI, Kenya (AP) —",
# and the agency-less "NAIROBI, Kenya —". The place is upper case (optionally
# followed by a region in title case), which keeps ordinary sentences out.
_PLACE = r"[A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+)*"
_REGION = r"(?:, (?:[A-Z][a-zA-Z.'\-]+)(?: [A-Z][a-zA-Z.'\-]+)*)?"
_DATE = r"(?:,? (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2})?"
_DATELINE = re.compile(
    rf"^\s*(?P<place>{_PLACE}{_REGION}){_DATE}"
    rf"\s*(?:\((?P<agency>{_AGENCY_ALT})\))?\s*[-\u2013\u2014]+\s")
_CREDIT = re.compile(
    rf"(?:^|\n)\s*(?:By|Source:|\u00a9)\s+(?P<agency>{_AGENCY_ALT})\b")


def agency_name(alias: Optional[str]) -> Optional[str]:
    if not alias:
        return None
    return _AGENCY_OF.get(alias.strip().casefold())


def find_dateline(body: str) -> tuple[Optional[str], Optional[str]]:
    """(dateline place, credited agency) from the start of a wire story."""
    match = _DATELINE.match(body)
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
    return None
