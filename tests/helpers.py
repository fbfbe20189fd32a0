"""Reading a run's output back, for the tests that run wirestream end to end;
and one story's extraction, for the tests of the extraction rules."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from schemas.tables import TABLES
from transforms.nlp.extract import extract, model_text
from transforms.text.stories import build_story


def table(out: Path | str, name: str) -> pa.Table:
    """Table `name` under OUTPUT, read as the contract says: a Hive dataset."""
    return ds.dataset(f"{out}/{name}", partitioning="hive", format="parquet").to_table()


def sql(out: Path | str, query: str) -> list[tuple]:
    """`query` with {name} standing for each table read as a Hive dataset."""
    sources = {name: f"read_parquet('{out}/{name}/**/*.parquet', hive_partitioning=true)"
               for name in TABLES}
    return duckdb.connect().execute(query.format(**sources)).fetchall()


def manifests(out: Path) -> list[dict]:
    """Every run's manifest under OUTPUT, oldest run first."""
    return [json.loads(p.read_text()) for p in sorted((out / "_manifests").glob("*.json"))]


def _equations(manifest: dict) -> dict[str, tuple[int, int]]:
    """(in, out) per stage, from the counters of one batch run's manifest."""
    c = manifest["counters"]

    def n(*names: str) -> int:
        return sum(c.get(name, 0) for name in names)

    dead = sum(v for k, v in c.items() if k.startswith("dead_letters_"))
    return {
        # Every listed feed has exactly one outcome, and one fetch_log row.
        "fetch": (n("feeds_in"), n("feeds_fetched", "feeds_not_modified", "feeds_failed",
                                   "feeds_backoff", "feeds_dead", "feeds_replayed")),
        "fetch_log": (n("feeds_in"), n("rows_fetch_log")),
        # Every feed entry became a story or a dead letter.
        "parse": (n("entries_seen"), n("entries_parsed", "entries_dead")),
        # Every parsed entry and archive line reached dedup or dead letters.
        "records": (n("entries_seen", "archive_lines"),
                    n("stories_in", "entries_dead", "archive_dead")),
        # Every story in dedup is a new row, was stored before, or merged
        # into a same-id copy of this run.
        "dedup": (n("stories_in"), n("rows_stories", "stories_already_stored",
                                     "stories_same_id_merged")),
        # Every new row is a canonical story or a duplicate of one.
        "clusters": (n("rows_stories"), n("stories_canonical", "stories_duplicate")),
        # Every canonical story went through the model, failed, or was skipped.
        "extract": (n("stories_canonical"), n("nlp_stories", "nlp_failed",
                                              "nlp_skipped_language")),
        # Whatever extraction produced was written, row for row.
        "write_entities": (n("entities"), n("rows_entities")),
        "write_relations": (n("relations"), n("rows_relations")),
        "write_quotes": (n("quotes"), n("rows_quotes")),
        "dead_letters": (dead, n("rows_dead_letters")),
    }


def assert_conserved(manifest: dict) -> None:
    """Fail, naming the stage, unless every record of the run is accounted for.

    Checks the manifest's own reconciliation block and, independently, the
    same promise recomputed from its raw counters stage by stage: what went
    in = rows out + duplicates/already stored + dead letters.
    """
    assert manifest.get("state") == "DONE", f"run {manifest.get('run_id')}: {manifest.get('state')}"
    broken = {k: v for k, v in manifest["reconciliation"].items() if not v["ok"]}
    assert not broken, f"run {manifest['run_id']}: manifest does not reconcile at {broken}"
    for stage, (came_in, went_out) in _equations(manifest).items():
        assert came_in == went_out, (
            f"run {manifest['run_id']}: stage {stage!r} lost or invented records: "
            f"{came_in} in, {went_out} accounted for")


def assert_all_conserved(out: Path | str) -> list[dict]:
    """assert_conserved on every batch run's manifest under OUTPUT."""
    found = manifests(Path(out))
    assert found, f"no run manifest under {out}"
    for manifest in found:
        assert_conserved(manifest)
    return found


def make_story(body: str, title: str = ""):
    """A story of this body (and title), built as a feed's item is."""
    return build_story(story_id="s1", source="test", feed_url=None, url=None, title=title,
                       body_markup=body, summary_markup=None, published_at=None,
                       fetched_at=datetime(2026, 11, 25, tzinfo=timezone.utc),
                       language="en", authors=[], run_id="run")


def extracted(nlp, body: str, title: str = ""):
    """(story, Extraction) of a body, with the text given to the model as
    the handler gives it (capitalised lines re-cased)."""
    story = make_story(body, title)
    return story, extract(story, nlp(model_text(story)))
