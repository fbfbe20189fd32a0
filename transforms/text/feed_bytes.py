"""Making hostile or sloppy feed bytes safe to hand to feedparser.

feedparser keeps a feed's own `<!ENTITY name "value">` declarations and, when
expat's amplification guard stops the strict parse, its loose parser expands
them without limit: a 13 KB feed became a 10 MB body. Long declarations are
removed before parsing (no real feed needs a 64-character entity). And a bare
`&` ("AT&T") makes the loose parser write "AT&T;" into titles; escaping bare
ampersands and parsing again keeps the text as written.
"""

from __future__ import annotations

import codecs
import re

import feedparser

MAX_ENTITY_VALUE = 64
_LONG = MAX_ENTITY_VALUE + 1
_LONG_ENTITY = re.compile(
    r"<!ENTITY\s+%?\s*[\w.:-]+\s+(?:\"[^\"]{" + str(_LONG) + r",}\"|'[^']{"
    + str(_LONG) + r",}')\s*>")
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z_][\w.-]*;)")
_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.S)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _wide_encoding(body: bytes):
    """The codec of a UTF-16/32 body, whose bytes a text regex cannot read."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return codec
    head = body[:4]
    if len(head) == 4 and head.count(0) >= 2:
        return {b"\x00\x00\x00<": "utf-32-be", b"<\x00\x00\x00": "utf-32-le",
                b"\x00<\x00?": "utf-16-be", b"<\x00?\x00": "utf-16-le"}.get(head)
    return None


def _on_text(body: bytes, change) -> bytes:
    """Apply a text change to the body in whatever encoding it comes."""
    codec = _wide_encoding(body)
    if codec is None:
        # latin-1 maps bytes 1:1, so an ASCII-compatible body of any charset
        # comes back byte for byte outside the ASCII text the change touches.
        return change(body.decode("latin-1")).encode("latin-1")
    try:
        return change(body.decode(codec)).encode(codec)
    except UnicodeError:
        return body


def defuse_entities(body: bytes) -> bytes:
    """The body without entity declarations long enough to amplify."""
    head = body[:65536]
    if b"ENTITY" not in head and _wide_encoding(body) is None:
        return body
    return _on_text(body, lambda text: _LONG_ENTITY.sub("", text))


def escape_bare_ampersands(body: bytes) -> bytes:
    def escape(text: str) -> str:
        parts = _CDATA.split(text)
        return "".join(p if p.startswith("<![CDATA[") else _BARE_AMPERSAND.sub("&amp;", p)
                       for p in parts)
    return _on_text(body, escape)


def parse_bytes(body: bytes, content_type: str | None):
    """feedparser's result for a body made safe first; a bozo parse is tried
    again with bare ampersands escaped, keeping the better of the two."""
    headers = {"content-type": content_type} if content_type else {}
    body = defuse_entities(body)
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True,
                              resolve_relative_uris=True)
    if parsed.get("bozo") and b"&" in body:
        escaped = escape_bare_ampersands(body)
        if escaped != body:
            again = feedparser.parse(escaped, response_headers=headers, sanitize_html=True,
                                     resolve_relative_uris=True)
            if len(again.entries) >= len(parsed.entries):
                # Report the flaw of the feed as served, not of our repair.
                again["bozo"] = 1
                again["bozo_exception"] = parsed.get("bozo_exception")
                return again
    return parsed
