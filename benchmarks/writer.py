"""One busy day's stories partition written the old way (every row held,
one Arrow table, one file's bytes) and by the streaming writer
(`transforms.lake.writer.PartitionWriter`): wall time and peak memory.

    python -m benchmarks.writer [--rows 100000]
    python -m benchmarks.writer --beam [--rows 100000]

With --beam, the whole write stage instead: `lake.WriteTables` on the
in-process FnApiRunner, stories made inside the pipeline, so that the
shuffle, its coders and the commit are measured too (copy this file into a
checkout of an older revision to compare).

Each way runs in its own process, fed one Story at a time (as a Beam
iterable would hand them over) from Reuters-21578 bodies, repeated under new
ids past the corpus. Peak memory is the process's peak RSS less its RSS
before the first row.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from typing import Iterator

import apache_beam as beam

from benchmarks.harness import REPO
from schemas.tables import STORIES
from transforms.lake.files import arrow_parquet_bytes, write_bytes
from transforms.lake.writer import PartitionWriter

DAY = datetime(2026, 11, 2, tzinfo=timezone.utc)


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def corpus() -> list[tuple[str, str]]:
    from benchmarks.corpora import iter_reuters

    return [(r.get("title") or "", r.get("body") or "") for r in iter_reuters()]


def stories(rows: int, texts: list[tuple[str, str]], start: int = 0) -> Iterator:
    from schemas.records import Story

    for i in range(start, rows):
        title, body = texts[i % len(texts)]
        story_id = f"{(i * 2654435761) % 2**32:08x}{i:016x}"
        yield Story(story_id=story_id, source="reuters", feed_url=None, url=None,
                    title=title, body=body, summary=None,
                    published_at=DAY + timedelta(seconds=i % 86400),
                    fetched_at=DAY + timedelta(days=1), language="en", agency="Reuters",
                    dateline=None, authors=(), content_hash=f"{i:032x}", run_id="bench",
                    cluster_id=story_id)


def measure(way: str, rows: int) -> dict:
    """Write ROWS stories one WAY in this process."""
    records = stories(rows, corpus())
    first = next(records)
    baseline = _rss_mb()
    out = tempfile.mkdtemp(prefix="writer-bench-")
    started = time.perf_counter()
    try:
        files, size = _write(way, first, records, out)
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"way": way, "seconds": seconds, "peak_mb": peak - baseline, "files": files,
            "mb": size / 2**20}


def _write(way: str, first, records, out: str) -> tuple[int, int]:
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
    return files, size


class _MakeStories(beam.DoFn):
    """Stories [start, start + count) of `stories`, for a pipeline; the
    corpus is read once per worker."""

    def __init__(self, count: int):
        self._count = count

    def setup(self):
        self._texts = corpus()

    def process(self, start: int):
        yield from stories(start + self._count, self._texts, start)


def measure_beam(rows: int) -> dict:
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from transforms.lake import WriteTables

    chunk = 1000
    out = tempfile.mkdtemp(prefix="writer-bench-")
    started = time.perf_counter()
    try:
        with beam.Pipeline(runner=FnApiRunner()) as p:
            made = (p | "Starts" >> beam.Create(list(range(0, rows, chunk)))
                    | "Make" >> beam.ParDo(_MakeStories(chunk))
                    | "Day" >> beam.Map(lambda s: ("2026-11-02", s)))
            empty = {name: p | name >> beam.Create([])
                     for name in ("extractions", "fetch_log", "dead_letters", "dedup_index")}
            {"stories": made, **empty} | WriteTables(out, "bench", "2026-11-02")
        seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(out, ignore_errors=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"way": "beam", "seconds": seconds, "peak_mb": peak, "files": 0, "mb": 0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--way", choices=("whole", "stream"), help=argparse.SUPPRESS)
    parser.add_argument("--beam", action="store_true")
    args = parser.parse_args(argv)
    if args.beam:
        result = measure_beam(args.rows)
        print(f"WriteTables, {args.rows} stories in one partition: "
              f"{result['seconds']:.1f} s, peak RSS {result['peak_mb']:.0f} MB")
        return 0
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
