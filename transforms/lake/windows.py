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


def _column(staged, table: str, column: str) -> list:
    """COLUMN's values in TABLE's committed files of the window."""
    values = []
    for f in staged:
        if f.table == table:
            with FileSystems.open(f.final) as handle:
                values += pq.read_table(handle, columns=[column]).column(0).to_pylist()
    return values


def _count(staged, table: str, column: str) -> int:
    """Rows of TABLE's committed files of the window where COLUMN is set."""
    return sum(value is not None for value in _column(staged, table, column))


def reconciliation(rows: dict, staged, dropped: dict) -> dict:
    """Every story the window's polls parsed (fetch_log.items) is a new row,
    was dropped by dedup (already stored, or the same story_id as one
    kept), or is a TooLate dead letter."""
    parsed = sum(n or 0 for n in _column(staged, "fetch_log", "items"))
    too_late = _column(staged, "dead_letters", "stage").count("stream")
    out = (rows.get("stories", 0) + too_late + dropped.get("already_stored", 0)
           + dropped.get("same_id_merged", 0))
    return {"stories": {"in": parsed, "out": out, "ok": parsed == out}}


def window_manifest(output: str, window_id: str, window, staged, *,
                    stream_run_id: str, dropped: Optional[dict] = None) -> dict:
    rows: dict[str, int] = {}
    for f in staged:
        rows[f.table] = rows.get(f.table, 0) + f.rows
    manifest = {
        "duplicates": _count(staged, "stories", "duplicate_of"),
        "fetches_failed": _count(staged, "fetch_log", "error"),
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
        manifest["reconciliation"] = reconciliation(rows, staged, dropped)
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
