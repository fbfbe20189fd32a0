"""The streaming writer: a partition bigger than a file becomes several files,
committed together, every row read back; row groups and the writer's memory
stay bounded whatever the partition's size."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import datetime, timedelta, timezone

import apache_beam as beam
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing import test_pipeline
import duckdb
import pyarrow.parquet as pq
from apache_beam.testing.util import assert_that, equal_to
from deltalake import DeltaTable

from schemas.records import EntityMention, Extraction, Story
from schemas.tables import ENTITIES, STORIES
from tests.helpers import table
from transforms.lake import WriteTables
from transforms.lake.writer import Limits, PartitionWriter

RUN = "20261202T090000Z-abc123"
DAY = datetime(2026, 11, 2, tzinfo=timezone.utc)


def story(i: int, body_words: int = 20) -> Story:
    story_id = f"{(i * 2654435761) % 2**32:08x}-{i}"  # arrival order is not id order
    return Story(
        story_id=story_id, source=f"outlet-{i % 3}", feed_url=None if i % 4 else "https://x.org/rss",
        url=f"https://x.org/{i}", title=f"Story {i}", body=" ".join([f"word{i}"] * body_words),
        summary=None if i % 2 else f"summary {i}", published_at=DAY + timedelta(seconds=i),
        fetched_at=DAY + timedelta(days=1), language="en", agency="AP" if i % 5 == 0 else None,
        dateline=None, authors=tuple(f"author {k}" for k in range(i % 3)),
        content_hash=f"{i:032x}", run_id=RUN, cluster_id=story_id)


def mentions(s: Story) -> Extraction:
    return Extraction(s.story_id, entities=tuple(
        EntityMention(s.story_id, "body", k * 10, k * 10 + 6, "word", "ORG", "word", f"e{k}")
        for k in range(3)))


def test_a_partition_larger_than_a_file_is_several_files_in_one_delta_version(
        tmp_path, beam_pipeline):
    out = str(tmp_path / "out")
    stories = [story(i) for i in range(700)]
    limits = Limits(row_group_rows=50, file_rows=200)
    with beam_pipeline as p:
        committed = {
            "stories": p | "S" >> beam.Create([("2026-11-02", s) for s in stories]),
            "extractions": p | "E" >> beam.Create([("2026-11-02", mentions(s)) for s in stories]),
            "fetch_log": p | "L" >> beam.Create([]),
            "dead_letters": p | "D" >> beam.Create([]),
            "dedup_index": p | "I" >> beam.Create([]),
        } | WriteTables(out, RUN, "2026-12-02", limits=limits)
        # 700 stories: 4 files; 2,100 entities: 11 files.
        assert_that(committed, equal_to([15]))

    for name, expected_rows, expected_files in (("stories", 700, 4), ("entities", 2100, 11)):
        delta = DeltaTable(f"{out}/{name}")
        # One transaction added them all: readers never see part of the day.
        assert delta.version() == 0
        assert len(delta.file_uris()) == expected_files
        for uri in delta.file_uris():
            metadata = pq.ParquetFile(uri).metadata
            assert metadata.num_rows <= limits.file_rows
            for group in range(metadata.num_row_groups):
                row_group = metadata.row_group(group)
                assert row_group.num_rows <= limits.row_group_rows
                ids = pq.ParquetFile(uri).read_row_group(group, columns=["story_id"])
                assert ids.column(0).to_pylist() == sorted(ids.column(0).to_pylist())
        assert delta.to_pyarrow_table().num_rows == expected_rows

    # Row groups' id ranges overlap, so a lookup of one story skips the
    # others by their Bloom filters.
    wanted = stories[123].story_id
    probes = duckdb.connect().execute(
        "select file_name, row_group_id, bloom_filter_excludes from parquet_bloom_probe(?, "
        "'story_id', ?)", [DeltaTable(f"{out}/stories").file_uris(), wanted]).fetchall()
    holding = {(uri, group) for uri in DeltaTable(f"{out}/stories").file_uris()
               for group in range(pq.ParquetFile(uri).metadata.num_row_groups)
               if wanted in pq.ParquetFile(uri).read_row_group(group, columns=["story_id"])
               .column(0).to_pylist()}
    assert len(probes) == 14 and len(holding) == 1
    assert not [p for p in probes if (p[0], p[1]) in holding and p[2]]
    assert sum(1 for p in probes if p[2]) >= 10

    # Every row, as written, through both of the contract's readers.
    written = table(out, "stories").drop(["published_date"]).sort_by("story_id")
    assert written.to_pylist() == STORIES.to_arrow(stories).to_pylist()
    entities = table(out, "entities").drop(["published_date"])
    assert entities.sort_by([("story_id", "ascending"), ("start_char", "ascending")]
                            ).to_pylist() == ENTITIES.to_arrow(
        [m for s in stories for m in mentions(s).entities]).to_pylist()
    con = duckdb.connect()
    assert con.execute(
        f"select count(*), count(distinct story_id) from read_parquet('{out}/stories/**/*.parquet',"
        " hive_partitioning=true) where published_date = '2026-11-02'").fetchall() == [(700, 700)]
    assert con.execute(
        f"select count(*) from read_parquet('{out}/entities/**/*.parquet', hive_partitioning=true)"
    ).fetchall() == [(2100,)]


def write_day(out: str, stories: list[Story], limits: Limits, beam_pipeline) -> None:
    with beam_pipeline as p:
        {
            "stories": p | "S" >> beam.Create([("2026-11-02", s) for s in stories]
                                              + [("2026-11-03", story(9999))]),
            "extractions": p | "E" >> beam.Create([("2026-11-02", mentions(s)) for s in stories]),
            "fetch_log": p | "L" >> beam.Create([]),
            "dead_letters": p | "D" >> beam.Create([]),
            "dedup_index": p | "I" >> beam.Create([]),
        } | WriteTables(out, RUN, "2026-12-02", limits=limits)


def files_of(out: str, name: str) -> dict[str, list[str]]:
    """partition/file name -> its story_ids, of one table's current snapshot."""
    return {"/".join(uri.rsplit("/", 2)[1:]): sorted(set(pq.read_table(uri, columns=["story_id"])
                                               .column(0).to_pylist()))
            for uri in DeltaTable(f"{out}/{name}").file_uris()}


