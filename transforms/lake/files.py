"""Table files: how they are written (one Parquet writer's settings for
every file), and bytes to a path.

Plain functions, no Beam; `writer.PartitionWriter` streams a (table,
partition) group's rows through `parquet_writer`, the commit step writes its
small files whole.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems

from schemas.tables import SCHEMA_VERSION, TableSpec


# Columns whose values rarely repeat within a file: a dictionary would cost
# space and time and then be abandoned by the writer half-way.
_NO_DICTIONARY = {"title", "body", "summary", "quote", "payload", "message", "url",
                  "content_hash", "signature", "canonical_url", "warning", "raw_path",
                  "effective_url"}
# Long text: its min/max would be copied into every page header and row
# group's footer entry, whole, and no reader skips on a body.
_NO_STATISTICS = {"title", "body", "summary", "quote", "payload", "message"}
# Row groups of this many rows: big enough for zstd and for readers' scans,
# small enough that min/max statistics (rows sorted within a group) let
# readers skip.
ROW_GROUP_ROWS = 64 * 1024
# ... or of about this much text, whichever comes first: the writer holds one
# row group's records in memory, and 64k stories of long bodies would not fit.
ROW_GROUP_BYTES = 64 * 1024 * 1024
# A run's file of one partition is closed and another started past either
# limit: the size `wirestream compact` merges files up to, so a backfill's
# files need no compaction.
FILE_ROWS = 16 * ROW_GROUP_ROWS
FILE_BYTES = 128 * 1024 * 1024


def _dictionary_columns(spec: TableSpec) -> list[str]:
    unique = {"story_id"} if spec.name in ("stories", "dedup_index") else set()
    return [name for name in spec.columns if name not in _NO_DICTIONARY | unique]


# False positives of a story_id Bloom filter: about 8 bits a story.
BLOOM_FPP = 0.05


def parquet_writer(spec: TableSpec, sink, bloom_rows: int = 0) -> pq.ParquetWriter:
    """A Parquet writer of the table's files: zstd, statistics, dictionaries
    where they pay and the schema version in the file metadata. With
    BLOOM_ROWS, each row group also gets a Bloom filter of its story_ids
    sized for that many rows, for files whose row groups' id ranges overlap
    (`writer`)."""
    schema = spec.schema.with_metadata(
        {b"wirestream.schema_version": str(SCHEMA_VERSION).encode(),
         b"wirestream.table": spec.name.encode()})
    blooms = ({"story_id": {"ndv": bloom_rows, "fpp": BLOOM_FPP}}
              if bloom_rows and "story_id" in spec.columns else None)
    return pq.ParquetWriter(sink, schema, compression="zstd",
                            use_dictionary=_dictionary_columns(spec),
                            write_statistics=[c for c in spec.columns if c not in _NO_STATISTICS],
                            bloom_filter_options=blooms)


def arrow_parquet_bytes(spec: TableSpec, table: pa.Table) -> bytes:
    """A whole table as one file's bytes (small files: empty tables, the
    rows a --reprocess keeps)."""
    sink = io.BytesIO()
    with parquet_writer(spec, sink) as writer:
        writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
    return sink.getvalue()


def parquet_bytes(spec: TableSpec, records: list) -> bytes:
    return arrow_parquet_bytes(spec, spec.to_arrow(records))


def write_bytes(path: str, data: bytes) -> None:
    with FileSystems.create(path) as handle:
        handle.write(data)


# Extractions travel to the writer whole, one element per story, grouped by
# day under this name, and are split into their tables' rows only there:
# far fewer elements to shuffle than one per entity, relation and quote.
EXTRACTIONS = "extractions"
EXTRACTED_TABLES = ("entities", "relations", "quotes")


def make_parent(path: str) -> None:
    parent = path.rsplit("/", 1)[0]
    try:
        FileSystems.mkdirs(parent)
    except (IOError, BeamIOError):
        pass  # exists already, or an object store without directories
