"""A stream window's manifest and log line, from the files it committed.

A batch run's manifest comes from Beam counters at the end of the run; a
stream never ends, so each window says what it wrote itself: rows per table
(the files' row counts), duplicates and failed fetches (read back from its
own small files), the table versions committed, its bounds, and, from the
counts dedup passes along with the window's rows, whether every story its
polls parsed is accounted for.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from transforms.lake import delta


def _columns(staged, table: str, *columns: str) -> dict[str, list]:
    """COLUMNS' values in TABLE's committed files of the window, each file
    read once."""
    values: dict[str, list] = {column: [] for column in columns}
    for f in staged:
        if f.table == table:
            with FileSystems.open(f.final) as handle:
                read = pq.read_table(handle, columns=list(columns))
            for column in columns:
                values[column] += read.column(column).to_pylist()
    return values


def _set(values: list) -> int:
    return sum(value is not None for value in values)


def reconciliation(rows: dict, parsed: list, dead_letter_stages: list, dropped: dict) -> dict:
    """Every story the window's polls parsed (fetch_log.items) is a new row,
    was dropped by dedup (already stored, or the same story_id as one
    kept), or is a TooLate dead letter."""
    parsed_total = sum(n or 0 for n in parsed)
    out = (rows.get("stories", 0) + dead_letter_stages.count("stream")
           + dropped.get("already_stored", 0) + dropped.get("same_id_merged", 0))
    return {"stories": {"in": parsed_total, "out": out, "ok": parsed_total == out}}


def window_manifest(output: str, window_id: str, window, staged, *,
                    stream_run_id: str, dropped: Optional[dict] = None) -> dict:
    rows: dict[str, int] = {}
    for f in staged:
        rows[f.table] = rows.get(f.table, 0) + f.rows
    fetches = _columns(staged, "fetch_log", "error", "items")
    manifest = {
        "duplicates": _set(_columns(staged, "stories", "duplicate_of")["duplicate_of"]),
        "fetches_failed": _set(fetches["error"]),
        "run_id": window_id,
        # The run_id the window's rows carry (stories, fetch_log, ...): the
        # stream's, the same in every window; the window's own is its commits'.
        "stream_run_id": stream_run_id,
        "window": {"start": window.start.to_utc_datetime().isoformat(),
                   "end": window.end.to_utc_datetime().isoformat()},
        "committed_at": datetime.now(timezone.utc).isoformat(),
        "output": output,
        "rows": dict(sorted(rows.items())),
        "files": len(staged),
        "table_versions": delta.committed_versions(output, window_id),
    }
    if dropped is not None:
        manifest["dedup"] = {"already_stored": dropped.get("already_stored", 0),
                             "same_id_merged": dropped.get("same_id_merged", 0)}
        stages = _columns(staged, "dead_letters", "stage")["stage"]
        manifest["reconciliation"] = reconciliation(rows, fetches["items"], stages, dropped)
    return manifest


def window_line(manifest: dict) -> str:
    rows = manifest["rows"]
    return (f"window {manifest['window']['start']} - {manifest['window']['end']}: "
            f"{rows.get('stories', 0)} new stories ({manifest['duplicates']} duplicates), "
            f"{rows.get('entities', 0)} entities, {rows.get('relations', 0)} relations, "
            f"{rows.get('quotes', 0)} quotes, {rows.get('dead_letters', 0)} dead letters, "
            f"{manifest['fetches_failed']} of {rows.get('fetch_log', 0)} fetches failed"
            + _reconciled(manifest))


def _reconciled(manifest: dict) -> str:
    checks = manifest.get("reconciliation")
    if checks is None:
        return ""
    broken = [name for name, check in checks.items() if not check["ok"]]
    return ", counts reconcile" if not broken else \
        f", COUNTS DO NOT RECONCILE: {', '.join(broken)}"
