"""Table files: records to Parquet bytes, and bytes to a path.

Plain functions, no Beam; `transforms.WriteTables` calls them per
(table, partition) group and in the commit step.
"""

from __future__ import annotations

import io
from typing import Iterable

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems

from schemas.records import Extraction
from schemas.tables import SCHEMA_VERSION, TableSpec


# Columns whose values rarely repeat within a file: a dictionary would cost
# space and time and then be abandoned by the writer half-way.
_NO_DICTIONARY = {"title", "body", "summary", "quote", "payload", "message", "url",
                  "content_hash", "signature", "canonical_url", "warning", "raw_path",
                  "effective_url"}
# Row groups of this many rows: big enough for zstd and for readers' scans,
# small enough that min/max statistics (sorted files) let readers skip.
ROW_GROUP_ROWS = 64 * 1024


def _dictionary_columns(spec: TableSpec) -> list[str]:
    unique = {"story_id"} if spec.name in ("stories", "dedup_index") else set()
    return [name for name in spec.columns if name not in _NO_DICTIONARY | unique]


def arrow_parquet_bytes(spec: TableSpec, table: pa.Table) -> bytes:
    """zstd Parquet with statistics, dictionaries where they pay and the
    schema version in the file metadata."""
    sink = io.BytesIO()
    table = table.replace_schema_metadata(
        {b"wirestream.schema_version": str(SCHEMA_VERSION).encode(),
         b"wirestream.table": spec.name.encode()})
    pq.write_table(table, sink, compression="zstd", use_dictionary=_dictionary_columns(spec),
                   row_group_size=ROW_GROUP_ROWS, write_statistics=True)
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


def split_extractions(extractions: Iterable[Extraction]) -> Iterable[tuple[str, list]]:
    """(table name, rows) of each extracted table that has rows."""
    extractions = list(extractions)
    for table in EXTRACTED_TABLES:
        rows = [row for extraction in extractions for row in getattr(extraction, table)]
        if rows:
            yield table, rows


def make_parent(path: str) -> None:
    parent = path.rsplit("/", 1)[0]
    try:
        FileSystems.mkdirs(parent)
    except (IOError, BeamIOError):
        pass  # exists already, or an object store without directories
