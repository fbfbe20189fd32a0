"""What the story_id check costs as DIR's history grows (issue 14).

A synthetic stories table of DAYS published_date partitions, ROWS stories
each, and a run of NEW stories published over the last three days (half of
them already stored). Two ways to find which new story_ids are stored, each
a Beam pipeline on the FnApiRunner:

- all ids: the story_id column of every stories file (how runs did it
  before: cost grows with DIR's history);
- ReadStoredIds: the story_id column of the new stories' date partitions
  only (transforms/dedup: cost follows the run's own dates).

Both must find the same stored ids. Prints rows read and wall time (best
of --repeat) per history size.

    python -m benchmarks.dedup_scale [--days 30 180] [--rows 500] [--new 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.metrics import Metrics, MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from benchmarks.harness import run_script
from schemas.records import Story
from schemas.tables import STORIES
from transforms.dedup import ReadStoredIds
from transforms.lake import paths

FIRST_DAY = date(2025, 1, 1)
BODY = "Wire copy about markets, weather and politics. " * 8


def day_of(i: int) -> str:
    return (FIRST_DAY + timedelta(days=i)).isoformat()


def write_history(root: Path, days: int, rows: int) -> None:
    for i in range(days):
        day = day_of(i)
        ids = [f"{day}-{n}" for n in range(rows)]
        folder = root / "stories" / f"published_date={day}"
        folder.mkdir(parents=True)
        pq.write_table(pa.table({"story_id": ids, "title": [f"t {s}" for s in ids],
                                 "body": [BODY] * rows}), folder / "part-history.parquet")


def new_stories(days: int, count: int) -> list[Story]:
    """`count` stories over the last three days; every other one stored."""
    stories = []
    for n in range(count):
        i = days - 1 - n % 3
        stored = n % 2 == 0
        published = datetime.combine(FIRST_DAY + timedelta(days=i), datetime.min.time(),
                                     timezone.utc) + timedelta(hours=9)
        story_id = f"{day_of(i)}-{n}" if stored else f"new-{n}"
        stories.append(Story(
            story_id=story_id, source="s", feed_url=None, url=None, title="t", body="b",
            summary=None, published_at=published, fetched_at=published, language="en",
            agency=None, dateline=None, authors=(), content_hash=story_id, run_id="r"))
    return stories


def _count(story_id: str, wanted: frozenset) -> None:
    Metrics.counter("bench", "rows").inc()
    if story_id in wanted:
        Metrics.counter("bench", "stored").inc()


def _counted(build) -> tuple[int, int]:
    """(rows read, new story_ids found stored) of a pipeline ending in _count."""
    p = beam.Pipeline(runner=FnApiRunner())
    build(p)
    result = p.run()
    result.wait_until_finish()
    totals = {c.key.metric.name: c.committed
              for c in result.metrics().query(MetricsFilter().with_namespace("bench"))["counters"]}
    return totals.get("rows", 0), totals.get("stored", 0)


def run_old(output: str, stories: list[Story]) -> tuple[int, int]:
    wanted = frozenset(s.story_id for s in stories)
    return _counted(lambda p: (
        p | beam.Create([paths.table_files_pattern(output, STORIES)])
        | beam.io.ReadAllFromParquet(columns=["story_id"])
        | beam.Map(lambda row: _count(row["story_id"], wanted))))


def run_new(output: str, stories: list[Story]) -> tuple[int, int]:
    wanted = frozenset(s.story_id for s in stories)
    return _counted(lambda p: (
        p | beam.Create(stories) | ReadStoredIds(output)
        | beam.Map(lambda stored: _count(stored.story_id, wanted))))


def best_of(repeat: int, fn, *args):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, nargs="+", default=[30, 180])
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--new", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    print(f"{'history':>16} {'method':>14} {'rows read':>10} {'stored found':>13} {'wall s':>7}")
    for days in args.days:
        with tempfile.TemporaryDirectory() as tmp:
            write_history(Path(tmp), days, args.rows)
            stories = new_stories(days, args.new)
            old_s, (old_rows, old_ids) = best_of(args.repeat, run_old, tmp, stories)
            new_s, (new_rows, new_ids) = best_of(args.repeat, run_new, tmp, stories)
            if old_ids != new_ids:
                print(f"MISMATCH at {days} days: {old_ids} vs {new_ids} stored ids found")
                return 1
            label = f"{days} d x {args.rows}"
            print(f"{label:>16} {'all ids':>14} {old_rows:>10} {old_ids:>13} {old_s:>7.2f}")
            print(f"{label:>16} {'ReadStoredIds':>14} {new_rows:>10} {new_ids:>13} "
                  f"{new_s:>7.2f}")
    return 0


if __name__ == "__main__":
    run_script(main)
