"""Wire copy conventions: agencies, datelines, credits and wire furniture.

Plain functions, no Beam. `clean_wire_body` moves a story's dateline and
credited agency out of its body and drops credit, caption and furniture
lines; `clean_title` takes the outlet off a headline. The dateline and
credit pieces at the top are shared with dedup's comparison text
(`transforms.dedup.furniture`), which must recognise the same datelines.
"""

from __future__ import annotations

import re
from typing import Optional

from transforms.text.markup import normalize_text

# --- Pieces shared with dedup (transforms.dedup.furniture) ------------------------

# A dateline's place is upper case ("BRUSSELS", "ST. LOUIS"), optionally
# followed by a region in title case ("NAIROBI, Kenya"): upper case keeps
# ordinary first sentences from being taken for one.
PLACE_WORD = r"[A-Z][A-Z.'\-]+"
REGION_WORD = r"[A-Z][A-Za-z.'\-]+"
MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
DASHES = r"[-\u2013\u2014]+"


def dateline_place(space: str = " ", after_comma: str = " ") -> str:
    """Pattern of a dateline's place and region: "NAIROBI, Kenya".

    `space` stands between words and `after_comma` after the region's comma.
    Cleaning reads normalised text and wants exactly one space; dedup reads
    raw lines and allows any run of whitespace.
    """
    return (rf"{PLACE_WORD}(?:{space}{PLACE_WORD})*"
            rf"(?:,{after_comma}{REGION_WORD}(?:{space}{REGION_WORD})*)?")


# Words that open a photo caption's credit ("Photo: Jane Doe/AFP") and the
# stock agencies that end one ("... via Getty Images").
PHOTO_WORDS = "Photograph|Photo|Picture|Image"
STOCK_PHOTOS = "Getty Images|Shutterstock"
# Verbs of a staff credit line: "Reporting by ...", "Edited by ...".
CREDIT_VERBS = ("Reporting", "Writing", "Editing", "Compiled", "Edited", "Produced")

# --- Agencies ---------------------------------------------------------------------

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
# Longest first: an alternation takes the first spelling that fits, and
# "Reuters" must be tried before "Reuter".
_AGENCY_ALT = "|".join(sorted((re.escape(a) for aliases in AGENCIES.values()
                               for a in aliases), key=len, reverse=True))


def agency_name(alias: Optional[str]) -> Optional[str]:
    """The canonical name of an agency spelling ("Agence France-Presse" -> "AFP")."""
    if not alias:
        return None
    return _AGENCY_OF.get(alias.strip().casefold())


# --- Datelines and credits --------------------------------------------------------

# "BRUSSELS (Reuters) -", "PARIS, March 3 (AFP) -", "NAIROBI, Kenya (AP) —",
# the agency-less "NAIROBI, Kenya —", and a dateline on a line of its own as
# Reuters' 1990s wire had it ("LONDON 1996-08-30").
_DATE = rf"(?:,? {MONTH} \d{{1,2}}(?:,? \d{{4}})?)?"
_DATELINE = re.compile(
    rf"^\s*(?P<place>{dateline_place()}){_DATE}"
    rf"\s*(?:\((?P<agency>{_AGENCY_ALT})\))?\s*{DASHES}\s")
_DATELINE_LINE = re.compile(
    rf"^\s*(?P<place>{dateline_place()}),? (?:\d{{4}}-\d{{2}}-\d{{2}}|{MONTH} \d{{1,2}}(?:,? \d{{4}})?)"
    rf"\s*(?:\((?P<agency>{_AGENCY_ALT})\))?[ \t]*\n")
# "By Jane Doe, Reuters", "Source: AFP", "Copyright 2024 The Associated Press".
_CREDIT = re.compile(
    rf"(?:^|\n)\s*(?:By|Source:|\u00a9|Copyright(?: \u00a9)?(?: \d{{4}})?)\s+"
    rf"(?:[^\n]{{0,60}}?[,/] ?)?(?P<agency>{_AGENCY_ALT})\b")


def _match_dateline(body: str) -> Optional[re.Match]:
    return _DATELINE.match(body) or _DATELINE_LINE.match(body)


def find_dateline(body: str) -> tuple[Optional[str], Optional[str]]:
    """(dateline place, credited agency) from the start of a wire story."""
    match = _match_dateline(body)
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


# --- Wire cleaning: what is not the story's text ----------------------------------

# Whole lines that are furniture, credits or captions rather than the story.
# Dedup has its own furniture rule (transforms.dedup.furniture) and keeps it
# apart on purpose: this one deletes lines from the stored text, so it is
# case-sensitive and names each credit in full ("By ... Staff", a caption
# ending in "(AP Photo)"); dedup's only decides what two copies are compared
# on, so it casefolds short lines and takes more. Each was tuned on its
# own output (stored bodies here, eval_dedup figures there): merging them
# would change both.
_FURNITURE = re.compile(
    r"^(?:"
    # credits and sign-offs
    rf"(?:By|BY) [^\n]{{0,80}}?(?:\b(?:{_AGENCY_ALT})\b|Staff|Correspondents?|Writers?)[^\n]{{0,40}}"
    # the shared credit verbs and "Translated" (dedup's rule has "Reported")
    rf"|\(?(?:Additional )?(?:{'|'.join(CREDIT_VERBS + ('Translated',))}) by [^\n]{{0,200}}\)?"
    rf"|(?:Copyright|\u00a9)[^\n]{{0,120}}"
    r"|[^\n]{0,80}All rights reserved\.?"
    rf"|(?:Source|Credit|Photo|Photograph|Picture|Image|Video|Graphic)s?(?: credit)?: [^\n]{{0,160}}"
    # captions: a line ending in a photo credit
    rf"|[^\n]{{0,400}}\((?:AP|AFP|Reuters|EPA|Getty|dpa|Xinhua|[A-Z][a-z]+) ?(?:Photo|Images?|Pool)[^\n)]{{0,60}}\)\.?"
    rf"|[^\n]{{0,400}}(?:{PHOTO_WORDS}): [^\n]{{0,60}}/(?:{_AGENCY_ALT}|{STOCK_PHOTOS}|EPA)\S*"
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


def clean_wire_body(body: str) -> tuple[str, Optional[str], Optional[str]]:
    """(cleaned body, dateline place, agency credited in the text).

    The dateline ("BRUSSELS (Reuters) -") leaves the body for the dateline
    column; credit, caption and furniture lines leave it altogether. The
    agency comes from the dateline, else from a credit line.
    """
    place, agency = None, None
    match = _match_dateline(body)
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
    """(headline without a trailing outlet name, the agency that name credits)."""
    match = _TITLE_SUFFIX.search(title)
    if match and match.start() > 0:
        return title[:match.start()].rstrip(), agency_name(
            match.group(0).strip(" |-\u2013\u2014").removesuffix(" News"))
    return title, None
