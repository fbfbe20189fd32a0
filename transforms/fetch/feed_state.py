"""What the fetcher remembers about each feed between runs.

One JSON document under OUTPUT/_state/, read at the start of a run and
replaced at its end through Beam's FileSystems (local disk, gs://, s3://):
written to a new name first, then renamed over the old one, so a crash
leaves either the old state or the new, never half of one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from apache_beam.io.filesystems import FileSystems

from transforms.fetch.redaction import redact_url, url_key

FORMAT_VERSION = 1


@dataclass(frozen=True)
class FeedState:
    """Per-feed HTTP state, keyed by a hash of the URL as the feed list
    names it (`key`); `url` is that URL with its credentials redacted."""

    url: str
    key: str = ""
    # Where the feed lives now, after permanent redirects.
    effective_url: Optional[str] = None
    etag: Optional[str] = None
    last_modified: Optional[str] = None
    last_success: Optional[datetime] = None
    last_attempt: Optional[datetime] = None
    consecutive_failures: int = 0
    next_fetch_after: Optional[datetime] = None
    dead: bool = False
    last_status: Optional[int] = None
    last_error: Optional[str] = None

    def to_json(self) -> dict:
        row = dataclasses.asdict(self)
        for key, value in row.items():
            if isinstance(value, datetime):
                row[key] = value.isoformat()
        return row

    @classmethod
    def from_json(cls, row: dict) -> "FeedState":
        known = {f.name: f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in row.items():
            if key not in known:
                continue  # written by a newer version: ignore, don't fail
            if key in ("last_success", "last_attempt", "next_fetch_after") and value:
                value = datetime.fromisoformat(value)
            values[key] = value
        if not values.get("key"):
            # Written before state was keyed by hash: `url` is the full URL,
            # credentials and all; key it, and keep only the redacted form.
            values["key"] = url_key(values["url"])
            values["url"] = redact_url(values["url"])
            values["effective_url"] = redact_url(values.get("effective_url"))
        return cls(**values)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter for a feed that keeps failing."""

    base_s: float = 300.0
    max_s: float = 24 * 3600.0
    # Fraction of the delay added or removed, so feeds that failed together
    # do not all come back together.
    jitter: float = 0.25

    def delay(self, url: str, failures: int) -> timedelta:
        raw = min(self.base_s * 2 ** max(failures - 1, 0), self.max_s)
        # Deterministic jitter: the same feed and failure count always wait
        # the same time, so reruns and tests are reproducible.
        digest = hashlib.sha1(f"{url}\x1f{failures}".encode()).digest()
        unit = int.from_bytes(digest[:4], "big") / 2 ** 32  # [0, 1)
        return timedelta(seconds=raw * (1 + self.jitter * (2 * unit - 1)))


def read_states(path: str) -> list[FeedState]:
    """States stored at `path`; none when no run has written any yet."""
    if not FileSystems.exists(path):
        return []
    with FileSystems.open(path) as handle:
        document = json.loads(handle.read().decode("utf-8"))
    return [FeedState.from_json(row) for row in document.get("feeds", [])]


def write_states(path: str, states: Iterable[FeedState], run_id: str) -> int:
    """Replace the state file: write a new file, then rename it over the old."""
    rows = sorted((s.to_json() for s in states), key=lambda r: (r["url"], r["key"]))
    document = {"version": FORMAT_VERSION, "run_id": run_id, "feeds": rows}
    temporary = f"{path}.{run_id}.tmp"
    with FileSystems.create(temporary) as handle:
        handle.write(json.dumps(document, indent=1, sort_keys=True).encode("utf-8"))
    FileSystems.rename([temporary], [path])
    return len(rows)


def merge_states(path: str, states: Iterable[FeedState], run_id: str) -> int:
    """Fold newer states into the state file (a stream saves the states of
    each window's polls; windows may be committed out of order)."""
    merged = {s.key: s for s in read_states(path)}
    for state in states:
        old = merged.get(state.key)
        if old is None or _attempted(state) >= _attempted(old):
            merged[state.key] = state
    return write_states(path, merged.values(), run_id)


def _attempted(state: FeedState) -> datetime:
    return state.last_attempt or datetime.min.replace(tzinfo=timezone.utc)
