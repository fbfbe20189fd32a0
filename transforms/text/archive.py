"""JSON Lines backfills to stories (`transforms.ReadArchive` wires it into Beam).

Each line is one story (contract: id, title, body, url, published, source,
summary, authors). A line that is not JSON, or has neither title nor body, is
a dead letter naming its file and line number; the run goes on. So is a line
over MAX_LINE_BYTES (read past without holding it), and a file that is binary
rather than text is one dead letter for the whole file, and so is a
compressed file that stops decompressing (the lines before it are read). A
date no story can
have (year 0, 9999) is dropped with a logged warning: the story is kept and
filed under its fetch date, as an undated one is.
"""

from __future__ import annotations

import json
import logging
import lzma
import re
import zlib
from datetime import datetime
from typing import BinaryIO, Iterable, Iterator, NamedTuple, Union

from schemas.records import DeadLetter, Story, dead_letter
from transforms.text.feed_bytes import STRAY_CP1252
from transforms.text.stories import (
    DateOutOfRange,
    InvalidStory,
    build_story,
    derive_story_id,
    plausible_published,
    utc_from_iso,
)

STAGE = "archive"
LOG = logging.getLogger(__name__)
# A story is far smaller than this; a longer line is a broken export (no
# newlines) or not text at all, and parsing it would hold it several times
# over in memory. The same figure as the default cap on a whole feed.
MAX_LINE_BYTES = 10 * 1024 * 1024
_CHUNK = 1024 * 1024
_HEAD = 4096
_UTF8_BOM = b"\xef\xbb\xbf"
# Magic numbers of files people hand over instead of JSON Lines.
_BINARY_MAGIC = {b"\x1f\x8b": "gzip data (name it .gz to have it decompressed)",
                 b"PK\x03\x04": "a zip archive", b"PAR1": "a Parquet file",
                 b"%PDF": "a PDF document", b"BZh": "bzip2 data (name it .bz2)",
                 b"\xfd7zXZ": "xz data"}
# An id is kept verbatim (contract), so it must be storable as it is.
_UNSTORABLE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")


class OversizedLine(NamedTuple):
    """A line read past: its size in bytes and its first bytes."""
    size: int
    head: bytes


class LastLine(bytes):
    """The file's last line when the file does not end with a line end."""


class Undecompressable(NamedTuple):
    """Where a compressed file stopped decompressing, and why."""
    error: str


def _is_decompression_error(err: BaseException) -> bool:
    """Errors of bad compressed data, as Beam's compressed files raise them
    (zlib for .gz and .deflate, lzma, bz2's and gzip's OSError, zstd's own),
    not an I/O error, which carries an errno and should fail the bundle so
    that it is retried."""
    if isinstance(err, (zlib.error, lzma.LZMAError, EOFError)):
        return True
    if isinstance(err, OSError):
        return err.errno is None
    return type(err).__name__ == "ZstdError"