def test_a_busy_partition_is_spread_over_write_keys_the_same_way_every_run(tmp_path):
    stories = [story(i) for i in range(230)]
    limits = Limits(key_records=50)
    first, second = str(tmp_path / "first"), str(tmp_path / "second")
    for out in (first, second):
        write_day(out, stories, limits, test_pipeline.TestPipeline(runner=FnApiRunner(), argv=[]))

    written = files_of(first, "stories")
    busy = {n: ids for n, ids in written.items() if n.startswith("published_date=2026-11-02/")}
    # 230 stories at most 50 a key: 5 keys, each its own file, every story in one.
    assert set(busy) == {f"published_date=2026-11-02/part-{RUN}{suffix}.parquet"
                         for suffix in ("", "-b1", "-b2", "-b3", "-b4")}
    assert sorted(i for ids in busy.values() for i in ids) == sorted(s.story_id for s in stories)
    assert all(20 <= len(ids) <= 80 for ids in busy.values())
    # The quiet partition keeps the one file a run always wrote.
    assert written[f"published_date=2026-11-03/part-{RUN}.parquet"] == [story(9999).story_id]
    # A story's entities are written by the same key as the story.
    assert files_of(first, "entities") == busy
    # Which story lands in which file does not depend on the run.
    assert files_of(second, "stories") == files_of(first, "stories")
    assert table(first, "stories").num_rows == 231
    assert table(first, "entities").num_rows == 690


def test_files_roll_at_the_byte_limit_and_row_groups_at_the_text_limit(tmp_path):
    out = str(tmp_path / "out")
    limits = Limits(row_group_rows=10_000, row_group_bytes=20_000, file_rows=10_000,
                    file_bytes=60_000)
    writer = PartitionWriter(out, RUN, STORIES, "2026-11-02", limits)
    # Bodies of distinct words (5 kB each) that zstd cannot squeeze away.
    stories = [story(i, body_words=0) for i in range(200)]
    stories = [Story(**{**vars(s), "body": " ".join(f"{s.story_id}{k}" for k in range(400))})
               for s in stories]
    for s in stories:
        writer.add(s)
    staged = writer.close()

    assert len(staged) > 1
    assert sum(f.rows for f in staged) == 200
    for f in staged:
        metadata = pq.ParquetFile(f.staged).metadata
        assert metadata.num_rows == f.rows
        assert f.size == (tmp_path / f.staged).stat().st_size
        # A file closes after the row group that passed the limit, and ends
        # with its footer.
        assert f.size < limits.file_bytes + limits.row_group_bytes + metadata.serialized_size
        for group in range(metadata.num_row_groups):
            # Bodies of 5 kB: a row group closes at the 4th, past 20 kB.
            assert metadata.row_group(group).num_rows <= 4
    read = sorted(row["story_id"] for f in staged
                  for row in pq.read_table(f.staged, columns=["story_id"]).to_pylist())
    assert read == sorted(s.story_id for s in stories)


def test_a_partition_of_one_row_group_is_one_sorted_file_without_bloom_filters(tmp_path):
    writer = PartitionWriter(str(tmp_path / "out"), RUN, STORIES, "2026-11-02",
                             Limits(row_group_rows=50))
    for i in range(30):
        writer.add(story(i))
    (staged,) = writer.close()
    read = pq.ParquetFile(staged.staged)
    assert read.metadata.num_row_groups == 1
    assert read.metadata.row_group(0).column(0).bloom_filter_offset is None
    ids = read.read(columns=["story_id"]).column(0).to_pylist()
    assert ids == sorted(story(i).story_id for i in range(30))


def _peak_bytes(rows: int, out: str) -> int:
    """Python's peak allocation while the writer takes ROWS stories, made one
    at a time as a Beam iterable would hand them over."""
    writer = PartitionWriter(out, RUN, STORIES, "2026-11-02",
                             Limits(row_group_rows=500, file_rows=10**9))
    gc.collect()
    tracemalloc.start()
    try:
        for i in range(rows):
            writer.add(story(i, body_words=50))
        writer.close()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_writers_memory_does_not_grow_with_the_partition(tmp_path):
    _peak_bytes(1000, str(tmp_path / "warm-up"))  # first-use allocations aside
    small = _peak_bytes(4000, str(tmp_path / "small"))
    large = _peak_bytes(8000, str(tmp_path / "large"))
    # Holding the rows would double the peak; the writer holds 500 at most.
    assert large < small * 1.2, (small, large)
