"""Write stage: the six tables as Delta Lake tables of Hive-partitioned
Parquet, committed per run (see `delta` for the protocol).

Every (table, partition) becomes one file per run, written by the workers
under `OUTPUT/_staging/RUN_ID/`; a single commit step, which runs only after
every file is written, writes the run's plan, moves the files into place and
commits each table in one Delta transaction, stories last.

Paths go through Beam's FileSystems, so OUTPUT may be local, gs:// or s3://.
"""

from __future__ import annotations

import apache_beam as beam

from schemas.tables import ALL_TABLES
from transforms.lake import delta, paths
from transforms.lake.files import EXTRACTIONS, arrow_parquet_bytes, split_extractions, write_bytes
from transforms.metrics import counter


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

    def _write(self, table_name: str, value: str, records: list) -> delta.StagedFile:
        spec = ALL_TABLES[table_name]
        table = spec.to_arrow(records)
        data = arrow_parquet_bytes(spec, table)
        staged = paths.part_file(paths.staging_dir(self._output, self._run_id), spec, value,
                                 self._run_id)
        write_bytes(staged, data)
        counter(f"rows_{table_name}").inc(len(records))
        return delta.StagedFile(
            table=table_name, partition=value, staged=staged,
            final=paths.part_file(self._output, spec, value, self._run_id),
            size=len(data), rows=table.num_rows, stats=delta.file_stats(table, spec))


class _Commit(beam.DoFn):
    """Once every file is written: plan, move and commit them (`delta`)."""

    def __init__(self, output: str, run_id: str, run_date: str, replace_stories: bool):
        self._output, self._run_id, self._run_date = output, run_id, run_date
        self._replace_stories = replace_stories

    def process(self, _unused, staged_files):
        plan = delta.CommitPlan(self._run_id, tuple(sorted(staged_files, key=lambda f: f.final)),
                                replace_stories=self._replace_stories)
        delta.write_plan(self._output, plan)
        delta.apply_plan(self._output, plan)
        delta.ensure_tables(self._output, self._run_date, self._run_id)
        yield len(staged_files)


class WriteTables(beam.PTransform):
    """Write all six tables and commit them together.

    Inputs (a dict): `stories` as (day, Story), `extractions` as (day,
    Extraction), `fetch_log` as FetchResult, `dead_letters` as DeadLetter,
    `dedup_index` as DedupIndexEntry (state for later runs).
    Returns the count of files committed (one element, after the commit).
    A run that dies before the commit leaves its files in staging, where the
    next run discards them (`delta.recover`). With `replace_stories` the
    stories written replace their stored rows in every story-level table.
    """

    def __init__(self, output: str, run_id: str, run_date: str,
                 replace_stories: bool = False):
        super().__init__()
        self._output, self._run_id, self._run_date = output, run_id, run_date
        self._replace_stories = replace_stories

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
                _Commit(self._output, self._run_id, self._run_date, self._replace_stories),
                staged_files=beam.pvalue.AsList(staged)))
