"""A response body, decompressed, never more than a cap in memory.

A few hundred kilobytes of gzip or deflate can inflate to gigabytes. An
HTTP library that inflates each network read in one go holds a whole read's
worth (64 KB of zeros becomes 64 MB) before anyone can count it, so the
fetcher reads the raw bytes and inflates them here, asking zlib for at most
one byte more than the cap still allows: memory stays near the cap whatever
the compression ratio.
"""

from __future__ import annotations

import zlib
from typing import Iterable, Optional


# Inflated a piece at a time: zlib grows its output buffer by doubling, so
# one piece as large as the cap would briefly cost about twice the cap.
PIECE = 256 * 1024


class BodyError(Exception):
    """A body that is too large or cannot be decoded; one-line message."""


def read_capped(chunks: Iterable[bytes], content_encoding: Optional[str],
                max_bytes: int) -> bytes:
    """The decoded body of raw `chunks`, or BodyError past `max_bytes`."""
    inflater = _inflater(content_encoding)
    parts, size, raw = [], 0, 0
    for chunk in chunks:
        raw += len(chunk)
        if raw > max_bytes:
            raise BodyError(f"body larger than {max_bytes} bytes")
        room = min(max_bytes - size + 1, PIECE)
        for piece in (inflater.feed(chunk, room) if inflater else (chunk,)):
            size += len(piece)
            if size > max_bytes:
                raise BodyError(f"body larger than {max_bytes} bytes")
            parts.append(piece)
    if inflater:
        inflater.finish()
    return b"".join(parts)


def _inflater(content_encoding: Optional[str]) -> Optional["_Inflater"]:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return None
    if len(codings) > 1:
        raise BodyError(f"unsupported Content-Encoding {content_encoding!r} (more than one)")
    if codings[0] in ("gzip", "x-gzip"):
        return _Inflater("gzip")
    if codings[0] == "deflate":
        return _Inflater("deflate")
    raise BodyError(f"unsupported Content-Encoding {codings[0]!r}")


class _Inflater:
    """gzip (members one after another) or deflate (zlib-wrapped, or raw as
    some servers send it), inflated in bounded pieces."""

    def __init__(self, coding: str):
        self._coding = coding
        self._pending = b""  # deflate: bytes held until its header can be told
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS) if coding == "gzip" else None
        self._fed = False

    def feed(self, data: bytes, room: int):
        """Inflated pieces of `data`, each at most `room` bytes: the caller
        stops asking once it has more than it allows."""
        self._fed = self._fed or bool(data)
        if self._z is None:
            self._pending += data
            if len(self._pending) < 2:
                return
            data, self._pending = self._pending, b""
            self._z = zlib.decompressobj(zlib.MAX_WBITS if _zlib_header(data) else -zlib.MAX_WBITS)
        while True:
            try:
                piece = self._z.decompress(data, room)
            except zlib.error as err:
                raise BodyError(f"corrupt {self._coding} body: {err}") from None
            data = self._z.unconsumed_tail
            if self._z.eof:
                rest = self._z.unused_data
                if self._coding == "gzip" and rest.strip(b"\0"):
                    self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)  # the next member
                    data = rest + data
                else:
                    data = b""  # trailing bytes after a deflate stream: ignored
            if not piece and not data:
                return
            # With its input used up zlib may still hold output (a capped
            # call stops mid-copy): the next round, on no input, drains it.
            yield piece

    def finish(self) -> None:
        # An empty body is left for the parser to call empty; one that
        # stops inside the compressed stream was cut short.
        if self._fed and (self._z is None or not self._z.eof):
            raise BodyError(f"truncated {self._coding} body")


def _zlib_header(data: bytes) -> bool:
    return data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
