"""Making hostile or sloppy feed bytes safe to hand to feedparser.

feedparser keeps a feed's own `<!ENTITY name "value">` declarations and, when
expat's amplification guard stops the strict parse, its loose parser expands
them without limit: a 13 KB feed became a 10 MB body. Long declarations, and
those that refer to other entities (how a bomb nests short ones: expat's
guard stops those, but only after 2-3 s and 80 MB), are removed before
parsing; real feeds declare at most `&nbsp;`-like characters. And a bare
`&` ("AT&T") makes the loose parser write "AT&T;" into titles; escaping bare
ampersands and parsing again keeps the text as written.

Control bytes (NUL, ESC, ...) are not allowed anywhere in XML; one makes the
strict parse fail and the loose one take over, so they are removed first
(never in UTF-16/32, whose text is full of NUL bytes). An encoding name
that is no name (binary junk, a NUL) made feedparser raise and cost the
whole feed; it is read as utf-8 instead.

A UTF-8 feed with a few stray windows-1252 bytes (a paste from an old CMS)
makes feedparser read the whole feed as windows-1252, mangling every correct
accent; when most of the non-ASCII bytes are UTF-8, only the stray ones are
read as windows-1252 and the feed's log row says so.
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
# A declaration whose value refers to another entity ("&a;&a;&a;") is how a
# bomb nests short values; character references ("&#160;") are not nesting.
_NESTING_ENTITY = re.compile(
    r"<!ENTITY\s+%?\s*[\w.:-]+\s+(?:\"[^\"]*[&%][A-Za-z_:][^\"]*\"|'[^']*[&%][A-Za-z_:][^']*')\s*>")
# Short values referenced many times pass both filters and expat's guard
# (which allows 100x): 400,000 references to a 60-character entity made a
# 1.2 MB feed a 24 MB summary. Past this total, no declaration is kept.
MAX_EXPANSION = 1_000_000
_ANY_ENTITY = re.compile(r"<!ENTITY\s+([\w.:-]+)\s+(?:\"([^\"]*)\"|'([^']*)')\s*>")
_BARE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z_][\w.-]*;)")
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DECLARED_ENCODING = re.compile(rb"(<\?xml[^>]*?encoding\s*=\s*[\"'])([^\"']*)", re.I)
_ENCODING_NAME = re.compile(rb"[A-Za-z][A-Za-z0-9._:-]{0,39}")
_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.S)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                            rb"|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([\w.:-]+)", re.I)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_UTF8_NAMES = ("utf-8", "utf8")
STRAY_CP1252 = "wirestream.stray-cp1252"


def _read_as_cp1252(err: UnicodeDecodeError):
    # The five bytes windows-1252 leaves undefined read as latin-1.
    bad = err.object[err.start:err.end]
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), err.end


codecs.register_error(STRAY_CP1252, _read_as_cp1252)


class Repaired(ValueError):
    """Noted on the fetch_log row of a feed whose bytes were repaired
    (stray windows-1252 bytes, control bytes) and that otherwise parsed."""


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
    """The body without entity declarations that can amplify: long ones,
    ones that refer to other entities, and all of them when their
    references would expand to more than MAX_EXPANSION characters."""
    head = body[:65536]
    if b"ENTITY" not in head and _wide_encoding(body) is None:
        return body
    return _on_text(body, _without_amplifying_entities)


def _without_amplifying_entities(text: str) -> str:
    text = _NESTING_ENTITY.sub("", _LONG_ENTITY.sub("", text))
    expansion = sum(text.count(f"&{m.group(1)};") * len(m.group(2) or m.group(3) or "")
                    for m in _ANY_ENTITY.finditer(text))
    return _ANY_ENTITY.sub("", text) if expansion > MAX_EXPANSION else text


def escape_bare_ampersands(body: bytes) -> bytes:
    def escape(text: str) -> str:
        parts = _CDATA.split(text)
        return "".join(p if p.startswith("<![CDATA[") else _BARE_AMPERSAND.sub("&amp;", p)
                       for p in parts)
    return _on_text(body, escape)


def remove_control_bytes(body: bytes) -> tuple[bytes, int]:
    """(body, control bytes removed), for any body but UTF-16/32."""
    if _wide_encoding(body) is not None:
        return body, 0
    cleaned = _CONTROL_BYTES.sub(b"", body)
    return cleaned, len(body) - len(cleaned)


def fix_encoding_name(body: bytes) -> bytes:
    """The body with an XML declaration's junk encoding name read as utf-8."""
    head = body[:1024]
    if b"encoding" not in head:
        return body

    def fix(match: re.Match) -> bytes:
        name = match.group(2)
        return match.group(0) if _ENCODING_NAME.fullmatch(name) else match.group(1) + b"utf-8"
    return _DECLARED_ENCODING.sub(fix, head) + body[1024:]


def recover_xml(body: bytes) -> bytes | None:
    """The body as lxml's recovering parser rebuilds it (well-formed, no
    DTD loaded, no entity resolved, no network), or None if nothing is left."""
    from lxml import etree  # only for the rare body feedparser cannot take

    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.LxmlError:
        return None
    if root is None:
        return None
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def repair_stray_bytes(body: bytes, content_type: str | None) -> tuple[bytes, int]:
    """(body, stray bytes replaced): a body declared UTF-8 (or undeclared)
    that is mostly UTF-8 gets its invalid bytes read as windows-1252."""
    if _wide_encoding(body) is not None:
        return body, 0
    declared = _XML_ENCODING.match(body[:512])
    charset = _CHARSET.search(content_type or "")
    for name in (declared.group(1).decode("ascii", "replace") if declared else None,
                 charset.group(1) if charset else None):
        if name and name.lower() not in _UTF8_NAMES:
            return body, 0
    try:
        body.decode("utf-8")
        return body, 0
    except UnicodeDecodeError:
        pass
    in_sequences = sum(len(m) for m in _UTF8_SEQUENCE.findall(body))
    stray = len(_HIGH_BYTE.findall(body)) - in_sequences
    if in_sequences < stray:
        return body, 0  # a single-byte feed: feedparser's fallback reads it right
    return body.decode("utf-8", errors=STRAY_CP1252).encode("utf-8"), stray


def parse_bytes(body: bytes, content_type: str | None):
    """feedparser's result for a body made safe first; a bozo parse is tried
    again with bare ampersands escaped, keeping the better of the two."""
    headers = {"content-type": content_type} if content_type else {}
    body, controls = remove_control_bytes(fix_encoding_name(body))
    body, stray = repair_stray_bytes(defuse_entities(body), content_type)
    try:
        parsed = _parse_escaped(body, headers)
    except Exception as err:  # feedparser's own bugs on some broken nestings
        recovered = recover_xml(body)
        if recovered is None:
            raise
        parsed = _parse_escaped(recovered, headers)
        parsed["bozo"] = 1
        parsed["bozo_exception"] = Repaired(
            f"feedparser raised {type(err).__name__}; read from the XML as lxml recovers it")
        return parsed
    notes = ([f"{stray} byte(s) of invalid UTF-8 read as windows-1252"] if stray else []) + \
        ([f"{controls} control byte(s) removed"] if controls else [])
    if notes and not parsed.get("bozo"):
        parsed["bozo"] = 1
        parsed["bozo_exception"] = Repaired("; ".join(notes))
    return parsed


def _parse_escaped(body: bytes, headers: dict):
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