def _text_field(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidStory(f"{key} must be a string, got {type(value).__name__}")


def parse_archive_line(line: str, ref: str, run_id: str,
                       fetched_at: datetime) -> Union[Story, DeadLetter]:
    """One archive line to a Story, or a DeadLetter saying why not."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return dead_letter(run_id, STAGE, "InvalidJSON", str(err), ref=ref,
                           payload=line, at=fetched_at)
    try:
        if not isinstance(record, dict):
            raise InvalidStory(f"line is a JSON {type(record).__name__}, not an object")
        return _archive_story(record, ref, run_id, fetched_at)
    except InvalidStory as err:
        return dead_letter(run_id, STAGE, "InvalidStory", str(err), ref=ref,
                           payload=line, at=fetched_at)
    except Exception as err:  # a bug on one odd line costs that line, not the run
        return dead_letter(run_id, STAGE, type(err).__name__, str(err), ref=ref,
                           payload=line, at=fetched_at)


def _published(record: dict, ref: str, fetched_at: datetime):
    try:
        return plausible_published(utc_from_iso(record.get("published")), fetched_at)
    except DateOutOfRange as err:
        LOG.warning("%s: %s; story kept without published_at", ref, err)
        return None


def _archive_story(record: dict, ref: str, run_id: str, fetched_at: datetime) -> Story:
    title = _text_field(record, "title") or ""
    url = _text_field(record, "url")
    published = _published(record, ref, fetched_at)
    authors = record.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise InvalidStory("authors must be a list of strings")
    given_id = record.get("id")
    if given_id is not None and not isinstance(given_id, (str, int)):
        raise InvalidStory("id must be a string")
    if isinstance(given_id, str) and _UNSTORABLE.search(given_id):
        raise InvalidStory("id contains control characters or invalid Unicode")
    story_id = (str(given_id) if given_id not in (None, "")
                else derive_story_id(None, None, url, title, published))
    return build_story(
        story_id=story_id, source=_text_field(record, "source") or "archive",
        feed_url=None, url=url, title=title,
        body_markup=_text_field(record, "body"),
        summary_markup=_text_field(record, "summary"),
        published_at=published, fetched_at=fetched_at,
        language=_text_field(record, "language"), authors=authors,
        run_id=run_id)


def bounded_lines(handle: BinaryIO, limit: int = MAX_LINE_BYTES
                  ) -> Iterator[Union[bytes, OversizedLine, Undecompressable]]:
    """The lines of a binary file, each at most `limit` bytes; a longer one
    is read past in chunks and comes out as an OversizedLine. A compressed
    file whose data stops decompressing ends in an Undecompressable."""
    pending, skipped, head = b"", 0, b""
    while True:
        try:
            chunk = handle.read(_CHUNK)
        except Exception as err:
            if not _is_decompression_error(err):
                raise
            yield Undecompressable(f"{type(err).__name__}: {err}")
            return
        if not chunk:
            break
        lines = (pending + chunk).split(b"\n") if not skipped else chunk.split(b"\n")
        for done in lines[:-1]:
            if skipped:
                yield OversizedLine(skipped + len(done), head)
                skipped = 0
            elif len(done) > limit:
                yield OversizedLine(len(done), done[:_HEAD])
            else:
                yield done
        pending = lines[-1]
        if skipped:
            skipped += len(pending)
            pending = b""
        elif len(pending) > limit:
            skipped, head, pending = len(pending), pending[:_HEAD], b""
    if skipped:
        yield OversizedLine(skipped, head)
    elif pending:
        yield LastLine(pending)


def binary_kind(first_bytes: bytes) -> str | None:
    """What a file that is plainly not text is, from its first bytes."""
    for magic, kind in _BINARY_MAGIC.items():
        if first_bytes.startswith(magic):
            return kind
    if b"\x00" in first_bytes[:_HEAD]:
        return "binary data (NUL bytes)"
    return None


class NumberedLine(NamedTuple):
    """A line of an archive file: ref is "path:number"; repaired when some
    of its bytes were not UTF-8 and were read as windows-1252."""

    ref: str
    text: str
    repaired: bool = False


def decode_line(raw: bytes) -> tuple[str, bool]:
    """(text, repaired): UTF-8, with each byte that is not read as
    windows-1252, as a feed's stray bytes are (Windows tools write it, and a
    latin-1 archive reads right that way), rather than as U+FFFD."""
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors=STRAY_CP1252), True


def numbered_lines(lines: Iterable[Union[str, bytes, OversizedLine, Undecompressable]],
                   path: str, run_id: str,
                   fetched_at: datetime) -> Iterator[Union[NumberedLine, DeadLetter]]:
    """Each non-blank line of one archive file, in order; a file that is
    plainly not text, or a line over the limit, is a dead letter instead.
    Parsing is left to `parse_archive_line`, so the lines of one large file
    can be spread over workers first."""
    for number, raw in enumerate(lines, start=1):
        ref = f"{path}:{number}"
        if isinstance(raw, Undecompressable):
            read = ("nothing read from it" if number == 1
                    else f"its first {number - 1:,} line(s) were read, the rest was not")
            yield dead_letter(run_id, STAGE, "NotJSONLines",
                              f"{path} stops decompressing at line {number:,} "
                              f"({raw.error}); {read}", ref=path, at=fetched_at)
            return
        if number == 1 and isinstance(raw, (bytes, OversizedLine)):
            kind = binary_kind(raw.head if isinstance(raw, OversizedLine) else raw)
            if kind:
                yield dead_letter(run_id, STAGE, "NotJSONLines",
                                  f"{path} is {kind}, not JSON Lines; nothing read from it",
                                  ref=path, payload=_head_text(raw), at=fetched_at)
                return
        if number == 1 and isinstance(raw, bytes) and raw.startswith(_UTF8_BOM):
            # Windows tools start UTF-8 text with one.
            raw = type(raw)(raw[len(_UTF8_BOM):])
        if isinstance(raw, OversizedLine):
            yield dead_letter(run_id, STAGE, "LineTooLong",
                              f"line {number} is {raw.size:,} bytes, over the "
                              f"{MAX_LINE_BYTES:,}-byte limit of an archive line",
                              ref=ref, payload=_head_text(raw), at=fetched_at)
            continue
        line, repaired = decode_line(raw) if isinstance(raw, bytes) else (raw, False)
        if not line.strip():
            continue
        if isinstance(raw, LastLine) and not _is_json(line):
            # A download cut short or a file still being written (a
            # compressed one that stops early reads as if it had ended).
            yield dead_letter(run_id, STAGE, "InvalidJSON",
                              f"line {number:,} ends the file without a line end and is "
                              f"not whole JSON: the file was cut short",
                              ref=ref, payload=line[:_HEAD], at=fetched_at)
        else:
            yield NumberedLine(ref, line, repaired)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except json.JSONDecodeError:
        return False
    return True


def iter_archive(lines: Iterable[Union[str, bytes, OversizedLine]], path: str, run_id: str,
                 fetched_at: datetime) -> Iterator[Union[Story, DeadLetter]]:
    """Stories and dead letters of one archive file's lines, in order."""
    for item in numbered_lines(lines, path, run_id, fetched_at):
        yield parse_archive_line(item.text, item.ref, run_id, fetched_at) \
            if isinstance(item, NumberedLine) else item


def _head_text(raw: Union[bytes, OversizedLine]) -> str:
    head = raw.head if isinstance(raw, OversizedLine) else raw[:_HEAD]
    return head.decode("utf-8", errors="replace")


def read_archive(handle: BinaryIO, path: str, run_id: str,
                 fetched_at: datetime) -> Iterator[Union[Story, DeadLetter]]:
    """iter_archive over an open binary file, holding one line at a time."""
    return iter_archive(bounded_lines(handle), path, run_id, fetched_at)


def read_archive_lines(handle: BinaryIO, path: str, run_id: str, fetched_at: datetime
                       ) -> Iterator[Union[NumberedLine, DeadLetter]]:
    """numbered_lines over an open binary file, holding one line at a time."""
    return numbered_lines(bounded_lines(handle), path, run_id, fetched_at)
