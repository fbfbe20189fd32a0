"""Write stage: Hive-partitioned Parquet tables, committed all at once.

Every (table, partition) becomes one file per run, written first under
`OUTPUT/_staging/RUN_ID/` and moved into place by a single commit step that
runs only after every file is written. A run that dies before the commit
leaves no rows behind, so a rerun is never blocked by half its own output;
stories are moved last, because a stored story is what tells the next run
that its entities, relations and quotes are already there.

Paths go through Beam's FileSystems, so OUTPUT may be local, gs:// or s3://.
"""

from __future__ import annotations

import io
from typing import Iterable

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystem import BeamIOError
from apache_beam.io.filesystems import FileSystems

from schemas.records import Extraction
from schemas.tables import ALL_TABLES, TABLES, TableSpec
from transforms.metrics import counter

# Stories last: see the module docstring.
COMMIT_ORDER = ("fetch_log", "dead_letters", "entities", "relations", "quotes",
                "dedup_index", "stories")


def file_name(run_id: str) -> str:
    return f"part-{run_id}.parquet"


def partition_path(root: str, table: TableSpec, value: str) -> str:
    return FileSystems.join(root, table.path, f"{table.partition_column}={value}")


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


class _CountDeadLetters(beam.DoFn):
    """Dead letters keyed for writing, counted per stage for the manifest."""

    def __init__(self, run_date: str):
        self._run_date = run_date

    def process(self, letter):
        counter(f"dead_letters_{letter.stage}").inc()
        yield "dead_letters", (self._run_date, letter)


class _WritePartition(beam.DoFn):
    """One (table, partition) group -> one staged Parquet file."""

    def __init__(self, output: str, run_id: str):
        self._output, self._run_id = output, run_id

    def process(self, grouped):
        (table_name, value), records = grouped
        if table_name == EXTRACTIONS:
            for name, rows in split_extractions(records):
                yield self._write(name, value, rows)
        else:
            yield self._write(table_name, value, list(records))

    def _write(self, table_name: str, value: str, records: list):
        table = ALL_TABLES[table_name]
        staged = partition_path(FileSystems.join(self._output, "_staging", self._run_id),
                                table, value)
        staged = FileSystems.join(staged, file_name(self._run_id))
        write_bytes(staged, parquet_bytes(table, records))
        counter(f"rows_{table_name}").inc(len(records))
        final = FileSystems.join(partition_path(self._output, table, value),
                                 file_name(self._run_id))
        return table_name, staged, final


class _Commit(beam.DoFn):
    """Move every staged file into place once all of them exist."""

    def __init__(self, output: str, run_id: str, run_date: str):
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def process(self, _unused, staged_files):
        order = {name: i for i, name in enumerate(COMMIT_ORDER)}
        written = set()
        for table_name, staged, final in sorted(staged_files,
                                                key=lambda f: (order[f[0]], f[2])):
            _make_parent(final)
            FileSystems.rename([staged], [final])
            written.add(table_name)
        for name in TABLES:
            if name not in written:
                self._ensure_readable(TABLES[name])
        staging = FileSystems.join(self._output, "_staging", self._run_id)
        if FileSystems.exists(staging):
            FileSystems.delete([staging])
        yield len(staged_files)

    def _ensure_readable(self, table: TableSpec) -> None:
        """A table this run wrote no rows to still reads back, as empty.

        Readers glob `TABLE/**/*.parquet`; a table with no file at all would
        be an error for them rather than zero rows.
        """
        pattern = FileSystems.join(self._output, table.name, "*", "*.parquet")
        if FileSystems.match([pattern])[0].metadata_list:
            return
        path = FileSystems.join(partition_path(self._output, table, self._run_date),
                                file_name(self._run_id))
        write_bytes(path, parquet_bytes(table, []))


def _make_parent(path: str) -> None:
    parent = path.rsplit("/", 1)[0]
    try:
        FileSystems.mkdirs(parent)
    except (IOError, BeamIOError):
        pass  # exists already, or an object store without directories


class WriteTables(beam.PTransform):
    """Write all six tables and commit them together.

    Inputs (a dict): `stories` as (day, Story), `extractions` as (day,
    Extraction), `fetch_log` as FetchResult, `dead_letters` as DeadLetter,
    `dedup_index` as DedupIndexEntry (state for later runs).
    Returns the count of files committed (one element, after the commit).
    """

    def __init__(self, output: str, run_id: str, run_date: str):
        super().__init__()
        self._output, self._run_id, self._run_date = output, run_id, run_date

    def expand(self, inputs):
        run_date = self._run_date
        rows = (
            inputs["stories"] | "Stories" >> beam.Map(lambda kv: ("stories", kv)),
            inputs["extractions"] | "Extracted" >> beam.Map(lambda kv: (EXTRACTIONS, kv)),
            inputs["fetch_log"] | "Log" >> beam.Map(
                lambda r: ("fetch_log", (run_date, r.log_row()))),
            inputs["dead_letters"] | "Dead" >> beam.ParDo(_CountDeadLetters(run_date)),
            inputs["dedup_index"] | "Index" >> beam.Map(
                lambda e: ("dedup_index", (run_date, e))),
        )
        staged = (
            rows
            | "AllRows" >> beam.Flatten()
            | "ByPartition" >> beam.Map(lambda kv: ((kv[0], kv[1][0]), kv[1][1]))
            | "Group" >> beam.GroupByKey()
            | "Write" >> beam.ParDo(_WritePartition(self._output, self._run_id)))
        pipeline = staged.pipeline
        return (
            pipeline
            | "CommitTrigger" >> beam.Create([None])
            | "Commit" >> beam.ParDo(
                _Commit(self._output, self._run_id, self._run_date),
                staged_files=beam.pvalue.AsList(staged)))
