"""The whole path on a local Beam runner: the bundled sample in, six tables out,
read back with pyarrow and DuckDB; then a rerun and a backfill into the same DIR."""

import json
import subprocess
import sys

import pyarrow as pa
import pytest

from pipeline.cli import main
from schemas.tables import TABLES
from tests.conftest import SAMPLE
from tests.helpers import assert_all_conserved, manifests, sql, table

TIMESTAMP = pa.timestamp("us", tz="UTC")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """One run of `wirestream run` on the bundled sample (no --feeds: the default)."""
    out = tmp_path_factory.mktemp("e2e") / "out"
    assert main(["run", "--output", str(out)]) == 0
    assert_all_conserved(out)
    return out


def test_every_table_is_written_typed_and_partitioned(sample_run):
    out = sample_run
    for name, spec in TABLES.items():
        data = table(out, name)
        for field in spec.schema:
            assert data.schema.field(field.name).type == field.type, (name, field.name)
        folders = {p.name.split("=")[0] for p in (out / name).iterdir()}
        # Partitions, and the Delta log the contract promises beside them.
        assert folders == {spec.partition_column, "_delta_log"}, name
    stories = table(out, "stories").to_pylist()
    assert len(stories) == 24
    for row in stories:
        published = row["published_at"] or row["fetched_at"]
        assert row["published_date"] == published.date().isoformat()  # folder = UTC date
    assert table(out, "stories").schema.field("published_at").type == TIMESTAMP
    assert table(out, "fetch_log").num_rows == 3
    assert table(out, "dead_letters").num_rows == 0


def test_the_story_published_by_two_feeds_is_one_cluster(sample_run):
    rows = sql(sample_run, """
        select d.source, c.source, d.cluster_id = c.story_id, c.cluster_id = c.story_id
        from {stories} d join {stories} c on d.duplicate_of = c.story_id
        order by d.story_id""")
    assert len(rows) == 3
    assert all(dup_source == "example-syndicator" and original.startswith("wikinews-")
               and points and canonical for dup_source, original, points, canonical in rows)
    assert sql(sample_run, "select count(*) from {stories} where duplicate_of is null "
                           "and cluster_id <> story_id") == [(0,)]


def test_extraction_covers_canonical_stories_only(sample_run):
    out = sample_run
    canonical = {r[0] for r in sql(out, "select story_id from {stories} where duplicate_of is null")}
    for name in ("entities", "relations", "quotes"):
        ids = {r[0] for r in sql(out, f"select distinct story_id from {{{name}}}")}
        assert ids and ids <= canonical, name
    assert len({r[0] for r in sql(out, "select distinct story_id from {entities}")}) == len(canonical)
    # Offsets point into the stored text of the field they name.
    bad = sql(out, """
        select count(*) from {entities} e join {stories} s using (story_id)
        where e.text <> substr(case e.field when 'title' then s.title
                                            when 'dateline' then s.dateline else s.body end,
                               e.start_char + 1, e.end_char - e.start_char)""")
    assert bad == [(0,)]
    people = sql(out, "select count(distinct entity_id) from {entities} where label = 'PERSON'")
    assert people[0][0] > 20
    assert sql(out, "select count(*) from {quotes} where speaker is not null")[0][0] > 10


def test_manifest_counts_reconcile_with_the_tables(sample_run):
    (manifest,) = manifests(sample_run)
    assert manifest["state"] == "DONE"
    assert all(check["ok"] for check in manifest["reconciliation"].values()), manifest["reconciliation"]
    write = manifest["stages"]["write"]
    for name in TABLES:
        assert write[name] == table(sample_run, name).num_rows, name
    dedup = manifest["stages"]["dedup"]
    assert {k: dedup[k] for k in ("in", "already_stored", "same_id_merged", "canonical", "duplicates",
                                  "verified_pairs")} == {
        "in": 24, "already_stored": 0, "same_id_merged": 0, "canonical": 21, "duplicates": 3,
        "verified_pairs": 3}


