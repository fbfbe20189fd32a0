"""Dedup's cost follows a run's own stories, not DIR's history: a run reads
the stories partitions of its stories' dates and the dedup index, nothing
older, and still never stores a story_id twice when it is served again with
the same date (however late) or with another date within the retention."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
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
from transforms.dedup import candidates
from transforms.dedup.candidates import (
    exact_key_shard,
    key_blocks,
    key_shards,
    pairs_in_shard,
    signature_matrix,
)
from transforms.dedup.fingerprints import (
    candidate_keys,
    exact_keys,
    fingerprints,
    index_entry,
    stored_candidate_keys,
    verified_containment,
)
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


T_INDEXED = datetime(2026, 10, 9, tzinfo=timezone.utc)
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


@pytest.mark.parametrize("stories_per_shard", [candidates.STORIES_PER_KEY_SHARD, 1])
def test_clusters_per_component_match_clustering_every_edge_at_once(
        beam_pipeline, monkeypatch, stories_per_shard):
    """The batch clusters one component per key; the stream's StreamIndex
    clusters all its edges in one call: on a chain longer than the
    component rounds reach, two near-copy clusters and unrelated stories,
    they agree story for story. So do they when the candidate keys are
    spread over as many shards as there are stories."""
    monkeypatch.setattr(candidates, "STORIES_PER_KEY_SHARD", stories_per_shard)
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


def pairs_key_by_key(keyed, max_bucket: int) -> tuple[set, int]:
    """The reference: every candidate key grouped on its own, as the
    stream's index and the batch before sharding found pairs."""
    groups: dict[str, set] = {}
    for key, member in keyed:
        groups.setdefault(key, set()).add(member)
    found, skipped = set(), 0
    for key, members in groups.items():
        members = sorted(members)
        if len(members) < 2 or not any(is_new for _, is_new in members):
            continue
        if len(members) > max_bucket:
            skipped += 1
            continue
        found |= {((a, b), not key.startswith("lsh:"))
                  for i, (a, a_new) in enumerate(members) for b, b_new in members[i + 1:]
                  if a != b and (a_new or b_new)}
    return found, skipped


@pytest.mark.parametrize("shards", [1, 3, 40])
def test_shards_find_the_pairs_of_grouping_every_key_on_its_own(shards):
    """New stories (a chain of excerpts, near copies, unrelated texts, five
    identical copies) and stored ones, in two batches: the pairs and the
    crowded keys skipped are those of grouping key by key, however many
    shards the keys are spread over."""
    new = chain_and_copies() + [story(f"same{i}", OTHER, hours=i) for i in range(5)]
    old = [story(f"old{i}", body, hours=-i) for i, body in
           enumerate([WIRE, trimmed(WIRE, 0.9), OTHER, text(300), "", OTHER])]
    hasher = MinHasher()
    new_prints = fingerprints(new, hasher)
    entries = [index_entry(s, f, s.story_id, T_INDEXED)
               for s, f in zip(old, fingerprints(old, hasher))]
    reference_keys = ([k for s, f in zip(new, new_prints) for k in candidate_keys(s, f)]
                      + [k for e in entries for k in stored_candidate_keys(e)])
    expected = pairs_key_by_key(reference_keys, max_bucket=4)
    assert expected[1] > 0 and any(exact for _, exact in expected[0])   # both kinds met

    blocks: dict[int, list] = {}
    for batch_new, batch_entries in ((new[:9], entries[:2]), (new[9:], entries[2:])):
        prints = fingerprints(batch_new, hasher)
        for shard, block in key_blocks(
                [s.story_id for s in batch_new] + [e.story_id for e in batch_entries],
                [True] * len(batch_new) + [False] * len(batch_entries),
                signature_matrix([f.signature for f in prints]
                                 + [e.signature for e in batch_entries]),
                [exact_keys(s.content_hash, s.url) for s in batch_new]
                + [exact_keys(e.content_hash, e.canonical_url) for e in batch_entries],
                shards).items():
            blocks.setdefault(shard, []).append(block)
    found, skipped = set(), 0
    for shard_blocks in blocks.values():
        pairs, crowded = pairs_in_shard(shard_blocks, max_bucket=4)
        assert len(pairs) == len(set(pairs))
        found |= set(pairs)
        skipped += crowded
    assert (found, skipped) == expected


def test_candidate_keys_are_sharded_by_the_run_size_the_same_on_every_worker():
    per_shard = candidates.STORIES_PER_KEY_SHARD
    assert [key_shards(n) for n in (0, 1, per_shard, per_shard + 1, 10 * per_shard)] == \
        [1, 1, 1, 2, 10]
    keys = ["hash:9f86d081", "url:https://wire.example/a"]
    signature = MinHasher().signature(fingerprints([story("s", WIRE)], MinHasher())[0].shingles)
    here = ([exact_key_shard(key, 7) for key in keys],
            key_blocks(["s"], [True], signature[None, :], [keys], 7).keys())
    # Workers are other processes, each with its own salt for str hashes.
    script = ("import numpy as np; from transforms.dedup.candidates import exact_key_shard, "
              "key_blocks; "
              f"sig = np.array({signature.tolist()}, dtype=np.uint32)[None, :]; "
              f"print(([exact_key_shard(k, 7) for k in {keys!r}], "
              f"key_blocks(['s'], [True], sig, [{keys!r}], 7).keys()))")
    for seed in ("1", "2"):
        found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert found.stdout.strip() == str(here)
