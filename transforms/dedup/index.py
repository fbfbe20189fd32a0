"""The dedup index under OUTPUT/_state/: recent stories' fingerprints, kept
for a retention window so that later copies join their clusters.

Written by the lake with the tables (one partition per run_date); read back
at the start of a run (`transforms.ReadDedupIndex`) and pruned after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from apache_beam.io.filesystems import FileSystems

from schemas.tables import DEDUP_INDEX
from transforms.lake import paths

# How long a story stays in the index unless --dedup_retention_days says
# otherwise: wire copies arrive within hours, republications within days.
DEFAULT_RETENTION_DAYS = 7.0


def index_files_pattern(output: str) -> str:
    return paths.table_files_pattern(output, DEDUP_INDEX)


def prune_index(output: str, now: datetime, retention_days: float) -> int:
    """Delete index partitions older than the window (and a day of slack)."""
    cutoff = (now - timedelta(days=retention_days + 1)).strftime("%Y-%m-%d")
    files = FileSystems.match([index_files_pattern(output)])[0].metadata_list
    old = [m.path for m in files if paths.partition_value(m.path, DEDUP_INDEX)[:10] < cutoff]
    if old:
        FileSystems.delete(old)
    return len(old)
