"""A stream window's manifest and log line, from the files it committed.

A batch run's manifest comes from Beam counters at the end of the run; a
stream never ends, so each window says what it wrote itself: rows per table
(the staged files' row counts), the table versions committed, its bounds.
"""

from __future__ import annotations

from datetime import datetime, timezone

from transforms.lake import delta


def window_manifest(output: str, window_id: str, window, staged) -> dict:
    rows: dict[str, int] = {}
    for f in staged:
        rows[f.table] = rows.get(f.table, 0) + f.rows
    return {
        "run_id": window_id,
        "window": {"start": window.start.to_utc_datetime().isoformat(),
                   "end": window.end.to_utc_datetime().isoformat()},
        "committed_at": datetime.now(timezone.utc).isoformat(),
        "output": output,
        "rows": dict(sorted(rows.items())),
        "files": len(staged),
        "table_versions": delta.committed_versions(output, window_id),
    }


def window_line(manifest: dict) -> str:
    rows = manifest["rows"]
    return (f"window {manifest['window']['start']} - {manifest['window']['end']}: "
            f"{rows.get('stories', 0)} stories, {rows.get('entities', 0)} entities, "
            f"{rows.get('relations', 0)} relations, {rows.get('quotes', 0)} quotes, "
            f"{rows.get('dead_letters', 0)} dead letters, "
            f"{rows.get('fetch_log', 0)} fetches logged")
