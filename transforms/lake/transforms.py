"""Write stage: the six tables as Delta Lake tables of Hive-partitioned
Parquet, committed per run (see `delta` for the protocol).

Every (table, partition) becomes one file per run (several when it is
large: `writer`; a partition of more than `Limits.key_records` stories is
spread over several write keys, so no worker gathers a whole busy day),
written by the workers as its rows come, under
`OUTPUT/_staging/RUN_ID/`; a single commit step, which runs only after
every file is written, writes the run's plan, moves the files into place and
commits each table in one Delta transaction, stories last.

Paths go through Beam's FileSystems, so OUTPUT may be local, gs:// or s3://.
"""

from __future__ import annotations

import json
import logging
import math
import zlib
from typing import Optional

import apache_beam as beam
from apache_beam.transforms.window import GlobalWindow

from schemas import coders as record_coders
from schemas.records import DeadLetter, DedupIndexEntry, Extraction, FetchResult, Story
from schemas.tables import ALL_TABLES
from transforms.fetch.feed_state import merge_states
from transforms.lake import delta, paths
from transforms.lake.windows import window_line, window_manifest
from transforms.lake.files import EXTRACTED_TABLES, EXTRACTIONS, write_bytes
from transforms.lake.writer import Limits, PartitionWriter
from transforms.metrics import counter

LOG = logging.getLogger("wirestream.stream")


def window_run_id(run_id: str, window) -> str:
    """The id a window's files and commit go by: the run's own in batch (one
    global window), the run's plus the window's end in a stream."""
    if isinstance(window, GlobalWindow):
        return run_id
    return f"{run_id}-w{window.end.to_utc_datetime():%Y%m%dT%H%M%S}"


class _RunDated(beam.DoFn):
    """A log row keyed for writing under its run_date partition: the run's
    date in batch, the date of the element's window in a stream."""

    def __init__(self, table: str, run_date: Optional[str]):
        self._table, self._run_date = table, run_date

    def process(self, record, timestamp=beam.DoFn.TimestampParam):
        if self._table == "dead_letters":
            counter(f"dead_letters_{record.stage}").inc()
        if self._table == "fetch_log":
            record = record.log_row()
        day = self._run_date or timestamp.to_utc_datetime().strftime("%Y-%m-%d")
        yield (self._table, day, 0), record


def _story_dated(table: str):
    """(day, record) -> ((table, day, 0), record)."""
    return lambda kv: ((table, kv[0], 0), kv[1])


def _partition_of(keyed) -> tuple[str, str]:
    (table, day, _bucket), _record = keyed
    return table, day


class _Spread(beam.DoFn):
    """A record of a partition with more records than one key should
    gather goes to one of ceil(records / key_records) buckets, by a hash of
    its story_id: the same bucket on every worker and every retry."""

    def __init__(self, key_records: int):
        self._key_records = key_records

    def process(self, keyed, sizes):
        (table, day, _bucket), record = keyed
        buckets = math.ceil(sizes.get((table, day), 1) / self._key_records)
        if buckets <= 1:
            yield keyed
        else:
            bucket = zlib.crc32(record.story_id.encode("utf-8")) % buckets
            yield (table, day, bucket), record


class _WritePartition(beam.DoFn):
    """One (table, partition) group -> its staged Parquet files, written as
    the rows come (`writer.PartitionWriter`)."""

    def __init__(self, output: str, run_id: str, limits: Limits):
        self._output, self._run_id, self._limits = output, run_id, limits

    def process(self, grouped, window=beam.DoFn.WindowParam):
        (table_name, value, bucket), records = grouped
        run_id = window_run_id(self._run_id, window)
        writers: dict[str, PartitionWriter] = {}

        def writer(name: str) -> PartitionWriter:
            if name not in writers:
                writers[name] = PartitionWriter(self._output, run_id, ALL_TABLES[name],
                                                value, self._limits, bucket)
            return writers[name]

        if table_name == EXTRACTIONS:
            for extraction in records:
                for name in EXTRACTED_TABLES:
                    rows = getattr(extraction, name)
                    if rows:
                        add = writer(name).add
                        for row in rows:
                            add(row)
        else:
            add = writer(table_name).add
            for record in records:
                add(record)
        for name in sorted(writers):
            for staged in writers[name].close():
                counter(f"rows_{name}").inc(staged.rows)
                yield staged


class _Commit(beam.DoFn):
    """Once every file is written: plan, move and commit them (`delta`)."""

    def __init__(self, output: str, run_id: str, run_date: str, replace_stories: bool):
        self._output, self._run_id, self._run_date = output, run_id, run_date
        self._replace_stories = replace_stories

    def process(self, _unused, staged_files):
        delta.commit_run(self._output, self._run_id, staged_files, self._run_date,
                         self._replace_stories)
        yield len(staged_files)


