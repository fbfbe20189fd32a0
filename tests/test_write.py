"""The writer: staged Parquet, committed at once, read back by pyarrow and DuckDB."""

from datetime import datetime, timezone

import apache_beam as beam
import duckdb
import pyarrow as pa
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import EntityMention, Extraction, FetchResult, dead_letter
from schemas.tables import TABLES
from tests.helpers import table
from tests.test_dedup import story
from transforms.lake import WriteTables

RUN = "20261125T000000Z-abc123"
NOW = datetime(2026, 11, 25, 8, tzinfo=timezone.utc)


def test_tables_are_hive_partitioned_typed_and_complete(tmp_path, beam_pipeline):
    out = str(tmp_path / "out")
    stories = [story("a", "Body a.", hours=0), story("b", "Body b.", hours=30)]
    mention = EntityMention("a", "body", 0, 4, "Body", "ORG", "Body", "e1")
    log = FetchResult(RUN, "https://x.org/rss", "x", 200, False, 2, 100, 5, None, NOW, body=b"<rss/>")
    letter = dead_letter(RUN, "parse", "NotAFeed", "html", "https://y.org/", b"<html>", at=NOW)
    with beam_pipeline as p:
        committed = {
            "stories": p | "S" >> beam.Create([("2026-11-01", stories[0]), ("2026-11-02", stories[1])]),
            "extractions": p | "E" >> beam.Create([("2026-11-01", Extraction("a", entities=(mention,)))]),
            "fetch_log": p | "L" >> beam.Create([log]),
            "dead_letters": p | "D" >> beam.Create([letter]),
            "dedup_index": p | "I" >> beam.Create([]),
        } | WriteTables(out, RUN, "2026-11-25")
        # One element once the commit is done: the number of files it moved.
        assert_that(committed, equal_to([5]))

    assert sorted(str(f.relative_to(tmp_path / "out")) for f in (tmp_path / "out").rglob("*.parquet")) == [
        f"dead_letters/run_date=2026-11-25/part-{RUN}.parquet",
        f"entities/published_date=2026-11-01/part-{RUN}.parquet",
        f"fetch_log/run_date=2026-11-25/part-{RUN}.parquet",
        # Tables with no rows yet still read back, as empty.
        f"quotes/published_date=2026-11-25/part-{RUN}.parquet",
        f"relations/published_date=2026-11-25/part-{RUN}.parquet",
        f"stories/published_date=2026-11-01/part-{RUN}.parquet",
        f"stories/published_date=2026-11-02/part-{RUN}.parquet",
    ]
    assert not [f for f in (tmp_path / "out" / "_staging").rglob("*") if f.is_file()]

    for name, spec in TABLES.items():
        written = table(out, name)
        for field in spec.schema:
            assert written.schema.field(field.name).type == field.type, (name, field.name)
    stories_table = table(out, "stories")
    assert stories_table.schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert stories_table.schema.field("authors").type == pa.list_(pa.string())
    con = duckdb.connect()
    rows = con.execute(
        f"select story_id, published_date from read_parquet('{out}/stories/**/*.parquet', "
        "hive_partitioning=true) order by story_id").fetchall()
    assert [(r[0], str(r[1])) for r in rows] == [("a", "2026-11-01"), ("b", "2026-11-02")]
    assert con.execute(f"select feed_url, items, error from read_parquet('{out}/fetch_log/**/*.parquet')"
                       ).fetchall() == [("https://x.org/rss", 2, None)]
    assert con.execute(f"select count(*) from read_parquet('{out}/quotes/**/*.parquet')").fetchall() == [(0,)]
    assert con.execute(f"select payload from read_parquet('{out}/dead_letters/**/*.parquet')"
                       ).fetchall() == [("<html>",)]
