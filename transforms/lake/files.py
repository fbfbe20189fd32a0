"""Table files: records to Parquet bytes, and bytes to a path.

Plain functions, no Beam; `transforms.WriteTables` calls them per
(table, partition) group and in the commit step.
"""

from __future__ import annotations

import io
from typing import Iterable

import pyarrow.parquet as pq
from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems

from schemas.records import Extraction
from schemas.tables import TableSpec


def parquet_bytes(table: TableSpec, records: list) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table.to_arrow(records), sink, compression="zstd")
    return sink.getvalue()


def write_bytes(path: str, data: bytes) -> None:
    with FileSystems.create(path) as handle:
        handle.write(data)


# Extractions travel to the writer whole, one element per story, grouped by
# day under this name, and are split into their tables' rows only there:
# far fewer elements to shuffle than one per entity, relation and quote.
EXTRACTIONS = "extractions"


EXTRACTED_TABLES = ("entities", "relations", "quotes")


def explode_extraction(keyed: tuple[str, Extraction]) -> Iterable[tuple[str, tuple[str, object]]]:
    """(day, Extraction) -> (table name, (day, row)) for each found row."""
    day, extraction = keyed
    for table in EXTRACTED_TABLES:
        for row in getattr(extraction, table):
            yield table, (day, row)


def split_extractions(extractions: Iterable[Extraction]) -> Iterable[tuple[str, list]]:
    """(table name, rows) of each extracted table with rows, in the order
    explode_extraction gives them."""
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
