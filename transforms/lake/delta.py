"""The lake's commit protocol: every table is a Delta Lake table.

Beam workers write Parquet files under `OUTPUT/_staging/RUN_ID/` in
parallel; one commit step then

1. writes the run's commit plan (`_staging/RUN_ID/_commit.json`, every file
   with its size, partition and statistics), atomically;
2. per table, in `COMMIT_ORDER` (stories last, because a stored story is
   what tells the next run that its entities, relations and quotes are
   there): moves the table's files into their partition folders and commits
   them in one Delta transaction;
3. deletes the staging folder.

Each table's commit carries an app transaction named after the run, so the
step is idempotent: a Beam retry, or the next run finishing a dead run's
plan (`recover`), skips every table the run already committed. A staging
folder without a plan is a run that died before all its files existed:
`recover` discards it. Readers that go through the Delta log (deltalake,
Spark, `wirestream query`) therefore never see half a run.

Plain functions over deltalake and Beam's FileSystems, no pipeline.
"""

from __future__ import annotations

import json
import logging
import os
import signal
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Iterable, Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from deltalake import DeltaTable, Field, convert_to_deltalake
from deltalake import Schema as DeltaSchema
from deltalake.exceptions import TableNotFoundError
from deltalake.transaction import (
    AddAction,
    CommitProperties,
    PostCommitHookProperties,
    RemoveAction,
    Transaction,
    create_table_with_add_actions,
)

from schemas.tables import SCHEMA_VERSION, TABLES, TableSpec
from transforms.lake import paths
from transforms.lake.files import arrow_parquet_bytes, make_parent, parquet_bytes, write_bytes

LOG = logging.getLogger("wirestream.lake")

# Stories last: see the module docstring. dedup_index is state for later
# runs, not a lake table: its files are moved into place, not committed.
COMMIT_ORDER = ("fetch_log", "dead_letters", "entities", "relations", "quotes",
                "dedup_index", "stories")
PLAN_FILE = "_commit.json"
APP_PREFIX = "wirestream-run:"
# Longest string statistic kept: long text columns (bodies, quotes) would
# bloat the log and skip nothing.
STAT_PREFIX = 32
# Set when a table is created: app transactions (one per run) expire after a
# month, so the snapshot does not grow with every run. (delta-rs accepts only
# Delta's own keys here: the schema version goes into the table description
# and every commit's metadata instead.)
TABLE_CONFIGURATION = {"delta.setTransactionRetentionDuration": "interval 30 days",
                       "delta.checkpointInterval": "1000000000"}
# No checkpoints: a checkpoint is a Parquet file in _delta_log/, and the
# contract's plain glob (DuckDB's read_parquet('DIR/TABLE/**/*.parquet',
# hive_partitioning=true)) fails on it ("Hive partition mismatch"). The cost
# is log replay on open, about 0.2 ms a commit; `wirestream compact
# --checkpoint` writes one for lakes read only through the log.
NO_CHECKPOINT = PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)


def table_description(spec: TableSpec) -> str:
    return f"wirestream {spec.name}, schema version {SCHEMA_VERSION}"


# Tests kill a run at a named point of the commit to prove that every point
# is safe (see tests/test_lake_crash.py); unset in production.
KILL_AT_ENV = "WIRESTREAM_KILL_AT"