class _CommitWindow(beam.DoFn):
    """A stream's window, once its files are written: commit them as a batch
    run commits, then save the feed states the window's polls left, and
    write the window's manifest."""

    def __init__(self, output: str, run_id: str, state_file: str):
        self._output, self._run_id, self._state_file = output, run_id, state_file

    def process(self, grouped, window=beam.DoFn.WindowParam):
        _key, tagged = grouped
        window_id = window_run_id(self._run_id, window)
        staged = sorted((f for tag, f in tagged if tag == "file"), key=lambda f: f.final)
        states = [s for tag, s in tagged if tag == "state"]
        dropped: dict[str, int] = {}
        for name, count in (c for tag, c in tagged if tag == "dropped"):
            dropped[name] = dropped.get(name, 0) + count
        delta.commit_run(self._output, window_id, staged,
                         window.start.to_utc_datetime().strftime("%Y-%m-%d"))
        if states:
            merge_states(self._state_file, states, window_id)
        manifest = window_manifest(self._output, window_id, window, staged,
                                   stream_run_id=self._run_id, dropped=dropped)
        write_bytes(paths.manifest_file(self._output, window_id),
                    json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
        LOG.info("%s", window_line(manifest))
        counter("windows_committed").inc()
        for table, rows in manifest["rows"].items():
            counter(f"window_rows_{table}").inc(rows)
        yield manifest


class WriteTables(beam.PTransform):
    """Write all six tables and commit them together.

    Inputs (a dict): `stories` as (day, Story), `extractions` as (day,
    Extraction), `fetch_log` as FetchResult, `dead_letters` as DeadLetter,
    `dedup_index` as DedupIndexEntry (state for later runs).
    Returns the count of files committed (one element, after the commit).
    A run that dies before the commit leaves its files in staging, where the
    next run discards them (`delta.recover`). With `replace_stories` the
    stories written replace their stored rows in every story-level table.

    In a stream (`state_file` given, inputs windowed, `feed_states` among
    them, `run_date` None): each window is committed on its own as a run
    would be, under `window_run_id`, and yields its manifest; the feed
    states of the window's polls are saved after its tables. The optional
    `dedup_dropped`, (count name, n) of the stories dedup dropped, lets the
    window's manifest reconcile its stories.
    """

    def __init__(self, output: str, run_id: str, run_date: Optional[str],
                 replace_stories: bool = False, state_file: Optional[str] = None,
                 limits: Limits = Limits()):
        super().__init__()
        self._output, self._run_id, self._run_date = output, run_id, run_date
        self._replace_stories = replace_stories
        self._state_file = state_file
        self._limits = limits

    def expand(self, inputs):
        run_date = self._run_date
        record_coders.register()
        # One shuffle per record type, each typed so that its records cross
        # it through their RecordCoder rather than pickled (a quarter fewer
        # bytes and about 3x faster to encode a Story: benchmarks/coders.py).
        keyings = {
            "Stories": ("stories", beam.Map(_story_dated("stories")), Story),
            "Extracted": ("extractions", beam.Map(_story_dated(EXTRACTIONS)), Extraction),
            "Log": ("fetch_log", beam.ParDo(_RunDated("fetch_log", run_date)), FetchResult),
            "Dead": ("dead_letters", beam.ParDo(_RunDated("dead_letters", run_date)),
                     DeadLetter),
            "Index": ("dedup_index", beam.ParDo(_RunDated("dedup_index", run_date)),
                      DedupIndexEntry),
        }
        keyed = {label: (inputs[name]
                         | f"Key{label}" >> keying.with_output_types(
                             tuple[tuple[str, str, int], record_type]))
                 for label, (name, keying, record_type) in keyings.items()}
        if self._state_file is None:
            keyed = self._spread_busy_partitions(keyed)
        written = []
        for label, (_name, _keying, record_type) in keyings.items():
            written.append(
                keyed[label]
                | f"Group{label}" >> beam.GroupByKey()
                | f"Write{label}" >> beam.ParDo(
                    _WritePartition(self._output, self._run_id, self._limits)))
        staged = written | "AllFiles" >> beam.Flatten()
        if self._state_file is not None:
            return self._commit_windows(staged, inputs["feed_states"],
                                        inputs.get("dedup_dropped"))
        pipeline = staged.pipeline
        return (
            pipeline
            | "CommitTrigger" >> beam.Create([None])
            | "Commit" >> beam.ParDo(
                _Commit(self._output, self._run_id, self._run_date, self._replace_stories),
                staged_files=beam.pvalue.AsList(staged)))

    def _spread_busy_partitions(self, keyed: dict) -> dict:
        """Story-keyed records of a partition bigger than one key should
        gather, over several keys (batch runs; a stream's windows are small).
        The sizes are one count per (table, partition), read as a side input."""
        spread = ("Stories", "Extracted", "Index")
        sizes = ([keyed[label] | f"PartitionOf{label}" >> beam.Map(_partition_of)
                  for label in spread]
                 | "AllPartitions" >> beam.Flatten()
                 | "PartitionSizes" >> beam.combiners.Count.PerElement())
        for label in spread:
            keyed[label] = keyed[label] | f"Spread{label}" >> beam.ParDo(
                _Spread(self._limits.key_records), sizes=beam.pvalue.AsDict(sizes)
            ).with_output_types(keyed[label].element_type)
        return keyed

    def _commit_windows(self, staged, feed_states, dropped=None):
        """A stream: one commit per window, once the window's files exist."""
        parts = (staged | "TagFiles" >> beam.Map(lambda f: ("file", f)),
                 feed_states | "TagStates" >> beam.Map(lambda s: ("state", s)))
        if dropped is not None:
            parts += (dropped | "TagDropped" >> beam.Map(lambda count: ("dropped", count)),)
        return (
            parts
            | "WindowParts" >> beam.Flatten()
            | "OneKey" >> beam.Map(lambda tagged: (None, tagged))
            | "ByWindow" >> beam.GroupByKey()
            | "CommitWindow" >> beam.ParDo(
                _CommitWindow(self._output, self._run_id, self._state_file)))
