"""Markup to plain text: HTML to paragraphs, whitespace and Unicode normalised,
and the HTML elements that are page furniture rather than the story.

Plain functions, no Beam: feeds and archives both build their stories with
these, so a story reads the same whichever way it arrived.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Optional

from inscriptis import get_text
from inscriptis.model.config import ParserConfig

# Something that looks like a tag: what markup is stripped of.
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
# An HTML element or comment: text without one is not parsed as HTML (only
# its entities are decoded). Plain wire copy puts names in angle brackets
# ("<Ord Minnett Ltd>", "<IMO.A>" in Reuters' style) that a looser test took
# for tags and deleted.
_HTML_ELEMENT = re.compile(
    r"<!--|<!\[CDATA\[|</?(?:a|abbr|address|article|aside|b|blockquote|body|br|caption|cite"
    r"|code|dd|del|div|dl|dt|em|figcaption|figure|font|footer|h[1-6]|head|header|hr|html|i"
    r"|iframe|img|ins|li|link|main|meta|nav|noscript|ol|p|picture|pre|q|s|script|section"
    r"|small|source|span|strike|strong|style|sub|sup|table|tbody|td|th|thead|time|tr|tt|u"
    r"|ul|video)(?:\s[^<>]*)?/?>", re.I)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_INSCRIPTIS = ParserConfig(display_links=False, display_images=False)
# C0/C1 controls other than tab and newline, DEL, lone surrogates (a JSON
# "\ud800" decodes to one, and Parquet cannot encode it) and the two
# noncharacters: never text a reader wants, and NULs break downstream tools.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f"
                       "\ud800-\udfff\ufffe\uffff]")
# lxml, under inscriptis, silently drops everything nested deeper than 255
# elements; markup that deep is read by the plain tag stripper instead.
MAX_HTML_DEPTH = 200
_TAG_PARTS = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_BLOCK = re.compile(r"<(?:/?(?:p|div|br|li|tr|h[1-6]|blockquote|section|article|table|ul|ol)"
                    r"\b[^>]*)>", re.I)
_INVISIBLE = re.compile(r"<(script|style|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.S | re.I)

# Elements that are never the story's text, and elements whose class names
# them as captions, credits, bylines, share boxes or promotions.
_HTML_FURNITURE = re.compile(
    r"<(figcaption|figure|aside|nav|footer|header|script|style|noscript|form|button)\b[^>]*>"
    r".*?</\1\s*>", re.S | re.I)
_HTML_CLASSED = re.compile(
    r"<(div|p|span|section)\b[^>]*\bclass=[\"'][^\"']*\b(?:caption|credit|byline|related|share"
    r"|advert|promo|newsletter|social)[^\"']*[\"'][^>]*>.*?</\1\s*>", re.S | re.I)


def html_to_text(markup: Optional[str]) -> str:
    """Plain text with paragraphs kept as blank-line-separated blocks."""
    if not markup:
        return ""
    if not _HTML_ELEMENT.search(markup):
        text = html.unescape(markup)
    elif _nesting_depth(markup) > MAX_HTML_DEPTH:
        text = _strip_tags(markup)
    else:
        text = get_text(markup, _INSCRIPTIS)
    return normalize_text(text)


def _nesting_depth(markup: str) -> int:
    """How deep elements nest, counting unclosed ones (a linear scan)."""
    depth = deepest = 0
    for match in _TAG_PARTS.finditer(markup):
        closing, name, self_closing = match.groups()
        if self_closing or name.lower() in _VOID:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def _strip_tags(markup: str) -> str:
    """Text of markup too deep for a tree: block tags become paragraph
    breaks, other tags nothing (words inside <b> stay joined to theirs)."""
    markup = _INVISIBLE.sub(" ", markup)
    markup = _BLOCK.sub("\n\n", markup)
    return html.unescape(_TAG.sub("", markup))


def normalize_text(text: str) -> str:
    """Unicode NFC without control characters, one space between words, at
    most one blank line. Every stored text goes through here, so offsets
    computed later never point at a removed character."""
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")
                         .replace("\x85", "\n"))
    text = unicodedata.normalize("NFC", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_line(value: Optional[str]) -> Optional[str]:
    """A one-line field (source, URL, author) without controls or line
    breaks; None stays None and an empty result becomes None."""
    if value is None:
        return None
    value = _CONTROLS.sub("", value.replace("\n", " ").replace("\r", " "))
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip() or None


def strip_markup_furniture(markup: Optional[str]) -> Optional[str]:
    """HTML without captions, figures, asides, navigation and share boxes."""
    if not markup or not _TAG.search(markup):
        return markup
    markup = _HTML_FURNITURE.sub(" ", markup)
    return _HTML_CLASSED.sub(" ", markup)