def _checkpoint(name: str) -> None:
    if os.environ.get(KILL_AT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


# --- Statistics ------------------------------------------------------------------

def _stat_value(value, data_type: pa.DataType):
    if value is None:
        return None
    if pa.types.is_timestamp(data_type):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


class FileStats:
    """Delta statistics of one file, gathered a row group at a time:
    numRecords, and min, max and nullCount of every column readers can skip
    on (no lists, binaries or partition)."""

    def __init__(self):
        self.rows = 0
        self._types: dict[str, pa.DataType] = {}
        self._mins: dict = {}
        self._maxes: dict = {}
        self._nulls: dict[str, int] = {}

    def add(self, table: pa.Table) -> None:
        self.rows += table.num_rows
        for name in table.column_names:
            column = table.column(name)
            data_type = column.type
            if pa.types.is_list(data_type) or pa.types.is_binary(data_type):
                continue
            self._types[name] = data_type
            self._nulls[name] = self._nulls.get(name, 0) + column.null_count
            if table.num_rows == column.null_count or pa.types.is_boolean(data_type):
                continue
            low, high = (v.as_py() for v in pc.min_max(column).values())
            self._mins[name] = min(self._mins.get(name, low), low)
            self._maxes[name] = max(self._maxes.get(name, high), high)

    def to_json(self) -> str:
        mins, maxes = {}, {}
        for name, low in self._mins.items():
            data_type = self._types[name]
            low, high = _stat_value(low, data_type), _stat_value(self._maxes[name], data_type)
            if isinstance(low, str):
                # A prefix is still a lower bound; an upper bound that was cut
                # must stay above every value that starts with it.
                low = low[:STAT_PREFIX]
                if len(high) > STAT_PREFIX:
                    high = high[:STAT_PREFIX] + "\U0010ffff"
            mins[name], maxes[name] = low, high
        return json.dumps({"numRecords": self.rows, "minValues": mins,
                           "maxValues": maxes, "nullCount": self._nulls}, sort_keys=True)


def file_stats(table: pa.Table, spec: TableSpec) -> str:
    """Delta statistics of a file written whole (see `FileStats`)."""
    stats = FileStats()
    stats.add(table)
    return stats.to_json()


# --- The plan ---------------------------------------------------------------------

@dataclass(frozen=True)
class StagedFile:
    """One Parquet file a worker wrote, and where it goes."""

    table: str
    partition: str
    staged: str
    final: str
    size: int
    rows: int
    stats: str


@dataclass(frozen=True)
class CommitPlan:
    run_id: str
    files: tuple[StagedFile, ...]
    # --reprocess: the run's stories replace their stored rows, so each
    # partition they touch is rewritten rather than appended to.
    replace_stories: bool = False

    @property
    def app_id(self) -> str:
        return APP_PREFIX + self.run_id

    def to_json(self) -> bytes:
        return json.dumps({"run_id": self.run_id, "replace_stories": self.replace_stories,
                           "files": [asdict(f) for f in self.files]},
                          sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> "CommitPlan":
        document = json.loads(data)
        return cls(document["run_id"], tuple(StagedFile(**f) for f in document["files"]),
                   document.get("replace_stories", False))


def plan_file(output: str, run_id: str) -> str:
    return FileSystems.join(paths.staging_dir(output, run_id), PLAN_FILE)


def write_plan(output: str, plan: CommitPlan) -> None:
    """Write the plan under a temporary name, then rename: a plan file that
    exists is whole."""
    final = plan_file(output, plan.run_id)
    temporary = final + ".tmp"
    _checkpoint("plan")
    write_bytes(temporary, plan.to_json())
    FileSystems.rename([temporary], [final])


# --- Tables -----------------------------------------------------------------------

def table_uri(output: str, spec: TableSpec) -> str:
    return paths.table_dir(output, spec)


def delta_schema(spec: TableSpec) -> pa.Schema:
    """The table's schema as Delta sees it: the file columns, then the
    partition column (which the files themselves do not hold)."""
    return spec.schema.append(pa.field(spec.partition_column, pa.string()))


def open_table(uri: str) -> Optional[DeltaTable]:
    try:
        return DeltaTable(uri)
    except TableNotFoundError:
        return None


def snapshot_files(uri: str, version: Optional[int] = None) -> list[str]:
    """The files of the table's current snapshot, or of VERSION (none when
    there is no table yet)."""
    table = open_table(uri)
    if table is None:
        return []
    if version is not None:
        table.load_as_version(version)
    return table.file_uris()


def _add_action(spec: TableSpec, staged: StagedFile) -> AddAction:
    metadata = FileSystems.match([staged.final])[0].metadata_list
    if not metadata:
        raise FileNotFoundError(f"{staged.final}: staged file missing at commit")
    (found,) = metadata
    if found.size_in_bytes != staged.size:
        raise IOError(f"{staged.final}: {found.size_in_bytes} bytes, "
                      f"{staged.size} were written")
    modified = int((found.last_updated_in_seconds or 0) * 1000)
    relative = f"{spec.partition_column}={staged.partition}/{staged.final.rsplit('/', 1)[1]}"
    return AddAction(relative, staged.size, {spec.partition_column: staged.partition},
                     modified, True, staged.stats)


def _evolve_schema(table: DeltaTable, spec: TableSpec) -> None:
    """Add columns the table lacks (a newer wirestream added them), nullable."""
    have = {field.name for field in table.schema().fields}
    new = [Field.from_arrow(pa.field(f.name, f.type, nullable=True))
           for f in delta_schema(spec) if f.name not in have]
    if new:
        LOG.info("%s: adding columns %s", spec.name, [f.name for f in new])
        table.alter.add_columns(new, post_commithook_properties=NO_CHECKPOINT)


def commit_table(uri: str, spec: TableSpec, files: list[StagedFile], run_id: str,
                 *, app_id: str) -> Optional[int]:
    """Commit a run's files of one table in one transaction; the new table
    version, or None when this run had committed them already."""
    properties = CommitProperties(
        app_transactions=[Transaction(app_id, 1)],
        custom_metadata={"wirestream.run_id": run_id,
                         "wirestream.schema_version": SCHEMA_VERSION})
    actions = [_add_action(spec, f) for f in files]
    table = open_table(uri)
    if table is None:
        create_table_with_add_actions(
            uri, DeltaSchema.from_arrow(delta_schema(spec)), actions, mode="error",
            partition_by=[spec.partition_column], name=spec.name,
            description=table_description(spec), configuration=TABLE_CONFIGURATION,
            commit_properties=properties, post_commithook_properties=NO_CHECKPOINT)
        return 0
    if table.transaction_version(app_id) is not None:
        return None
    _evolve_schema(table, spec)
    table.create_write_transaction(
        actions, mode="append", schema=DeltaSchema.from_arrow(delta_schema(spec)),
        partition_by=[spec.partition_column], commit_properties=properties,
        post_commithook_properties=NO_CHECKPOINT)
    table.update_incremental()
    return table.version()


def _move_into_place(staged: StagedFile) -> None:
    """Rename a staged file to its final name; done already counts."""
    if FileSystems.exists(staged.staged):
        make_parent(staged.final)
        FileSystems.rename([staged.staged], [staged.final])
    elif not FileSystems.exists(staged.final):
        raise FileNotFoundError(f"{staged.staged}: staged file lost before commit")


def apply_plan(output: str, plan: CommitPlan) -> dict[str, int]:
    """Move and commit every table of the plan; {table: version committed}."""
    by_table: dict[str, list[StagedFile]] = {}
    for staged in plan.files:
        by_table.setdefault(staged.table, []).append(staged)
    versions = {}
    replaced = _replaced_stories(by_table.get("stories", [])) if plan.replace_stories else None
    for name in COMMIT_ORDER:
        files = sorted(by_table.get(name, []), key=lambda f: f.final)
        for staged in files:
            _move_into_place(staged)
        _checkpoint(f"moved:{name}")
        uri = table_uri(output, TABLES[name]) if name in TABLES else None
        if replaced is not None and name in STORY_TABLES and replaced[0]:
            version = rewrite_partitions(output, TABLES[name], files, plan.run_id,
                                         plan.app_id, *replaced)
            if version is not None:
                versions[name] = version
        elif name in TABLES and files:
            version = commit_table(uri, TABLES[name], files,
                                   plan.run_id, app_id=plan.app_id)
            if version is not None:
                versions[name] = version
        _checkpoint(f"committed:{name}")
    staging = paths.staging_dir(output, plan.run_id)
    if FileSystems.exists(staging):
        FileSystems.delete([staging])
    return versions


# Tables whose rows belong to a story, partitioned by the story's date.
STORY_TABLES = ("stories", "entities", "relations", "quotes")


def _replaced_stories(stories_files: list[StagedFile]) -> tuple[set[str], set[str]]:
    """(partitions, story_ids) a --reprocess run rewrites: its stories' own."""
    partitions, ids = set(), set()
    for staged in stories_files:
        partitions.add(staged.partition)
        # Not moved yet (stories move last), unless a dead run's plan is
        # being finished.
        where = staged.staged if FileSystems.exists(staged.staged) else staged.final
        with FileSystems.open(where) as handle:
            ids.update(pq.read_table(handle, columns=["story_id"]).column(0).to_pylist())
    return partitions, ids


def _read_rows(uri: str, relative: str, spec: TableSpec) -> pa.Table:
    """A stored file as the current schema: columns it predates come back null."""
    with FileSystems.open(FileSystems.join(uri, relative)) as handle:
        table = pq.read_table(handle)
    columns = [table.column(f.name) if f.name in table.column_names
               else pa.nulls(table.num_rows, f.type) for f in spec.schema]
    return pa.Table.from_arrays(columns, schema=spec.schema)


def rewrite_partitions(output: str, spec: TableSpec, files: list[StagedFile], run_id: str,
                       app_id: str, partitions: set[str], story_ids: set[str]
                       ) -> Optional[int]:
    """Replace the rows of STORY_IDS in PARTITIONS with the run's FILES, in one
    transaction: every stored file of those partitions is removed, and the
    rows of other stories in them are written again beside the run's files."""
    uri = table_uri(output, spec)
    table = open_table(uri)
    if table is None:
        return commit_table(uri, spec, files, run_id, app_id=app_id) if files else None
    if table.transaction_version(app_id) is not None:
        return None
    column = f"partition.{spec.partition_column}"
    stored = [a for a in pa.table(table.get_add_actions(flatten=True)).to_pylist()
              if a[column] in partitions]
    kept_files = []
    for partition in sorted(partitions):
        old = [a for a in stored if a[column] == partition]
        if not old:
            continue
        rows = pa.concat_tables([_read_rows(uri, a["path"], spec) for a in old])
        keep = pc.invert(pc.is_in(rows.column("story_id"), pa.array(sorted(story_ids))))
        rows = rows.filter(keep)
        if rows.num_rows == 0:
            continue
        rows = rows.sort_by([("story_id", "ascending")])
        data = arrow_parquet_bytes(spec, rows)
        final = paths.part_file(output, spec, partition, f"{run_id}-kept")
        write_bytes(final, data)
        kept_files.append(StagedFile(spec.name, partition, final, final, len(data),
                                     rows.num_rows, file_stats(rows, spec)))
    deleted_at = int(datetime.now(timezone.utc).timestamp() * 1000)
    removes = [RemoveAction(a["path"], True, deleted_at, a["size_bytes"],
                            {spec.partition_column: a[column]}) for a in stored]
    adds = [_add_action(spec, f) for f in files + kept_files]
    if not removes and not adds:
        return None
    _evolve_schema(table, spec)
    table.create_write_transaction(
        removes + adds, mode="append", schema=DeltaSchema.from_arrow(delta_schema(spec)),
        partition_by=[spec.partition_column],
        commit_properties=CommitProperties(
            app_transactions=[Transaction(app_id, 1)],
            custom_metadata={"wirestream.run_id": run_id, "wirestream.reprocess": True,
                             "wirestream.schema_version": SCHEMA_VERSION}),
        post_commithook_properties=NO_CHECKPOINT)
    table.update_incremental()
    return table.version()


def commit_run(output: str, run_id: str, staged: Iterable[StagedFile], run_date: str,
                replace_stories: bool = False) -> None:
    """A run's (or a stream window's) whole commit, once all its files are
    written: the plan, the moves and transactions, then any table still
    missing created empty."""
    plan = CommitPlan(run_id, tuple(sorted(staged, key=lambda f: f.final)), replace_stories)
    write_plan(output, plan)
    apply_plan(output, plan)
    ensure_tables(output, run_date, run_id)


def committed_versions(output: str, run_id: str) -> dict[str, int]:
    """{table: version} of the commits a run made, read from each table's log."""
    found = {}
    for name, spec in TABLES.items():
        table = open_table(table_uri(output, spec))
        if table is None:
            continue
        for entry in table.history(50):
            if entry.get("wirestream.run_id") == run_id:
                found[name] = entry["version"]
                break
    return found


# --- Runs that did not finish -----------------------------------------------------

def recover(output: str, current_run_id: Optional[str] = None) -> list[str]:
    """Make OUTPUT ready for a run: plain tables converted, and what runs
    that died left in `_staging/` finished or discarded.

    A run with a plan had written every file: its commit is finished
    (tables it committed already are skipped). A run without one died while
    writing: its files are deleted. Returns what was done, one line each.
    """
    staging_root = FileSystems.join(output, paths.STAGING_DIR)
    done = convert_plain_tables(output)
    for run_dir in _child_dirs(staging_root):
        run_id = run_dir.rstrip("/").rsplit("/", 1)[1]
        if run_id == current_run_id:
            continue
        plan_path = plan_file(output, run_id)
        if FileSystems.exists(plan_path):
            with FileSystems.open(plan_path) as handle:
                plan = CommitPlan.from_json(handle.read())
            versions = apply_plan(output, plan)
            done.append(f"finished the commit of run {run_id} ({len(versions)} tables)")
        else:
            FileSystems.delete([run_dir])
            done.append(f"discarded the unfinished files of run {run_id}")
    for line in done:
        LOG.warning("%s", line)
    return done


def _child_dirs(root: str) -> list[str]:
    """The folders directly under ROOT that hold files (object stores have
    no empty folders to list)."""
    if not FileSystems.exists(root):
        return []
    children = set()
    for metadata in FileSystems.match([FileSystems.join(root, "**")])[0].metadata_list:
        relative = metadata.path[len(root):].lstrip("/")
        if "/" in relative:
            children.add(FileSystems.join(root, relative.split("/", 1)[0]))
    return sorted(children)


def convert_plain_tables(output: str) -> list[str]:
    """Turn tables written as plain Hive-partitioned Parquet (wirestream
    before Delta) into Delta tables in place: every file is kept, as is."""
    done = []
    for spec in TABLES.values():
        uri = table_uri(output, spec)
        if open_table(uri) is not None:
            continue
        files = FileSystems.match([paths.table_files_pattern(output, spec)])[0].metadata_list
        if not files:
            continue
        convert_to_deltalake(
            uri, partition_by=DeltaSchema.from_arrow(
                pa.schema([pa.field(spec.partition_column, pa.string())])),
            partition_strategy="hive", name=spec.name,
            description=table_description(spec), configuration=TABLE_CONFIGURATION,
            post_commithook_properties=NO_CHECKPOINT)
        done.append(f"converted {spec.name} to a Delta table ({len(files)} files)")
    return done


def ensure_tables(output: str, run_date: str, run_id: str,
                  specs: Iterable[TableSpec] = TABLES.values()) -> None:
    """Every table exists and reads back, if only as empty.

    Readers glob `TABLE/**/*.parquet` too (contract); a table with no file
    at all would be an error for them rather than zero rows, so a table
    that does not exist yet gets one empty file, committed.
    """
    for spec in specs:
        uri = table_uri(output, spec)
        if open_table(uri) is not None:
            continue
        final = paths.part_file(output, spec, run_date, run_id)
        empty = spec.to_arrow([])
        data = parquet_bytes(spec, [])
        write_bytes(final, data)
        staged = StagedFile(spec.name, run_date, final, final, len(data), 0,
                            file_stats(empty, spec))
        commit_table(uri, spec, [staged], run_id, app_id=APP_PREFIX + run_id)

