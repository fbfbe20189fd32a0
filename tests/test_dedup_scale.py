"""Dedup's cost follows a run's own stories, not DIR's history: a run reads
the stories partitions of its stories' dates and the dedup index, nothing
older, and still never stores a story_id twice when it is served again with
the same date (however late) or with another date within the retention."""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from pipeline.cli import main
from tests.helpers import assert_all_conserved, sql
from tests.test_dedup import OTHER, WIRE, story, trimmed
from transforms.dedup import Deduplicate, DeduplicateStream
from transforms.dedup.clusters import assign_by_component, assign_clusters
from transforms.dedup.fingerprints import fingerprints, verified_containment
from transforms.dedup.minhash import MinHasher
from transforms.dedup.stream_index import StreamIndex
from transforms.dedup.transforms import COMPONENT_ROUNDS, _Components

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


STORED = [record(f"d{i}-{j}", day, 10 * i + j) for i, day in enumerate(DAYS) for j in range(2)]


@pytest.fixture(scope="module")
def stored_dir(tmp_path_factory) -> Path:
    """A DIR holding two stories on each of eight days, written once."""
    root = tmp_path_factory.mktemp("history")
    out = root / "out"
    assert run(out, write_archive(root / "history.jsonl", STORED)) == 0
    return out


@pytest.fixture
def history(stored_dir, tmp_path) -> tuple[Path, list[dict]]:
    """A copy of that DIR, for a test to run into (or damage)."""
    out = tmp_path / "out"
    shutil.copytree(stored_dir, out)
    return out, STORED


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


def test_a_run_does_not_open_partitions_its_stories_cannot_collide_with(tmp_path, history):
    out, stored = history
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


def test_a_story_served_again_with_its_date_is_not_stored_again_once_out_of_the_index(
        tmp_path, history):
    out, stored = history
    # As after the retention: the index no longer holds the stories, only
    # their date partitions do.
    shutil.rmtree(out / "_state" / "dedup_index")
    assert run(out, write_archive(tmp_path / "again.jsonl", stored[:3])) == 0
    assert sql(out, "select count(*) from {stories}") == [(len(stored),)]
    assert_all_conserved(out)


def test_a_story_served_again_with_another_date_within_the_retention_is_not_stored_twice(
        tmp_path, history):
    out, stored = history
    moved = dict(stored[0], published="2026-10-20T09:00:00Z")   # a corrected pubDate
    assert run(out, write_archive(tmp_path / "moved.jsonl", [moved])) == 0
    assert story_rows(out, moved["id"]) == [(DAYS[0],)]
    assert sql(out, "select count(*) from {stories}") == [(len(stored),)]
    assert_all_conserved(out)


def test_a_stream_reads_stored_ids_only_from_the_days_of_its_stories(tmp_path, history):
    out, stored = history
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
        stories, _index, _dropped = (p | events
                           | DeduplicateStream(str(out), datetime.now(timezone.utc), 7.0))
        assert_that(stories | beam.Map(lambda s: s.story_id), equal_to(["fresh"]))


# --- Clustering one component per key -----------------------------------------------

def sliding_excerpts(count: int, width: int = 100, step: int = 15) -> list[str]:
    """Excerpts of one long text, each shifted by `step` words: neighbours
    are copies (85% contained), excerpts two apart are not (70%), so the
    copies form a chain `count` stories long."""
    words = text(7).split() + text(8).split() + text(9).split()
    return [" ".join(words[i * step:i * step + width]) for i in range(count)]


def test_components_are_found_by_joins_and_unsettled_ones_share_one_key(beam_pipeline):
    long_path = [(f"p{i:02d}", f"p{i + 1:02d}") for i in range(2 * COMPONENT_ROUNDS + 4)]
    short_path = [("q0", "q1"), ("q1", "q2")]
    star = [("s0", f"s{i}") for i in range(1, 6)] + [("s3", "s4")]
    edges = long_path + short_path + star + [("x", "y")]
    expected = {**{s: None for edge in long_path for s in edge},
                **{s: "q0" for edge in short_path for s in edge},
                **{s: "s0" for edge in star for s in edge}, "x": "x", "y": "x"}
    with beam_pipeline as p:
        keys = p | beam.Create(edges) | _Components()
        assert_that(keys, equal_to(sorted(expected.items())))


def chain_and_copies() -> list:
    return ([story(f"c{i}", body, hours=i) for i, body in enumerate(sliding_excerpts(9))]
            + [story("wire", WIRE, hours=1), story("wire-copy", trimmed(WIRE, 0.8), hours=2),
               story("wire-head", trimmed(WIRE, 0.6), hours=3),
               story("other", OTHER, hours=1), story("other-copy", OTHER + " AP", hours=4)]
            + [story(f"alone{i}", text(100 + i), hours=i) for i in range(4)])


def test_clustering_component_by_component_is_clustering_at_once():
    prints = fingerprints(chain_and_copies(), MinHasher())
    members = [dataclasses.replace(f.member, size=f.shingle_count) for f in prints]
    # One story stored by an earlier run, so a stored cluster is among them.
    members[0] = dataclasses.replace(members[0], stored_cluster="stored-c")
    edges = [(a.story_id, b.story_id, score) for i, a in enumerate(prints)
             for b in prints[i + 1:]
             if (score := verified_containment(a, b, False)) is not None]
    assert len(edges) > 10
    assert assign_by_component(members, edges) == assign_clusters(members, edges)


def test_clusters_per_component_match_clustering_every_edge_at_once(beam_pipeline):
    """The batch clusters one component per key; the stream's StreamIndex
    clusters all its edges in one call: on a chain longer than the
    component rounds reach, two near-copy clusters and unrelated stories,
    they agree story for story."""
    new = chain_and_copies()
    found = StreamIndex(timedelta(days=7)).add(
        list(zip(new, fingerprints(new, MinHasher()))), new[0].fetched_at)
    at_once = [(s.story_id, s.cluster_id) for s, _entry in found]
    assert len({cluster for _, cluster in at_once}) < len(new) - 4   # copies did join
    with beam_pipeline as p:
        stored = p | "Stored" >> beam.Create([])
        index = p | "Index" >> beam.Create([])
        stories, _ = (p | beam.Create(new)
                      | Deduplicate(stored, index, "/nonexistent", new[0].fetched_at))
        assert_that(stories | beam.Map(lambda s: (s.story_id, s.cluster_id)),
                    equal_to(at_once))
