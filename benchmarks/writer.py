"""One busy day's stories partition written the old way (every row held,
one Arrow table, one file's bytes) and by the streaming writer
(`transforms.lake.writer.PartitionWriter`): wall time and peak memory.

    python -m benchmarks.writer [--rows 100000]

Each way runs in its own process, fed one Story at a time (as a Beam
iterable would hand them over) from Reuters-21578 bodies, repeated under new
ids past the corpus. Peak memory is the process's peak RSS less its RSS
before the first row.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Iterator

from benchmarks.harness import REPO

DAY = datetime(2026, 11, 2, tzinfo=timezone.utc)


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def stories(rows: int) -> Iterator:
    from benchmarks.corpora import iter_reuters
    from schemas.records import Story

    corpus = [(r.get("title") or "", r.get("body") or "") for r in iter_reuters()]
    for i in range(rows):
        title, body = corpus[i % len(corpus)]
        story_id = f"{(i * 2654435761) % 2**32:08x}{i:016x}"
        yield Story(story_id=story_id, source="reuters", feed_url=None, url=None,
                    title=title, body=body, summary=None,
                    published_at=DAY + timedelta(seconds=i % 86400),
                    fetched_at=DAY + timedelta(days=1), language="en", agency="Reuters",
                    dateline=None, authors=(), content_hash=f"{i:032x}", run_id="bench",
                    cluster_id=story_id)


def measure(way: str, rows: int) -> dict:
    """Write ROWS stories one WAY in this process."""
    from schemas.tables import STORIES
    from transforms.lake.files import arrow_parquet_bytes, write_bytes
    from transforms.lake.writer import PartitionWriter

    records = stories(rows)
    first = next(records)
    baseline = _rss_mb()
    out = tempfile.mkdtemp(prefix="writer-bench-")
    started = time.perf_counter()
    if way == "whole":
        held = [first, *records]
        data = arrow_parquet_bytes(STORIES, STORIES.to_arrow(held))
        write_bytes(f"{out}/part.parquet", data)
        files, size = 1, len(data)
    else:
        writer = PartitionWriter(out, "bench", STORIES, "2026-11-02")
        writer.add(first)
        for record in records:
            writer.add(record)
        staged = writer.close()
        files, size = len(staged), sum(f.size for f in staged)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"way": way, "seconds": seconds, "peak_mb": peak - baseline, "files": files,
            "mb": size / 2**20}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--way", choices=("whole", "stream"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.way:
        print(json.dumps(measure(args.way, args.rows)))
        return 0
    print(f"{args.rows} stories in one partition")
    print(f"{'way':<8}{'seconds':>9}{'peak MB':>9}{'files':>7}{'file MB':>9}")
    for way in ("whole", "stream"):
        done = subprocess.run([sys.executable, "-m", "benchmarks.writer", "--rows",
                               str(args.rows), "--way", way], cwd=REPO, check=True,
                              capture_output=True, text=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{way:<8}{result['seconds']:>9.1f}{result['peak_mb']:>9.0f}"
              f"{result['files']:>7}{result['mb']:>9.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