def test_rerun_adds_no_story_level_rows_then_a_backfill_dead_letters_bad_lines(sample_run, capsys):
    out = sample_run
    before = {name: table(out, name).num_rows for name in TABLES}
    assert main(["run", "--feeds", str(SAMPLE / "feeds.opml"), "--output", str(out)]) == 0
    after = {name: table(out, name).num_rows for name in TABLES}
    assert {n: after[n] - before[n] for n in TABLES} == {
        "stories": 0, "entities": 0, "relations": 0, "quotes": 0, "fetch_log": 3, "dead_letters": 0}
    # Unchanged feed files are not even parsed the second time.
    assert "0 fetched, 3 not modified" in capsys.readouterr().out

    assert main(["run", "--articles", str(SAMPLE / "archive-with-errors.jsonl"), "--output", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "counts reconcile" in summary
    letters = sql(out, "select stage, error, ref from {dead_letters} order by ref")
    assert [(s, e, r.rsplit("/", 1)[-1]) for s, e, r in letters] == [
        ("archive", "InvalidJSON", "archive-with-errors.jsonl:6"),
        ("archive", "InvalidStory", "archive-with-errors.jsonl:7")]
    archived = sql(out, "select story_id, duplicate_of is not null from {stories} "
                        "where source = 'wikinews-archive' order by story_id")
    assert len(archived) == 5
    # Archive copies of stories already fetched from a feed join their clusters.
    assert sum(is_copy for _, is_copy in archived) == 2
    assert_all_conserved(out)


@pytest.mark.parametrize("args, message", [
    (["run", "--output", "OUT", "--no_such_flag", "1"], "unknown option(s): --no_such_flag"),
    (["run", "--feeds", "missing.yaml", "--output", "OUT"], "feed list not found: missing.yaml"),
    (["run", "--articles", "nothing-*.jsonl", "--output", "OUT"], "no file matches"),
    (["run"], "--output is required"),
    (["frobnicate"], "unknown command"),
    # A value of the wrong type: argparse's line, not Beam's usage block.
    (["run", "--output", "OUT", "--dedup_retention_days=abc"],
     "argument --dedup_retention_days: invalid float value: 'abc'"),
    (["run", "--output", "OUT", "--direct_running_mode=bogus"],
     "argument --direct_running_mode: invalid choice: 'bogus'"),
    # NaN passes every comparison; infinity overflows the clocks.
    (["run", "--output", "OUT", "--fetch_budget=nan"], "--fetch_budget must be a finite number"),
    (["run", "--output", "OUT", "--fetch_host_gap=inf"], "--fetch_host_gap must be a finite"),
    (["run", "--output", "OUT", "--nlp_story_seconds=nan"], "--nlp_story_seconds must be a finite"),
    # Beam's options a run would otherwise fail on deep inside Beam.
    (["run", "--output", "OUT", "--direct_num_workers=-1"], "--direct_num_workers must be 0"),
    (["run", "--output", "OUT", "--runner=BogusRunner"], "--runner BogusRunner: not a runner"),
    # A folder given as a file fails the first write otherwise, with a traceback.
    (["run", "--output", "FILE"], "--output FILE: not a folder"),
    (["run", "--output", "OUT", "--raw", "FILE"], "--raw FILE: not a folder"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "a-file").write_text("not a folder")
    args = [a.replace("OUT", str(tmp_path / "o")).replace("FILE", "a-file") for a in args]
    message = message.replace("FILE", "a-file")
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("wirestream:") and message in lines[0], \
        done.stderr
    assert not (tmp_path / "o").exists()


def test_an_output_folder_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path):
    # Root writes anywhere, so the folder is made unwritable by what it is
    # (a path through a file) rather than by its mode bits.
    (tmp_path / "a-file").write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "run", "--articles",
         str(SAMPLE / "archive-with-errors.jsonl"), "--output", "a-file/out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("wirestream: cannot write to a-file/out: "), \
        done.stderr


def test_usage_lists_every_command_and_help_lists_every_option(capsys):
    import argparse

    from pipeline.cli import COMMANDS
    from pipeline.options import WirestreamOptions
    assert main([]) == 2  # no command: usage, as an error
    usage = capsys.readouterr()
    assert usage.err == ""
    assert main(["--help"]) == 0
    assert capsys.readouterr().out == usage.out
    lines = usage.out.splitlines()
    for name, command in COMMANDS.items():
        assert any(line.split()[:1] == [name] and line.endswith(command.summary)
                   for line in lines), name
        assert any(line.strip().startswith(f"wirestream {name} ") for line in lines), name
    assert "wirestream run [--feeds FILE]... [--articles FILE_OR_GLOB]... --output DIR" in usage.out

    assert main(["run", "--help"]) == 0
    run_help = capsys.readouterr().out
    parser = argparse.ArgumentParser(add_help=False)
    WirestreamOptions._add_argparse_args(parser)
    options = [flag for action in parser._actions for flag in action.option_strings]
    assert len(options) > 10 and all(flag in run_help for flag in options)

    # stream's help lists the same options but those it refuses.
    from pipeline.commands.stream import RUN_ONLY
    assert main(["stream", "--help"]) == 0
    stream_help = capsys.readouterr().out
    assert all((flag in stream_help) != flag.startswith(RUN_ONLY) for flag in options)
    assert "--poll-interval" in stream_help


@pytest.mark.parametrize("raised, line", [
    # On a remote worker Beam reports the worker's traceback as the message.
    (RuntimeError("Pipeline failed:\nTraceback (most recent call last):\n  File x\n"
                  "ValueError: bad element [while running 'Parse']"),
     "wirestream: pipeline failed: RuntimeError: ValueError: bad element [while running 'Parse']"),
    (KeyboardInterrupt(), "wirestream: interrupted"),
])
def test_a_failing_pipeline_exits_1_with_one_line(tmp_path, monkeypatch, capsys, raised, line):
    import pipeline.run

    def failing(config):
        raise raised
    monkeypatch.setattr(pipeline.run, "run", failing)
    assert main(["run", "--output", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err.splitlines() == [line]


def test_invalid_yaml_exits_2(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - url: [unclosed\n")
    assert main(["run", "--feeds", str(bad), "--output", str(tmp_path / "o")]) == 2


def test_a_trimmed_copy_arriving_in_a_later_run_joins_the_stored_cluster(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--output", str(out)]) == 0
    ((story_id, cluster_id, title, body),) = sql(out, """
        select story_id, cluster_id, title, body from {stories}
        where duplicate_of is null order by length(body) desc limit 1""")
    paragraphs = body.split("\n\n")
    copy = {"id": "outlet-copy-1", "title": "Republished: " + title,
            "body": "Advertisement\n\n" + "\n\n".join(paragraphs[:max(2, len(paragraphs) * 3 // 4)])
                    + "\n\nShare this article\n\nAll rights reserved.",
            "url": "https://outlet.example.org/republished", "published": "2030-01-01T00:00:00Z",
            "source": "outlet"}
    archive = tmp_path / "copy.jsonl"
    # Written by a Windows tool: the outlet's name is windows-1252, not UTF-8.
    archive.write_bytes(json.dumps(copy).replace('"outlet"', '"outl\u00e9t"', 1)
                        .encode("cp1252") + b"\n")
    capsys.readouterr()
    assert main(["run", "--articles", str(archive), "--output", str(out)]) == 0
    assert sql(out, "select cluster_id, duplicate_of from {stories} where story_id = 'outlet-copy-1'") == [
        (cluster_id, cluster_id)]
    # Entities are not extracted again for the copy.
    assert sql(out, "select count(*) from {entities} where story_id = 'outlet-copy-1'") == [(0,)]
    summary = capsys.readouterr().out
    assert "NLP skipped for 1 duplicate(s)" in summary
    assert "archive:      1 line(s) not valid UTF-8" in summary
    assert sql(out, "select source from {stories} where story_id = 'outlet-copy-1'") == [
        ("outlét",)]
    assert_all_conserved(out)
