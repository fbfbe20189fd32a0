"""Dedup's cost follows a run's own stories, not DIR's history: a run reads
the stories partitions of its stories' dates and the dedup index, nothing
older, and still never stores a story_id twice when it is served again with
the same date (however late) or with another date within the retention."""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
from datetime import datetime, timezone
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from pipeline.cli import main
from tests.helpers import assert_all_conserved, sql
from tests.test_dedup import story
from transforms.dedup import DeduplicateStream

DAYS = [f"2026-10-{day:02d}" for day in range(1, 9)]
WORDS = ("harbour council budget river vote court trial minister strike tariff "
         "drought vaccine border election reactor merger rally storm treaty "
         "pension airline festival glacier satellite census refinery").split()


def text(seed: int) -> str:
    """An unrelated paragraph per seed: no two are near-duplicates."""
    rng = random.Random(seed)
    return " ".join(f"{rng.choice(WORDS)}{rng.randrange(10_000)}" for _ in range(80)) + "."


def record(story_id: str, day: str, seed: int) -> dict:
    return {"id": story_id, "title": f"Story {story_id}", "body": text(seed),
            "url": f"https://wire.example/{story_id}", "published": f"{day}T09:00:00Z",
            "source": "wire"}


def write_archive(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def run(out: Path, archive: Path) -> int:
    return main(["run", "--articles", str(archive), "--output", str(out)])


def story_rows(out: Path, story_id: str) -> list[tuple]:
    return sql(out, f"select published_date::varchar from {{stories}} "
                    f"where story_id = '{story_id}'")


def history(tmp_path: Path) -> tuple[Path, list[dict]]:
    """A DIR holding two stories on each of eight days."""
    out = tmp_path / "out"
    stored = [record(f"d{i}-{j}", day, 10 * i + j) for i, day in enumerate(DAYS) for j in range(2)]
    assert run(out, write_archive(tmp_path / "history.jsonl", stored)) == 0
    return out, stored


def damage_all_days_but(out: Path, kept: str) -> dict[Path, bytes]:
    """Every other day's stories file turned to garbage (a run that opens
    one fails); returns what to put back."""
    damaged = {}
    for day in DAYS:
        if day != kept:
            (path,) = (out / "stories" / f"published_date={day}").glob("*.parquet")
            damaged[path] = path.read_bytes()
            path.write_bytes(b"not parquet")
    return damaged


def test_a_run_does_not_open_partitions_its_stories_cannot_collide_with(tmp_path):
    out, stored = history(tmp_path)
    last = DAYS[-1]
    damaged = damage_all_days_but(out, last)
    # And an index partition older than the retention.
    old_index = out / "_state" / "dedup_index" / "run_date=2000-01-01" / "part-old.parquet"
    old_index.parent.mkdir(parents=True)
    old_index.write_bytes(b"not parquet")

    again = [stored[-1], record("fresh", last, 999)]
    assert run(out, write_archive(tmp_path / "again.jsonl", again)) == 0

    for path, data in damaged.items():
        path.write_bytes(data)
    assert story_rows(out, stored[-1]["id"]) == [(last,)]
    assert story_rows(out, "fresh") == [(last,)]
    assert sql(out, "select count(*) from {stories}") == [(len(stored) + 1,)]
    assert_all_conserved(out)


def test_a_story_served_again_with_its_date_is_not_stored_again_once_out_of_the_index(tmp_path):
    out, stored = history(tmp_path)
    # As after the retention: the index no longer holds the stories, only
    # their date partitions do.
    shutil.rmtree(out / "_state" / "dedup_index")
    assert run(out, write_archive(tmp_path / "again.jsonl", stored[:3])) == 0
    assert sql(out, "select count(*) from {stories}") == [(len(stored),)]
    assert_all_conserved(out)


def test_a_story_served_again_with_another_date_within_the_retention_is_not_stored_twice(
        tmp_path):
    out, stored = history(tmp_path)
    moved = dict(stored[0], published="2026-10-20T09:00:00Z")   # a corrected pubDate
    assert run(out, write_archive(tmp_path / "moved.jsonl", [moved])) == 0
    assert story_rows(out, moved["id"]) == [(DAYS[0],)]
    assert sql(out, "select count(*) from {stories}") == [(len(stored),)]
    assert_all_conserved(out)


def test_a_stream_reads_stored_ids_only_from_the_days_of_its_stories(tmp_path):
    out, stored = history(tmp_path)
    shutil.rmtree(out / "_state" / "dedup_index")
    last = DAYS[-1]
    damage_all_days_but(out, last)
    published = datetime.fromisoformat(f"{last}T09:00:00+00:00")
    again, fresh = (dataclasses.replace(story(r["id"], r["body"]), published_at=published)
                    for r in (stored[-1], record("fresh", last, 999)))
    now = float(int(datetime.now(timezone.utc).timestamp()))
    events = (test_stream.TestStream()
              .add_elements([TimestampedValue(again, now), TimestampedValue(fresh, now)])
              .advance_watermark_to(now + 60)   # the poll is done: its timer fires
              .advance_watermark_to_infinity())
    options = PipelineOptions([])
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(runner=BundleBasedDirectRunner(), options=options) as p:
        stories, _index = (p | events
                           | DeduplicateStream(str(out), datetime.now(timezone.utc), 7.0))
        assert_that(stories | beam.Map(lambda s: s.story_id), equal_to(["fresh"]))
