"""The text two copies of a story are compared on: ``dedup_text``.

Plain functions, no Beam. Outlets that carry one wire story add their own
furniture (advertisement markers, "Read more", share bars, captions and photo
credits, bylines, copyright and "Reporting by" lines) and rewrite the
dateline, but keep the wire text: ``dedup_text`` drops the furniture lines
and the leading dateline and casefolds the rest.

This is not the text stage's cleaning (`transforms.text.wire`), though both
know datelines and credits: cleaning deletes lines from the stored text, so
it takes only what it names in full; this module only decides what two
copies are compared on, so it reads casefolded short lines and takes more.
The dateline and credit pieces that are the same rule in both come from
`transforms.text.wire`.
"""

from __future__ import annotations

import re
import unicodedata

from transforms.dedup.minhash import word_count
from transforms.text.wire import (
    CREDIT_VERBS,
    DASHES,
    MONTH,
    PHOTO_WORDS,
    STOCK_PHOTOS,
    dateline_place,
)

# "reporting|writing|...": the text stage's credit verbs, casefolded, and
# "reported", which dedup was tuned with and cleaning does not take
# (cleaning takes "Translated", which dedup was not tuned with).
_CREDIT_VERBS = "|".join(verb.casefold() for verb in CREDIT_VERBS + ("Reported",))

# Whole lines that are site furniture, matched casefolded and stripped of
# surrounding punctuation. Short lines only (see _is_boilerplate), so a
# paragraph that merely starts with "Photo" or "Updated" stays.
_FURNITURE = re.compile(
    r"^(?:"
    r"advertisements?(?: - scroll to continue(?: reading)?)?|ad|sponsored(?: content)?"
    r"|skip (?:advertisement|ad)|story continues below(?: advertisement)?"
    r"|(?:article )?continues below(?: this ad(?:vertisement)?)?"
    r"|continue reading(?: below| the main story)?"
    r"|read (?:more|next|also|the full (?:story|article))\b.*|more\s*:.*"
    r"|(?:also read|see also|related(?: coverage| articles?| stories| content| news)?"
    r"|recommended(?: for you)?|most (?:read|popular)|trending(?: now)?|watch|listen)\s*[:|\-].*"
    r"|related(?: coverage| articles?| stories| content| news)?|recommended(?: for you)?"
    r"|most (?:read|popular)|trending(?: now)?"
    r"|share(?: this)?(?: article| story| on \w+)?|share via.*|tweet|email|e-mail|print|whatsapp"
    r"|facebook|twitter|linkedin|copy link|comments?|view comments|\d+ comments?"
    r"|leave a comment|join the conversation"
    r"|click here\b.*|sign up\b.*|subscribe\b.*|follow us\b.*|(?:download|get) (?:our|the) app\b.*"
    r"|\d+ min(?:ute)?s? read|listen to (?:this )?article.*"
    r"|(?:image|photo|picture|photograph|caption|credit|video|graphic|file photo"
    r"|(?:image|photo|picture) credit|pictured)\s*:.*"
    r"|(?:\u00a9|\(c\)\s*\d{4}|copyright\s*(?:\u00a9|\(c\)|\d{4})).*"
    r"|our standards\s*:.*|the thomson reuters trust principles.*"
    rf"|(?:additional )?(?:{_CREDIT_VERBS})"
    r"(?: and (?:writing|editing))? by\b.*"
    r"|(?:source|tags|topics|filed under)\s*:.*"
    # A line that is only an agency's name. Narrower than the text stage's
    # AGENCIES, and kept so: the thresholds were tuned with this list, and
    # AGENCIES would also drop lines such as "(Bloomberg)" or "Kyodo News."
    # from the compared text.
    r"|reuters|ap|afp|associated press|the associated press|dpa|xinhua|upi"
    r")$",
    re.S)
# Phrases that make a short line furniture wherever they stand in it.
_FURNITURE_PHRASES = ("all rights reserved",
                      "may not be published, broadcast, rewritten")
_NEWSLETTER = re.compile(
    r"^.{0,40}\b(?:sign up|subscribe|get|receive|our)\b.{0,40}\bnewsletters?\b.{0,40}$"
    r"|^.{0,40}\bnewsletters?\b.{0,40}\b(?:sign up|subscribe|inbox)\b.{0,40}$")
# "Updated 3 hours ago", "Published: March 3, 2020 10:15 a.m. ET".
_STAMP_WORD = re.compile(r"^(?:published|updated|posted|last updated|first published)\b:?")
_STAMP_TOKENS = re.compile(
    r"(?:\d[\d:/.,\-]*|on|at|ago|am|pm|a\.m|p\.m|hours?|hrs?|minutes?|mins?|days?|"
    r"today|yesterday|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|"
    r"january|february|march|april|june|july|august|september|october|november|december|"
    r"mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"et|edt|est|ct|pt|gmt|bst|utc|cet|cest|ist|jst|[|,.:\-])+")
