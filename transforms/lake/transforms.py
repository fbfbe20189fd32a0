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

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from schemas.tables import ALL_TABLES, TABLES, TableSpec
from transforms.lake import paths
from transforms.lake.files import (
    EXTRACTIONS,
    make_parent,
    parquet_bytes,
    split_extractions,
    write_bytes,
)
from transforms.metrics import counter

# Stories last: see the module docstring.
COMMIT_ORDER = ("fetch_log", "dead_letters", "entities", "relations", "quotes",
                "dedup_index", "stories")


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
        staged = paths.part_file(paths.staging_dir(self._output, self._run_id), table, value,
                                 self._run_id)
        write_bytes(staged, parquet_bytes(table, records))
        counter(f"rows_{table_name}").inc(len(records))
        final = paths.part_file(self._output, table, value, self._run_id)
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
            make_parent(final)
            FileSystems.rename([staged], [final])
            written.add(table_name)
        for name in TABLES:
            if name not in written:
                self._ensure_readable(TABLES[name])
        staging = paths.staging_dir(self._output, self._run_id)
        if FileSystems.exists(staging):
            FileSystems.delete([staging])
        yield len(staged_files)

    def _ensure_readable(self, table: TableSpec) -> None:
        """A table this run wrote no rows to still reads back, as empty.

        Readers glob `TABLE/**/*.parquet`; a table with no file at all would
        be an error for them rather than zero rows.
        """
        pattern = paths.table_files_pattern(self._output, table)
        if FileSystems.match([pattern])[0].metadata_list:
            return
        write_bytes(paths.part_file(self._output, table, self._run_date, self._run_id),
                    parquet_bytes(table, []))


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
