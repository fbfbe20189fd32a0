"""The six output tables: Arrow schema, partitioning and row conversion.

Each table is defined once, from its record class, so a column added to a
record appears in the table without a second list to keep in step.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Optional

import pyarrow as pa

from schemas.records import (
    DeadLetter,
    DedupIndexEntry,
    EntityMention,
    FetchResult,
    Quote,
    Relation,
    Story,
)

TIMESTAMP = pa.timestamp("us", tz="UTC")
# Bumped when a table changes in a way readers must know of (a column added,
# a meaning changed); written into every file and every Delta table.
SCHEMA_VERSION = 2

_ARROW_TYPES = {
    str: pa.string(),
    int: pa.int64(),
    bool: pa.bool_(),
    datetime: TIMESTAMP,
    tuple[str, ...]: pa.list_(pa.string()),
    bytes: pa.binary(),
}


def _arrow_type(hint: Any) -> pa.DataType:
    if typing.get_origin(hint) is typing.Union:
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _ARROW_TYPES[inner]
    return _ARROW_TYPES[hint]


def _date(ts: Optional[datetime]) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class TableSpec:
    """How one table is laid out on disk."""

    name: str
    record_type: type
    partition_column: str
    # Columns that sort the rows of a file, so file contents never depend on
    # bundle boundaries or worker count.
    sort_key: Callable[[Any], tuple]
    excluded: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [f.name for f in dataclasses.fields(self.record_type)
                if f.name not in self.excluded]

    @property
    def schema(self) -> pa.Schema:
        hints = typing.get_type_hints(self.record_type)
        return pa.schema([pa.field(name, _arrow_type(hints[name]))
                          for name in self.columns])

    def to_row(self, record: Any) -> dict:
        row = {name: getattr(record, name) for name in self.columns}
        for name, value in row.items():
            if isinstance(value, tuple):
                row[name] = list(value)
        return row

    def to_arrow(self, records: list) -> pa.Table:
        rows = [self.to_row(r) for r in sorted(records, key=self.sort_key)]
        return pa.Table.from_pylist(rows, schema=self.schema)


def story_date(story: Story) -> str:
    """The published_date partition of a story (UTC date)."""
    return _date(story.published_at or story.fetched_at)


STORIES = TableSpec(
    name="stories", record_type=Story, partition_column="published_date",
    sort_key=lambda s: (s.story_id,))
ENTITIES = TableSpec(
    name="entities", record_type=EntityMention,
    partition_column="published_date",
    sort_key=lambda e: (e.story_id, e.field, e.start_char, e.end_char))
RELATIONS = TableSpec(
    name="relations", record_type=Relation, partition_column="published_date",
    sort_key=lambda r: (r.story_id, r.field, r.start_char, r.end_char,
                        r.subject, r.predicate, r.object))
QUOTES = TableSpec(
    name="quotes", record_type=Quote, partition_column="published_date",
    sort_key=lambda q: (q.story_id, q.start_char, q.end_char))
FETCH_LOG = TableSpec(
    name="fetch_log", record_type=FetchResult, partition_column="run_date",
    sort_key=lambda r: (r.feed_url, r.source),
    excluded=("body", "language", "content_type"))
DEAD_LETTERS = TableSpec(
    name="dead_letters", record_type=DeadLetter, partition_column="run_date",
    sort_key=lambda d: (d.stage, d.ref, d.error, d.message))

DEDUP_INDEX = TableSpec(
    name="dedup_index", record_type=DedupIndexEntry, partition_column="run_date",
    sort_key=lambda e: (e.story_id,))

# The six tables of the contract.
TABLES = {t.name: t for t in
          (STORIES, ENTITIES, RELATIONS, QUOTES, FETCH_LOG, DEAD_LETTERS)}
# Written and committed with them, but read only by later runs.
STATE_TABLES = {DEDUP_INDEX.name: DEDUP_INDEX}
ALL_TABLES = {**TABLES, **STATE_TABLES}