# Photo credits ending a caption line: "... March 3. REUTERS/Jane Doe/File Photo",
# "(AP Photo/Jane Doe)", "(Photo by JOHN DOE / AFP)", "AFP via Getty Images".
# Anchored at the end and limited to a name, so "a Reuters/Ipsos poll found"
# in a paragraph is not a credit. (The text stage's caption rule is looser
# and deletes such a line from the stored body; the two stay apart because
# either change would alter output, see transforms.text.wire._FURNITURE.)
_NAME = r"[A-Z][\w.'\-]*(?:\s+(?:[A-Z][\w.'\-]*|al|el|de|da|van|von|bin|der|la|le)){0,4}"
_PHOTO_CREDIT = re.compile(
    r"(?:\b(?:REUTERS|Reuters|AFP|EPA(?:-EFE)?|Xinhua|ANADOLU|AP|PA|AAP|Kyodo|Yonhap)"
    rf"\s*/\s*(?!Ipsos\b){_NAME}(?:\s*/\s*{_NAME})*"
    r"|\bAP Photo\s*/\s*[^()]{1,50}|\(\s*Photo by [^()]{1,60}"
    rf"|\b(?:{PHOTO_WORDS}|Credit)\s*:\s*[^.()]{{1,60}}"
    rf"|(?:\bvia|/)\s*(?:{STOCK_PHOTOS})|/\s*AFP"
    r")\s*[)\]]?\s*\.?\s*$")
_CREDIT_MARKS = ("/", "Getty", "Shutterstock", "Photo", "Image", "Picture", "Credit")
# "By Jane Doe", "By JANE DOE and John Roe, Reuters", "By Reuters Staff":
# "By" and then only capitalised words, connectors and separators.
_BYLINE = re.compile(
    r"^(?:By|BY)\s+(?:(?:[A-Z\u00c0-\u00de][\w.'\u2019\-]*|and|&|de|da|van|von|der|al|el"
    r"|la|le|du|staff|the|in|[,|\u2022\u2013\u2014-])\s*){1,12}$")
# Navigation trails: "Home | World | Europe", "News › Business".
_TRAIL_SEP = re.compile(r"\s*[|›»\u2022·]\s*")
# Headings, outlet names, section labels: a few words, no figure, no full stop.
_HEADING_MAX_WORDS = 4
_SENTENCE_END = tuple(".!?\"\u201d\u2019)")
# Leading dateline: "BRUSSELS (Reuters) - ", "PARIS, March 3 (AFP) -",
# "NAIROBI, Kenya (AP) —", "(Reuters) - ", "(CNN)". The place is the text
# stage's (upper case, so an ordinary first sentence is never taken for
# one). The rest is looser than the text stage's dateline on purpose: the
# line is raw (any whitespace), any outlet's parenthesis counts, not only a
# known agency, and nothing is extracted, so "(CNN)" alone is enough.
_PLACE = dateline_place(space=r"\s+", after_comma=r"\s*")
_DATELINE = re.compile(
    rf"^\s*(?:{_PLACE}"
    rf"(?:,?\s+{MONTH}\s+\d{{1,2}})?"
    rf"\s*(?:\([^()\n]{{1,40}}\)\s*)?{DASHES}\s+"
    rf"|\([A-Za-z][A-Za-z .\-]{{0,30}}\)\s*(?:{DASHES}\s*)?)")
_EDGE_PUNCT = " \t\"'“”‘’()[]{}*_#>•·-–—|:."
_SPACE = re.compile(r"\s+")
_MAX_FURNITURE_CHARS = 300  # longer lines are text, whatever they start with


def _is_boilerplate(line: str) -> bool:
    """Whether a whole line is site furniture rather than story text.

    Only short lines qualify: furniture is short, and a long paragraph that
    happens to start with "Updated" or mention a photo is story text.
    """
    if len(line) > _MAX_FURNITURE_CHARS:
        return False
    if _BYLINE.match(line) or _is_trail(line) or _is_heading(line):
        return True
    # The credit regex is anchored at the end; a substring test first saves
    # scanning every paragraph with it.
    if any(mark in line for mark in _CREDIT_MARKS) and _PHOTO_CREDIT.search(line):
        return True
    folded = line.casefold().strip(_EDGE_PUNCT)
    if not folded or _FURNITURE.match(folded) or _NEWSLETTER.search(folded):
        return True
    if any(phrase in folded for phrase in _FURNITURE_PHRASES):
        return True
    stamp = _STAMP_WORD.match(folded)
    return bool(stamp) and bool(_STAMP_TOKENS.fullmatch(
        folded[stamp.end():].replace(" ", "") or "x"))


def _is_trail(line: str) -> bool:
    """ "Home | World | Europe": two or more parts of one to three words."""
    parts = _TRAIL_SEP.split(line.strip(" |›»\u2022·"))
    return len(parts) >= 2 and len(line) <= 80 and all(0 < len(p.split()) <= 3 for p in parts)


def _is_heading(line: str) -> bool:
    """An outlet name, section label or subheading: up to four words (CJK
    characters count one each), no digit, not ending like a sentence.
    Table rows of wire copy ("Net 1,234 vs 987") have figures and stay;
    dropping a true subheading costs nothing, since every copy loses it."""
    if line.endswith(_SENTENCE_END) or any(ch.isdigit() for ch in line):
        return False
    return word_count(line) <= _HEADING_MAX_WORDS


def dedup_text(title: str, body: str) -> str:
    """The text two copies of a story are compared on.

    The body with furniture lines removed and the leading dateline stripped,
    NFKC-normalised and casefolded, one line per kept line. Outlets add
    their own furniture and rewrite the dateline, but keep the wire text; the
    title is left out because outlets rewrite headlines. When nothing of the
    body remains (title-only feed items), the title is the text.
    """
    lines = [line.strip() for line in unicodedata.normalize("NFKC", body or "").splitlines()]
    kept = [line for line in lines if line and not _is_boilerplate(line)]
    if kept:
        kept[0] = _DATELINE.sub("", kept[0], count=1)
    text = "\n".join(_SPACE.sub(" ", line).strip() for line in kept if line.strip())
    if not text.strip():
        text = _SPACE.sub(" ", unicodedata.normalize("NFKC", title or "")).strip()
    return text.casefold()
