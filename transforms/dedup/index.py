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
    """What a stream starts from: the index entries within the retention
    window, each with its stored title and body (None, None when gone).

    Texts are read from the days the entries' stories were published on,
    and only their title and body columns: nothing else of DIR's history.
    Stored story_ids come later, day by day (`stored_ids_of_days`).
    """
    import pyarrow.parquet as pq

    from schemas.records import DedupIndexEntry

    since = now - timedelta(days=retention_days)
    first_day = f"{since:%Y-%m-%d}"
    entries = []
    for metadata in FileSystems.match([index_files_pattern(output)])[0].metadata_list:
        if paths.partition_value(metadata.path, DEDUP_INDEX)[:10] < first_day:
            continue  # indexed on its run's date: too old to be in the window
        with FileSystems.open(metadata.path) as handle:
            entries += [DedupIndexEntry(**row) for row in pq.read_table(handle).to_pylist()
                        if row["indexed_at"] >= since]
    wanted = {e.story_id for e in entries}
    texts = {}
    for day in sorted({e.published_date for e in entries}):
        for table in _read_day(output, day, ["story_id", "title", "body"]):
            for row in table.to_pylist():
                if row["story_id"] in wanted:
                    texts[row["story_id"]] = (row["title"], row["body"])
    return [(e, *texts.get(e.story_id, (None, None))) for e in entries]


def stored_ids_of_days(output: str, days) -> set[str]:
    """The story_ids stored in these published_date partitions of stories."""
    found = set()
    for day in sorted(days):
        for table in _read_day(output, day, ["story_id"]):
            found.update(table.column("story_id").to_pylist())
    return found


def _read_day(output: str, day: str, columns: list[str]):
    """Each Parquet file of one stories partition, as a table of `columns`."""
    import pyarrow.parquet as pq

    from schemas.tables import STORIES

    pattern = paths.partition_files_pattern(output, STORIES, day)
    for metadata in FileSystems.match([pattern])[0].metadata_list:
        with FileSystems.open(metadata.path) as handle:
            yield pq.read_table(handle, columns=columns)
