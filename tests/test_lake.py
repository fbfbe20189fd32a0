"""The lake's commit protocol (transforms.lake.delta) on real files and real
Delta logs: one transaction per table per run, full statistics, retries and
dead runs that never duplicate or lose a row, schema evolution, and the
conversion of a plain-Parquet DIR written before Delta."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from schemas.records import EntityMention
from schemas.tables import ENTITIES, SCHEMA_VERSION, STORIES, TABLES, TableSpec
from tests.test_dedup import story
from transforms.lake import delta, paths
from transforms.lake.files import arrow_parquet_bytes, write_bytes

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=timezone.utc)


def stage(out: str, run_id: str, spec: TableSpec, partition: str, records: list) -> delta.StagedFile:
    """What a writer worker does for one (table, partition): a staged file."""
    table = spec.to_arrow(records)
    data = arrow_parquet_bytes(spec, table)
    staged = paths.part_file(paths.staging_dir(out, run_id), spec, partition, run_id)
    write_bytes(staged, data)
    return delta.StagedFile(spec.name, partition, staged,
                            paths.part_file(out, spec, partition, run_id),
                            len(data), table.num_rows, delta.file_stats(table, spec))


def a_run(out: str, run_id: str, ids: list[str]) -> delta.CommitPlan:
    stories = [dataclasses.replace(story(i, f"Body of {i}."), run_id=run_id) for i in ids]
    mentions = [EntityMention(i, "body", 0, 4, "Body", "ORG", "Body", "e1") for i in ids]
    day = "2026-11-01"
    return delta.CommitPlan(run_id, (stage(out, run_id, STORIES, day, stories),
                                     stage(out, run_id, ENTITIES, day, mentions)))


def rows(out: str, name: str) -> list[dict]:
    return DeltaTable(f"{out}/{name}").to_pyarrow_table().to_pylist()


def story_ids(out: str) -> list[str]:
    return sorted(r["story_id"] for r in rows(out, "stories"))


def test_each_table_is_one_delta_commit_with_full_statistics(tmp_path):
    out = str(tmp_path)
    plan = a_run(out, "run1", ["b", "a"])
    delta.write_plan(out, plan)
    assert delta.apply_plan(out, plan) == {"entities": 0, "stories": 0}

    assert story_ids(out) == ["a", "b"]
    assert not (tmp_path / "_staging" / "run1").exists()
    table = DeltaTable(f"{out}/stories")
    assert table.metadata().partition_columns == ["published_date"]
    assert f"schema version {SCHEMA_VERSION}" in table.metadata().description
    (action,) = pa.table(table.get_add_actions(flatten=True)).to_pylist()
    assert action["num_records"] == 2
    assert (action["min.story_id"], action["max.story_id"]) == ("a", "b")
    assert action["min.published_at"] == T0
    assert action["null_count.summary"] == 2
    # Lists and the partition column carry no statistics; long text is cut.
    assert "min.authors" not in action and "min.published_date" not in action
    stats = json.loads(plan.files[0].stats)
    assert all(len(v) <= delta.STAT_PREFIX + 1 for v in stats["maxValues"].values()
               if isinstance(v, str))


def test_a_retried_commit_adds_nothing(tmp_path):
    out = str(tmp_path)
    plan = a_run(out, "run1", ["a", "b"])
    delta.write_plan(out, plan)
    delta.apply_plan(out, plan)
    # A Beam retry of the commit step runs it again with the same plan.
    assert delta.apply_plan(out, plan) == {}
    assert story_ids(out) == ["a", "b"]
    assert DeltaTable(f"{out}/stories").version() == 0


def test_the_next_run_finishes_a_commit_a_dead_run_left_half_done(tmp_path):
    out = str(tmp_path)
    plan = a_run(out, "dead", ["a", "b"])
    delta.write_plan(out, plan)
    # The dead run committed entities, then died before stories.
    entities = [f for f in plan.files if f.table == "entities"]
    delta._move_into_place(entities[0])
    delta.commit_table(f"{out}/entities", ENTITIES, entities, "dead", app_id=plan.app_id)

    assert delta.recover(out, current_run_id="next") == [
        "finished the commit of run dead (1 tables)"]
    assert story_ids(out) == ["a", "b"]
    assert len(rows(out, "entities")) == 2
    assert DeltaTable(f"{out}/entities").version() == 0
    assert not (tmp_path / "_staging" / "dead").exists()


def test_the_next_run_discards_files_of_a_run_that_died_while_writing(tmp_path):
    out = str(tmp_path)
    a_run(out, "dead", ["a"])  # files staged, no plan: the run died before its commit
    assert delta.recover(out, current_run_id="next") == [
        "discarded the unfinished files of run dead"]
    assert not list(tmp_path.rglob("*.parquet"))
    # The running run's own staging is never touched.
    a_run(out, "next", ["b"])
    assert delta.recover(out, current_run_id="next") == []
    assert list((tmp_path / "_staging" / "next").rglob("*.parquet"))


def test_a_commit_refuses_a_missing_or_truncated_file(tmp_path):
    out = str(tmp_path)
    plan = a_run(out, "run1", ["a"])
    truncated = dataclasses.replace(plan.files[0], size=plan.files[0].size + 1)
    delta._move_into_place(truncated)
    with pytest.raises(IOError, match="bytes,"):
        delta.commit_table(f"{out}/stories", STORIES, [truncated], "run1", app_id="x")
    missing = dataclasses.replace(plan.files[0], final=f"{out}/stories/gone.parquet")
    with pytest.raises(FileNotFoundError, match="gone.parquet"):
        delta.commit_table(f"{out}/stories", STORIES, [missing], "run1", app_id="x")
    assert delta.open_table(f"{out}/stories") is None


@dataclasses.dataclass(frozen=True)
class OldMention:
    """An entities row as an older wirestream wrote it (no entity_id yet)."""

    story_id: str
    field: str
    start_char: int
    end_char: int
    text: str
    label: str
    canonical: str


def test_a_column_added_by_a_newer_version_evolves_the_table(tmp_path):
    out = str(tmp_path)
    old_spec = dataclasses.replace(ENTITIES, record_type=OldMention)
    old = stage(out, "old", old_spec, "2026-11-01", [OldMention("a", "body", 0, 4, "Body", "ORG", "Body")])
    delta._move_into_place(old)
    delta.commit_table(f"{out}/entities", old_spec, [old], "old", app_id="old")
    assert "entity_id" not in DeltaTable(f"{out}/entities").schema().to_arrow().names

    plan = a_run(out, "new", ["b"])
    delta.apply_plan(out, plan)
    found = sorted(rows(out, "entities"), key=lambda r: r["story_id"])
    assert [(r["story_id"], r["entity_id"]) for r in found] == [("a", None), ("b", "e1")]


def test_a_plain_parquet_dir_becomes_delta_in_place_without_losing_rows(tmp_path):
    out = str(tmp_path)
    # What wirestream wrote before Delta: Hive-partitioned files, no log.
    for day, ids in (("2026-11-01", ["a", "b"]), ("2026-11-02", ["c"])):
        folder = tmp_path / "stories" / f"published_date={day}"
        folder.mkdir(parents=True)
        pq.write_table(STORIES.to_arrow([story(i, f"Body {i}.") for i in ids]),
                       folder / "part-old.parquet")
    assert delta.recover(out) == ["converted stories to a Delta table (2 files)"]
    assert story_ids(out) == ["a", "b", "c"]
    dates = {r["published_date"] for r in rows(out, "stories")}
    assert dates == {"2026-11-01", "2026-11-02"}
    # A run after the conversion appends to the converted table.
    plan = a_run(out, "run1", ["d"])
    delta.apply_plan(out, plan)
    assert story_ids(out) == ["a", "b", "c", "d"]


def test_every_table_reads_back_before_it_has_rows(tmp_path):
    out = str(tmp_path)
    delta.ensure_tables(out, "2026-11-25", "run1")
    for name in TABLES:
        assert rows(out, name) == []
        assert list((tmp_path / name).rglob("*.parquet")), name
    delta.ensure_tables(out, "2026-11-26", "run2")  # nothing more once they exist
    assert len(list((Path(out) / "stories").rglob("*.parquet"))) == 1


def test_reprocessed_stories_replace_their_rows_in_one_transaction_per_table(tmp_path):
    out = str(tmp_path)
    first = a_run(out, "first", ["a", "b", "c"])
    delta.apply_plan(out, first)
    # b is processed again and now has no entity; a and c stay as they were.
    again = dataclasses.replace(story("b", "Body of b, again."), run_id="again")
    plan = delta.CommitPlan("again", (stage(out, "again", STORIES, "2026-11-01", [again]),),
                            replace_stories=True)
    delta.write_plan(out, plan)
    assert delta.apply_plan(out, plan) == {"stories": 1, "entities": 1}

    stories = {r["story_id"]: r["run_id"] for r in rows(out, "stories")}
    assert stories == {"a": "first", "b": "again", "c": "first"}
    assert sorted(r["story_id"] for r in rows(out, "entities")) == ["a", "c"]
    history = DeltaTable(f"{out}/stories").history(1)[0]
    assert history["wirestream.reprocess"] is True
    assert delta.apply_plan(out, plan) == {}  # retried: nothing more
    assert sorted(r["story_id"] for r in rows(out, "stories")) == ["a", "b", "c"]


def test_a_hundred_runs_leave_no_checkpoint_for_duckdbs_glob_to_trip_on(tmp_path):
    import duckdb

    out = str(tmp_path)
    for n in range(101):  # Delta's default checkpoint interval is 100 commits
        delta.apply_plan(out, a_run(out, f"run{n:03d}", [f"s{n}"]))
    assert DeltaTable(f"{out}/stories").version() == 100
    assert not list((tmp_path / "stories" / "_delta_log").glob("*.parquet"))
    rows = duckdb.connect().execute(
        f"select count(*) from read_parquet('{out}/stories/**/*.parquet', "
        "hive_partitioning=true)").fetchall()
    assert rows == [(101,)]
