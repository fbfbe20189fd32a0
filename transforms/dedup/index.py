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


def read_stored(output: str, now: datetime, retention_days: float):
    """What a stream starts from: every stored story_id, and the index
    entries within the retention window with their stored title and body.

    Read whole, once per job (issue: a stream's start-up cost grows with
    DIR's history, as a batch run's stored-id read does).
    """
    import pyarrow.parquet as pq

    from schemas.records import DedupIndexEntry
    from schemas.tables import STORIES
    from transforms.lake import delta

    since = now - timedelta(days=retention_days)
    entries = []
    for metadata in FileSystems.match([index_files_pattern(output)])[0].metadata_list:
        with FileSystems.open(metadata.path) as handle:
            entries += [DedupIndexEntry(**row) for row in pq.read_table(handle).to_pylist()
                        if row["indexed_at"] >= since]
    stored_ids, texts = set(), {}
    wanted = {e.story_id for e in entries}
    # Texts only from the days the index's stories were published on.
    days = {f"published_date={e.published_date}" for e in entries}
    for uri in delta.snapshot_files(delta.table_uri(output, STORIES)):
        with_text = uri.rsplit("/", 2)[-2] in days
        with FileSystems.open(uri) as handle:
            table = pq.read_table(handle, columns=["story_id", "title", "body"] if with_text
                                  else ["story_id"])
        for row in table.to_pylist():
            stored_ids.add(row["story_id"])
            if with_text and row["story_id"] in wanted:
                texts[row["story_id"]] = (row["title"], row["body"])
    return stored_ids, [(e, *texts.get(e.story_id, (None, None))) for e in entries]
