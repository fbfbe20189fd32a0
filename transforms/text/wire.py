"""Wire copy conventions: agencies, datelines, credits and wire furniture.

Plain functions, no Beam. `clean_wire_body` drops caption furniture (photo
captions and credits, position markers, file photos) first, so a photo credit
never names the agency, then moves a story's dateline and credited agency out
of its body and drops credit and furniture lines; `clean_title` takes the
outlet off a headline. The dateline and
credit pieces at the top are shared with dedup's comparison text
(`transforms.dedup.furniture`), which must recognise the same datelines.
Mixed-case datelines ("Paris (AFP) –") are cleaning's alone: dedup reads
the stored body, which no longer holds them.
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
    rf"(?:^|\n)\s*(?:By|Source:|(?:\u00a9|Copyright(?: \u00a9)?)(?: \d{{4}})?)\s+"
    rf"(?:[^\n]{{0,60}}?[,/] ?)?(?P<agency>{_AGENCY_ALT})\b")


# Datelines as sites publish them, in mixed case: "Paris (AFP) –",
# "Washington DC -", "Kyiv, Ukraine —". A place in mixed case looks like any
# first sentence's subject, so it counts only at the very start of the body
# and only when an agency in brackets or a spaced dash follows it at once
# ("Paris is a city ..." is not a dateline), never when its first word is
# one that opens sentences or headings ("Update -", "Analysis —").
_NOT_PLACE = (
    r"(?:The|A|An|This|That|These|Those|It|Its|He|She|We|They|I|You|Our|His|Her|Their"
    r"|In|On|At|By|For|From|With|Of|To|But|And|Or|So|As|If|When|While|After|Before"
    r"|Meanwhile|However|Here|There|Now|Then|Also|Still|Yet|Why|What|How|Who|Where"
    r"|Update|Updated|Breaking|Live|Latest|Opinion|Analysis|Exclusive|Editorial|Comment"
    r"|Review|Interview|Watch|Video|Photos?|Pictures?|Gallery|Explainer|Factbox|Fact|News"
    r"|Note|Editor|Editors|Correction|Clarification|Warning|Sponsored|Advertisement"
    r"|Today|Yesterday|Tonight|Tomorrow|Monday|Tuesday|Wednesday|Thursday|Friday"
    r"|Saturday|Sunday|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|January"
    r"|February|March|April|June|July|August|September|October|November|December"
    r"|Mr|Mrs|Ms|Dr|Sir|President|Prime|Minister|Chapter|Part|Day|Week|Year|Episode"
    r"|Round|Game|Match|Stage|Act|Scene"
    # headings of market reports ("Tenders - Jordan will tender ...")
    r"|Enquiries|Fixtures?|Gradings|Tenders?|Sales|Prices?|Results?|Table|Total|Corn"
    r"|Wheat|Maize|Soybeans?|Sugar|Coffee|Cocoa|Cotton|Gold|Silver|Copper|Oil|Stocks"
    r"|Shares|Markets?)\b")
_MIXED_WORD = r"(?:[A-Z][a-z][A-Za-z.'\-]*|[A-Z]{2,}|[A-Z]\.(?:[A-Z]\.)+|St\.)"
_PLACE_LINK = r"(?:de|da|do|dos|del|della|di|la|le|les|el|al|am|an|upon|on|sur|en)"
# The first word is in title case: places in capitals are _DATELINE's.
_MIXED_PLACE = (rf"(?!{_NOT_PLACE})(?=[A-Z][a-z]){_MIXED_WORD}"
                rf"(?: (?:{_PLACE_LINK} )?{_MIXED_WORD}){{0,3}}")
# Before a bare hyphen names join too ("Pep Boys - Manny, Moe and Jack",
# "Credit Suisse - First Boston"), so there the place is one word, perhaps
# with a state's abbreviation ("Washington DC") or a region ("Kyiv, Ukraine"),
# or a city whose first word is one of these.
_CITY_FIRST = (r"(?:New|San|Santa|Los|Las|St\.|Saint|Sao|S\u00e3o|Rio|Buenos|Hong|Kuala"
               r"|Tel|Abu|Cape|Port|Salt|Baton|Mexico|Kuwait|Panama|Guatemala|Addis|Phnom)")
_HYPHEN_PLACE = (rf"(?!{_NOT_PLACE})(?=[A-Z][a-z])(?:{_CITY_FIRST} )?{_MIXED_WORD}"
                 r"(?: (?:[A-Z]{2}|[A-Z]\.[A-Z]\.))?")
# The story's first word after the dash: a capital or a quote (a figure
# after a hyphen is a table's row: "Chicago -- 3.04 2.98").
_FIRST_WORD = r"(?=[\"'\u201c\u2018A-Z])"
_DATELINE_MIXED = re.compile(
    rf"^\s*(?:(?P<place>{_MIXED_PLACE}(?:, {_MIXED_PLACE})?){_DATE}"
    rf"(?:\s*\((?P<agency>{_AGENCY_ALT})\)\s*{DASHES}\s"
    # without an agency: an en or em dash, then the story's first word
    rf"| ?[\u2013\u2014]+ {_FIRST_WORD})"
    # or a hyphen with a space each side
    rf"|(?P<hplace>{_HYPHEN_PLACE}(?:, {_MIXED_PLACE})?){_DATE} -+ {_FIRST_WORD})")


def _match_dateline(body: str) -> tuple[Optional[re.Match], Optional[str]]:
    """The dateline at the start of `body` and its place."""
    match = (_DATELINE.match(body) or _DATELINE_LINE.match(body)
             or _DATELINE_MIXED.match(body))
    if not match:
        return None, None
    groups = match.groupdict()
    return match, (groups.get("place") or groups.get("hplace")).strip()


def find_dateline(body: str) -> tuple[Optional[str], Optional[str]]:
    """(dateline place, credited agency) from the start of a wire story."""
    _, place, agency = clean_wire_body(body)
    return place, agency


def find_agency(body: str, authors: tuple[str, ...] = ()) -> Optional[str]:
    """The credited wire service, from the dateline, a byline or the authors."""
    _, agency = find_dateline(body)
    if agency:
        return agency
    for author in authors:
        if _PHOTO_CREDIT_WORDS.search(author):
            continue  # "Jane Doe/AFP via Getty Images" credits a photo, not the text
        name = agency_name(author)
        if name:
            return name
        # "Jane Doe, Associated Press" / "Jane Doe (Reuters)"
        tail = re.search(rf"[,(/]\s*(?P<agency>{_AGENCY_ALT})\)?\s*$", author)
        if tail:
            return agency_name(tail.group("agency"))
    return None


# --- Wire cleaning: what is not the story's text ----------------------------------

# Whole lines that are furniture or credits rather than the story (captions
# are _CAPTION's, below).
# Dedup has its own furniture rule (transforms.dedup.furniture) and keeps it
# apart on purpose: this one deletes lines from the stored text, so it is
# case-sensitive and names each credit in full ("By ... Staff", "Reporting
# by ..."); dedup's only decides what two copies are compared
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
    rf"|(?:Source|Video|Graphic)s?(?: credit)?: [^\n]{{0,160}}"
    # site furniture
    r"|(?:Advertisement|ADVERTISEMENT|Advertising|Sponsored|Related(?: Articles| Stories| coverage)?"
    r"|(?:Read more|READ MORE|Read More|Related|See also|Watch|Listen)(?:[:.\u2014-] [^\n]{0,120})?"
    r"|Share this(?: article| story)?|Share|Tweet|Email|Print"
    # a video player's and a photo's buttons (USA Today network pages)
    r"|CLOSE|Buy Photo"
    r"|Follow (?:us|[A-Z][\w ]{0,40}) on (?:Twitter|X|Facebook|Instagram)[^\n]{0,80}"
    r"|Sign up for[^\n]{0,120}|Subscribe[^\n]{0,120}|Click here[^\n]{0,120}"
    r"|(?:Our|The) Standards: The Thomson Reuters Trust Principles\.?"
    r"|Skip to (?:main )?content|Back to top|Comments?|Most Read|Trending|Listen to this article"
    r"|(?:Updated|Published|Last updated)[: ][^\n]{0,60}\d{1,2}:\d{2}[^\n]{0,30})"
    r")[ \t]*$", re.M)


# Caption furniture: photo captions and the credits that end them, position
# markers and file-photo labels. A caption leaves the body before anything
# looks for a credit, so a photo credit ("Getty Images via AFP", "REUTERS/Name")
# never names the story's agency and nothing is extracted from it.
_PERSON_WORD = r"(?:[A-Z][\w.'\-]*|de|da|van|von|der|del|dos|al|el|bin|le|la)"
_POSITION = (
    r"\((?:l|r|m|c|li|re|v\.? ?l|v\.? ?r)\.\)|\(L\)|\(L-R\)|\(l-r\)"
    # "(R)" alone is a Republican ("Gov. Jane Doe (R)"), so R only with a rank
    r"|\((?:far |second |third |2nd |3rd |4th )(?:from )?(?:left|right|L|R)\)"
    r"|\((?:from )?(?:left|right)\)"
    r"|\((?:centre|center|front|back|top|bottom|middle|foreground|background|left to right"
    r"|from left to right|clockwise from (?:top )?left|top left|top right|bottom left"
    r"|bottom right|front row|back row)\)")
_CAPTION = re.compile(
    r"^(?:"
    # "Photo: Jane Doe/AFP", "Image credit: ...", "Credit: ..." on a line of its own
    rf"(?:Photo|Photograph|Picture|Image|Foto|Credit)s?(?: credits?)?: [^\n]{{0,160}}"
    # a caption ending in a photo credit in brackets: "(AP Photo/Brian Inganga)"
    rf"|[^\n]{{0,400}}\((?:AP|AFP|Reuters|EPA|Getty|dpa|Xinhua|[A-Z][a-z]+) ?(?:Photo|Images?|Pool)[^\n)]{{0,60}}\)\.?"
    # ... or after a sentence: "... in Gaza. Photo: Jane Doe/AFP", "Image: Nick Moreau."
    rf"|[^\n]{{0,400}}(?:{PHOTO_WORDS}): [^\n]{{0,60}}/(?:{_AGENCY_ALT}|{STOCK_PHOTOS}|EPA)\S*"
    # (a short caption needs no full stop: "Belle Image: Nick Moreau.")
    rf"|(?:[^\n]{{0,400}}[.!?)\]\"\u201d] |[^\n.!?:]{{1,80}} )?"
    rf"(?:{PHOTO_WORDS}|Foto|Video|Audio)s?(?: credits?)?: [^\n.!?]{{1,100}}\.?"
    # ... or a Reuters photographer: "... on March 3. REUTERS/Jane Doe/File Photo";
    # "a Reuters/Ipsos poll" is story text
    rf"|(?:[^\n]{{0,400}}[\s(])?(?:REUTERS|Reuters)/(?!Ipsos|IPSOS|Tribune|TRIBUNE|Harris)"
    rf"[A-Z][\w.'\-]*(?: {_PERSON_WORD}){{0,4}}(?:/(?:File|FILE|Pool|POOL|Handout|Illustration)"
    r"(?: Photo| PHOTO)?)*\)?\.?"
    # ... or a copyright sign before stacked photo credits:
    # "... in Caracas. \u00a9 Collage: NAME / GETTY IMAGES VIA AFP & NAME / AFP"
    r"|[^\n]{0,600}?\u00a9 ?(?:Collage|Montage|Photo|Foto|Image|Picture|Illustration|Graphic)s?\b[^\n]{0,300}"
    r"|[^\n]{0,600}?\u00a9 ?[^\n]{0,200}?(?:/|\b(?:GETTY|Getty|IMAGES|Images|Pool|POOL|EPA|Shutterstock"
    r"|SHUTTERSTOCK|Imago|IMAGO|picture alliance|Sipa|SIPA)\b)[^\n]{0,300}"
    # a caption with position markers: "Olaf Scholz (r.) greets ...", "(L)";
    # a caption is a sentence (two words in lower case), a table's row is
    # not ("Mladost (L) 4 2 1 1 8 5 7": the club from Lucani)
    rf"|(?=(?:[^\n]*?\b[a-z]{{2,}}\b){{2}})[^\n]{{0,300}}(?:{_POSITION})[^\n]{{0,300}}"
    # file photos: "FILE PHOTO: ...", "File photo of ...", "FILE - In this ...", "(File photo)"
    r"|(?:FILE PHOTO|File [Pp]hoto|File [Pp]icture|File [Ii]mage)(?: ?[:\-\u2013\u2014] |\.? )[^\n]{0,500}"
    r"|FILE ?[:\-\u2013\u2014] [^\n]{0,500}"
    r"|File (?:photo|picture|image)s?\.?"
    r"|[^\n]{0,400}\((?:File|FILE)(?: [Pp]hoto| [Pp]icture| [Ii]mage)?\)\.?"
    r")[ \t]*$", re.M)
# Words that make an author or credit a photographer's ("Jane Doe/AFP via Getty Images").
_PHOTO_CREDIT_WORDS = re.compile(
    r"\b(?:Photos?|Photograph(?:er|y)?|Pictures?|Getty|Images|Shutterstock|Pool|EPA|Collage)\b|/File\b")


# A video player run into the text, as USA Today network pages flatten:
# "<video's headline> CLOSE <its caption or the story>". The button goes
# and the headline becomes a line of its own, so that no name runs across
# it ("... on gaming CLOSE Gov. Jane Roe said": CLOSE is no organisation).
# Only at the start of the body, where the player sits. A headline has no
# sentence end and is not set in capitals ("U.S. STOCKS CLOSE HIGHER" is a
# headline, not a player); what follows starts a sentence of some words.
_INLINE_PLAYER = re.compile(
    r"\A(\s*(?=[^\n]{0,200}?[a-z])[^\n]{10,200}?[^\s.!?]) CLOSE(?: Buy Photo)? "
    r"(?=[\"'\u201c\u2018]?[A-Z][a-z]*\.?(?: [^\s.!?]+){2})")


def _split_inline_player(body: str) -> str:
    """`body` with a run-in video player at its start cut as _INLINE_PLAYER
    says; one match at the start, not a scan of the whole body."""
    player = _INLINE_PLAYER.match(body)
    if player is None:
        return body
    return f"{player.group(1)}\n\n{body[player.end():]}"


def _drop(pattern: re.Pattern, body: str) -> str:
    if pattern.search(body):
        return normalize_text(pattern.sub("", body))
    return body


def clean_wire_body(body: str) -> tuple[str, Optional[str], Optional[str]]:
    """(cleaned body, dateline place, agency credited in the text).

    Caption furniture (captions, photo credits, position markers, file-photo
    labels) leaves the body first; then the agency is read from a credit line
    near the start or end ("By Jane Doe, Reuters", "\u00a9 AFP"), never from a
    photo credit; then credit and furniture lines leave the body. The dateline
    now at its start ("BRUSSELS (Reuters) -", "Paris (AFP) \u2013") goes to the
    dateline column, and the agency it names comes before a credit line's.
    """
    body = _split_inline_player(body)
    body = _drop(_CAPTION, body)
    credit = _CREDIT.search(body[:400]) or _CREDIT.search(body[-400:])
    agency = agency_name(credit.group("agency")) if credit else None
    body = _drop(_FURNITURE, body)
    match, place = _match_dateline(body)
    if match:
        agency = agency_name(match.groupdict().get("agency")) or agency
        rest = body[match.end():].lstrip()
        if rest:
            body = rest
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
