"""Keeping the lake fast for months: compaction and vacuum (delta-rs).

A run every 15 minutes adds a file per (table, partition) per run; readers
pay for every file. `compact` merges a partition's small files into a few
large ones in one Delta transaction per table (readers see either the old
files or the new, never both), then `vacuum` deletes the files no snapshot
younger than the retention needs. Both are safe while a run appends: an
append adds files the compaction does not remove, and delta-rs rebases the
later commit on the earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from deltalake import WriterProperties

from schemas.tables import TABLES
from transforms.lake import delta
from transforms.lake.files import ROW_GROUP_ROWS

# A running job reads the snapshot it started with: files it may still open
# stay this long after a compaction replaced them (a scheduled run takes
# minutes; a day leaves room for a slow backfill or a stuck reader).
DEFAULT_RETENTION_HOURS = 24
DEFAULT_TARGET_FILE_MB = 128


@dataclass(frozen=True)
class Compacted:
    table: str
    files_before: int
    files_after: int
    files_removed: int
    files_added: int
    vacuumed: int


def compact_table(output: str, name: str, *, before: Optional[str] = None,
                  target_file_mb: int = DEFAULT_TARGET_FILE_MB,
                  retention_hours: float = DEFAULT_RETENTION_HOURS,
                  checkpoint: bool = False) -> Optional[Compacted]:
    """Compact one table's partitions (those before BEFORE, a partition
    value, when given), then vacuum; None when the table does not exist."""
    spec = TABLES[name]
    table = delta.open_table(delta.table_uri(output, spec))
    if table is None:
        return None
    files_before = len(table.file_uris())
    filters = [(spec.partition_column, "<", before)] if before else None
    metrics = table.optimize.compact(
        partition_filters=filters, target_size=target_file_mb * 1024 * 1024,
        writer_properties=WriterProperties(compression="ZSTD", max_row_group_size=ROW_GROUP_ROWS),
        post_commithook_properties=delta.NO_CHECKPOINT)
    table.update_incremental()
    vacuumed = table.vacuum(retention_hours=int(retention_hours), dry_run=False,
                            enforce_retention_duration=False,
                            post_commithook_properties=delta.NO_CHECKPOINT)
    if checkpoint:
        # Snapshots then load from one Parquet file instead of replaying
        # every commit, and older log files can go; but DuckDB's plain glob
        # over TABLE/**/*.parquet fails on that file (see delta.NO_CHECKPOINT).
        table.update_incremental()
        table.create_checkpoint()
        table.cleanup_metadata()
    return Compacted(name, files_before, len(table.file_uris()),
                     metrics.get("numFilesRemoved", 0), metrics.get("numFilesAdded", 0),
                     len(vacuumed))


def compact(output: str, **options) -> list[Compacted]:
    """Every table of OUTPUT, compacted and vacuumed."""
    done = []
    for name in TABLES:
        result = compact_table(output, name, **options)
        if result is not None:
            done.append(result)
    return done
