"""Raw responses kept for replay: one gzip file per changed fetch.

Each file holds one JSON line describing the fetch, then the body exactly as
received (after transfer decompression). `wirestream run --replay RAW_DIR`
turns these back into FetchResults and rebuilds the tables offline. A file
that cannot be read back (truncated, not gzip, a header missing its fields)
becomes a failed FetchResult naming the file, so it is one fetch_log row
with an error and the replay goes on. Where a file lives is `lake.paths`'s
business: nothing read from a file becomes part of a path.
"""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import datetime, timezone

from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems

from schemas.records import FetchResult


def encode(result: FetchResult) -> bytes:
    header = {
        "feed_url": result.feed_url, "source": result.source,
        "language": result.language, "status": result.status,
        "content_type": result.content_type, "effective_url": result.effective_url,
        "fetched_at": result.fetched_at.isoformat(), "run_id": result.run_id,
    }
    return gzip.compress(json.dumps(header).encode("utf-8") + b"\n" + (result.body or b""),
                         mtime=0)


class CorruptRaw(ValueError):
    """A raw file that cannot be turned back into a fetch."""


def decode(data: bytes, run_id: str, path: str) -> FetchResult:
    """The fetch a raw file holds; CorruptRaw when it holds none."""
    try:
        header_line, _, body = gzip.decompress(data).partition(b"\n")
        header = json.loads(header_line)
    except (OSError, EOFError, zlib.error, ValueError) as err:
        raise CorruptRaw(f"{type(err).__name__}: {err}") from None
    if not isinstance(header, dict):
        raise CorruptRaw("header is not a JSON object")
    for key in ("feed_url", "source", "fetched_at"):
        if not isinstance(header.get(key), str):
            raise CorruptRaw(f"header has no {key}")
    try:
        fetched_at = datetime.fromisoformat(header["fetched_at"])
    except ValueError:
        raise CorruptRaw(f"fetched_at is not ISO 8601: {header['fetched_at'][:40]!r}") from None
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=timezone.utc)
    return FetchResult(
        run_id=run_id, feed_url=header["feed_url"], source=header["source"],
        status=header.get("status"), not_modified=False, items=0, bytes=len(body),
        duration_ms=0, error=None,
        fetched_at=fetched_at.astimezone(timezone.utc), outcome="replayed",
        effective_url=header.get("effective_url"), raw_path=path, body=body,
        language=header.get("language"), content_type=header.get("content_type"))


def unreadable(path: str, run_id: str, error: Exception) -> FetchResult:
    """The fetch_log row of a raw file that could not be read back."""
    return FetchResult(
        run_id=run_id, feed_url=path, source="replay", status=None, not_modified=False,
        items=0, bytes=0, duration_ms=0, error=f"CorruptRaw: {error}"[:300],
        fetched_at=datetime.now(timezone.utc), outcome="replayed", raw_path=path)


def write(path: str, result: FetchResult) -> None:
    # We gzip ourselves (fixed mtime: same input, same bytes); FileSystems
    # must not compress again because of the .gz suffix.
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.write(encode(result))


def read(path: str, run_id: str) -> FetchResult:
    """A raw file's fetch, or a failed one saying why it cannot be read."""
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        data = handle.read()
    try:
        return decode(data, run_id, path)
    except CorruptRaw as err:
        return unreadable(path, run_id, err)

