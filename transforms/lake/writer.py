"""A (table, partition)'s rows to staged Parquet files, as the rows come.

A busy day of a backfill is one group of millions of rows; the writer never
holds more than one row group of them. Rows are buffered until a row group
is full (`Limits.row_group_rows`, or about `row_group_bytes` of text), then
sorted by the table's sort key and written as one row group; a file is
closed and the next one started once it passes `file_rows` or `file_bytes`.
Every file is staged under `_staging/RUN_ID/` and committed later with the
run's other files, in one Delta transaction per table (`delta`).

Sorting per row group, not per file: rows of a group reach the writer in no
particular order, and sorting a whole file would mean holding it. A
partition that fits in one row group (every scheduled run's) is therefore
written exactly as before, one sorted file; a bigger one gets row groups
that are each sorted, so the rows of one story stay together and compress
well, but the row groups' story_id ranges overlap and min/max statistics
no longer let a reader looking up one story skip the others. Such files
(those whose first row group filled up) carry a Bloom filter of story_id
per row group instead, which DuckDB and Spark consult for `story_id = x`.

Plain Python over pyarrow and Beam's FileSystems, no pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from apache_beam.io.filesystems import FileSystems

from schemas.tables import TableSpec
from transforms.lake import delta, paths
from transforms.lake.files import (
    FILE_BYTES,
    FILE_ROWS,
    ROW_GROUP_BYTES,
    ROW_GROUP_ROWS,
    parquet_writer,
)

# Rough cost of a field that is not text, for sizing a row group.
_SCALAR_BYTES = 8


# Records (stories, extractions, index entries) one write key gathers: a
# runner may hold a key's records all at once (Beam's local runner does), so
# a partition with more is spread over several keys, each writing its own
# files. 5,000 extractions are about 250,000 entity rows.
KEY_RECORDS = 5_000


@dataclass(frozen=True)
class Limits:
    row_group_rows: int = ROW_GROUP_ROWS
    row_group_bytes: int = ROW_GROUP_BYTES
    file_rows: int = FILE_ROWS
    file_bytes: int = FILE_BYTES
    key_records: int = KEY_RECORDS


def approximate_size(record: Any) -> int:
    """About what a record's values take in a row group: its text and bytes,
    plus a word for anything else."""
    size = 0
    for value in vars(record).values():
        if isinstance(value, (str, bytes)):
            size += len(value)
        elif isinstance(value, tuple):
            size += sum(len(v) if isinstance(v, (str, bytes)) else _SCALAR_BYTES
                        for v in value)
        else:
            size += _SCALAR_BYTES
    return size


class _CountingSink:
    """A file handle that knows how many bytes went through it: the size a
    file reached, without asking the file system while it is being written."""

    def __init__(self, handle):
        self._handle = handle
        self.written = 0
        self.closed = False

    def write(self, data) -> int:
        self._handle.write(data)
        size = memoryview(data).nbytes
        self.written += size
        return size

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        self._handle.flush()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
            self.closed = True


class _OpenFile:
    """One staged file being written, row group by row group."""

    def __init__(self, spec: TableSpec, staged: str, final: str, bloom_rows: int):
        self.staged, self.final = staged, final
        self._sink = _CountingSink(FileSystems.create(staged))
        self._writer = parquet_writer(spec, self._sink, bloom_rows)
        self.stats = delta.FileStats()

    @property
    def size(self) -> int:
        return self._sink.written

    def write(self, table) -> None:
        self._writer.write_table(table, row_group_size=max(table.num_rows, 1))
        self.stats.add(table)

    def close(self) -> None:
        self._writer.close()
        self._sink.close()


class PartitionWriter:
    """Rows of one table's partition, added one at a time, written as the
    staged files of a run; `close()` returns them for the commit."""

    def __init__(self, output: str, run_id: str, spec: TableSpec, partition: str,
                 limits: Limits = Limits(), bucket: int = 0):
        self._output, self._run_id = output, run_id
        # Each bucket of a busy partition writes files of its own name.
        self._name = run_id if bucket == 0 else f"{run_id}-b{bucket}"
        self._spec, self._partition, self._limits = spec, partition, limits
        self._buffer: list = []
        self._buffered_bytes = 0
        self._file: Optional[_OpenFile] = None
        self._done: list[delta.StagedFile] = []

    def add(self, record: Any) -> None:
        self._buffer.append(record)
        self._buffered_bytes += approximate_size(record)
        if (len(self._buffer) >= self._limits.row_group_rows
                or self._buffered_bytes >= self._limits.row_group_bytes):
            self._flush(full=True)

    def close(self) -> list[delta.StagedFile]:
        """Write what is buffered, close the open file; every staged file."""
        self._flush(full=False)
        self._close_file()
        return self._done

    def _flush(self, full: bool) -> None:
        if not self._buffer:
            return
        table = self._spec.to_arrow(self._buffer)  # sorted by the table's key
        self._buffer, self._buffered_bytes = [], 0
        if self._file is None:
            # A file that starts with a full row group may get more.
            self._file = self._open(len(self._done), table.num_rows if full else 0)
        self._file.write(table)
        if (self._file.stats.rows >= self._limits.file_rows
                or self._file.size >= self._limits.file_bytes):
            self._close_file()

    def _open(self, sequence: int, bloom_rows: int) -> _OpenFile:
        # The first file keeps the name a run's only file always had.
        name = self._name if sequence == 0 else f"{self._name}-{sequence}"
        staging = paths.staging_dir(self._output, self._run_id)
        return _OpenFile(self._spec,
                         paths.part_file(staging, self._spec, self._partition, name),
                         paths.part_file(self._output, self._spec, self._partition, name),
                         bloom_rows)

    def _close_file(self) -> None:
        if self._file is None:
            return
        self._file.close()
        self._done.append(delta.StagedFile(
            table=self._spec.name, partition=self._partition, staged=self._file.staged,
            final=self._file.final, size=self._file.size, rows=self._file.stats.rows,
            stats=self._file.stats.to_json()))
        self._file = None
