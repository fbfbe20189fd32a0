"""Raw responses kept for replay: one gzip file per changed fetch.

Each file holds one JSON line describing the fetch, then the body exactly as
received (after transfer decompression). `wirestream run --replay RAW_DIR`
turns these back into FetchResults and rebuilds the tables offline.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime

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


def decode(data: bytes, run_id: str, path: str) -> FetchResult:
    header_line, _, body = gzip.decompress(data).partition(b"\n")
    header = json.loads(header_line)
    return FetchResult(
        run_id=run_id, feed_url=header["feed_url"], source=header["source"],
        status=header.get("status"), not_modified=False, items=0, bytes=len(body),
        duration_ms=0, error=None,
        fetched_at=datetime.fromisoformat(header["fetched_at"]), outcome="replayed",
        effective_url=header.get("effective_url"), raw_path=path, body=body,
        language=header.get("language"), content_type=header.get("content_type"))


def write(path: str, result: FetchResult) -> None:
    # We gzip ourselves (fixed mtime: same input, same bytes); FileSystems
    # must not compress again because of the .gz suffix.
    with FileSystems.create(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        handle.write(encode(result))


def read(path: str, run_id: str) -> FetchResult:
    with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as handle:
        return decode(handle.read(), run_id, path)

