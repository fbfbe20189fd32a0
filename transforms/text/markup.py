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

# Something that looks like a tag: text without one is not parsed as HTML
# (only its entities are decoded), which keeps a stray "<" in plain text.
_TAG = re.compile(r"<[a-zA-Z/!][^>]*>")
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_INSCRIPTIS = ParserConfig(display_links=False, display_images=False)

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
    text = get_text(markup, _INSCRIPTIS) if _TAG.search(markup) else \
        html.unescape(markup)
    return normalize_text(text)


def normalize_text(text: str) -> str:
    """Unicode NFC, one space between words, at most one blank line."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def strip_markup_furniture(markup: Optional[str]) -> Optional[str]:
    """HTML without captions, figures, asides, navigation and share boxes."""
    if not markup or not _TAG.search(markup):
        return markup
    markup = _HTML_FURNITURE.sub(" ", markup)
    return _HTML_CLASSED.sub(" ", markup)
