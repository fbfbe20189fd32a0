"""Every path under OUTPUT, in one place.

The lake's layout is a contract with readers (tables, partitions) and with
later runs (`_state/`, `_manifests/`, raw responses), so no other module
joins path strings: they ask here. Paths go through Beam's FileSystems, so
OUTPUT may be local, gs:// or s3://.

Every name made from a value (run ids, partition values, raw files) goes
through `safe_name`, so a value can never climb out of its folder, hide a
file, split into folders or exceed a file system's name length, whatever a
feed, an archive or a later caller puts in it. Feed URLs never become names
at all (raw files are named by a hash).

    OUTPUT/
      TABLE/PARTITION=VALUE/part-RUN_ID.parquet    the six tables
      _state/feeds.json                            feed state (fetch)
      _state/dedup_index/run_date=D/part-*.parquet near-duplicate index (dedup)
      _state/lease/                                the one-writer lease (a Delta table)
      _staging/RUN_ID/...                          a run's files before commit
      _manifests/RUN_ID.json                       one per run
      raw/run_date=D/RUN_ID/KEY.feed.gz            raw responses (replay)
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from typing import Optional

from apache_beam.io.filesystems import FileSystems

from schemas.tables import TableSpec

STATE_DIR = "_state"
FEED_STATE_FILE = "feeds.json"
STAGING_DIR = "_staging"
MANIFEST_DIR = "_manifests"
RAW_DIR = "raw"
RAW_SUFFIX = ".feed.gz"
# Tables kept for later runs rather than for readers live under _state/.
_TABLE_DIRS = {"dedup_index": f"{STATE_DIR}/dedup_index"}
# Depths under a RAW_DIR where raw files may sit: RAW_DIR/run_date=D/RUN_ID/x,
# a run's own folder, or a folder of files.
_RAW_PATTERNS = ("*" + RAW_SUFFIX, "*/*" + RAW_SUFFIX, "*/*/*" + RAW_SUFFIX)
# A name we make from a value: starts with a letter or digit, then letters,
# digits, dot, dash, underscore; short enough for every file system (255
# bytes) with the prefixes and suffixes added to it.
MAX_NAME = 100
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_UNSAFE_RUN = re.compile(r"[^A-Za-z0-9._-]+|\.\.+")


def safe_name(value: str) -> str:
    """`value` itself when it is a safe name (every run id and date is);
    else its safe characters plus a hash of the whole value, so two
    different values never share a name."""
    if len(value) <= MAX_NAME and _SAFE_NAME.fullmatch(value) and ".." not in value:
        return value
    digest = hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    readable = _UNSAFE_RUN.sub("_", value).lstrip("._-")[:MAX_NAME - len(digest) - 1]
    return f"{readable}-{digest}" if readable else digest


# --- Tables ----------------------------------------------------------------------

def table_dir(root: str, table: TableSpec) -> str:
    return FileSystems.join(root, _TABLE_DIRS.get(table.name, table.name))


def partition_dir(root: str, table: TableSpec, value: str) -> str:
    return FileSystems.join(table_dir(root, table),
                            f"{table.partition_column}={safe_name(value)}")


def part_file_name(run_id: str) -> str:
    return f"part-{safe_name(run_id)}.parquet"


def part_file(root: str, table: TableSpec, value: str, run_id: str) -> str:
    """The file a run writes for one (table, partition) under ROOT."""
    return FileSystems.join(partition_dir(root, table, value), part_file_name(run_id))


def table_files_pattern(root: str, table: TableSpec) -> str:
    """Every data file of a table: those in its partition folders (not the
    Delta log's checkpoints, which are Parquet files too)."""
    return FileSystems.join(table_dir(root, table), f"{table.partition_column}=*", "*.parquet")


def partition_files_pattern(root: str, table: TableSpec, value: str) -> str:
    return FileSystems.join(partition_dir(root, table, value), "*.parquet")


def partition_value(path: str, table: TableSpec) -> str:
    """The partition value a file's path names ("2026-03-01")."""
    return path.rsplit(f"{table.partition_column}=", 1)[1].split("/", 1)[0]


# --- A run's own files ------------------------------------------------------------

def staging_dir(output: str, run_id: str) -> str:
    """Where a run writes its files before the commit moves them into place."""
    return FileSystems.join(output, STAGING_DIR, safe_name(run_id))


def manifest_file(output: str, run_id: str) -> str:
    return FileSystems.join(output, MANIFEST_DIR, f"{safe_name(run_id)}.json")


def window_manifests_pattern(output: str, run_id: str) -> str:
    """The manifests of every window of the stream `run_id`."""
    return FileSystems.join(output, MANIFEST_DIR, f"{safe_name(run_id)}-w*.json")


# --- State for later runs ----------------------------------------------------------

def feed_state_file(output: str) -> str:
    return FileSystems.join(output, STATE_DIR, FEED_STATE_FILE)


def lease_dir(output: str) -> str:
    """The lease one writer holds at a time (a small Delta table)."""
    return FileSystems.join(output, STATE_DIR, "lease")


# --- Raw responses ------------------------------------------------------------------

def default_raw_dir(output: str) -> str:
    return FileSystems.join(output, RAW_DIR)


def raw_file(raw_root: str, run_date: str, run_id: str, feed_url: str,
             fetched_at: Optional[datetime] = None) -> str:
    """One changed fetch's raw response; named by a hash, never by the URL,
    and by the fetch's time: a stream polls a feed many times under one
    run_id, and each changed response must keep a file of its own for
    --replay (one name per feed let the last poll overwrite the others)."""
    key = hashlib.sha1(feed_url.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    if fetched_at is not None:
        key += f"-{fetched_at.astimezone(timezone.utc):%Y%m%dT%H%M%S%fZ}"
    return FileSystems.join(raw_root, f"run_date={safe_name(run_date)}", safe_name(run_id),
                            key + RAW_SUFFIX)


def raw_patterns(raw_dir: str) -> list[str]:
    """Glob patterns that find every raw file under RAW_DIR."""
    return [FileSystems.join(raw_dir.rstrip("/"), p) for p in _RAW_PATTERNS]
