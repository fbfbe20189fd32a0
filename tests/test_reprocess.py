"""`--reprocess` after `--replay`: the replayed stories are processed again
and replace their rows; nothing is appended twice."""

from __future__ import annotations

from deltalake import DeltaTable

from pipeline.cli import main
from tests.helpers import assert_all_conserved

STORY_TABLES = ("stories", "entities", "relations", "quotes")


def counts(out) -> dict[str, int]:
    return {name: DeltaTable(str(out / name)).to_pyarrow_table().num_rows
            for name in STORY_TABLES}


def test_replay_with_reprocess_rewrites_instead_of_appending(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--output", str(out)]) == 0
    before = counts(out)
    files_before = len(DeltaTable(str(out / "stories")).file_uris())
    ids = sorted(DeltaTable(str(out / "stories")).to_pyarrow_table()
                 .column("story_id").to_pylist())

    # Without --reprocess a replay adds nothing: every story is stored.
    assert main(["run", "--replay", str(out / "raw"), "--output", str(out)]) == 0
    assert counts(out) == before

    assert main(["run", "--replay", str(out / "raw"), "--output", str(out),
                 "--reprocess"]) == 0
    assert "24 new" in capsys.readouterr().out
    assert counts(out) == before
    stories = DeltaTable(str(out / "stories"))
    assert sorted(stories.to_pyarrow_table().column("story_id").to_pylist()) == ids
    last = stories.history(1)[0]
    assert last["wirestream.reprocess"] is True
    # The old files left the snapshot: one file per partition, as before.
    assert len(stories.file_uris()) == files_before
    # Every row now comes from the reprocessing run.
    assert len(set(stories.to_pyarrow_table().column("run_id").to_pylist())) == 1
    assert len(assert_all_conserved(out)) == 3


def test_reprocess_needs_something_to_read_again(tmp_path, capsys):
    assert main(["run", "--output", str(tmp_path / "out"), "--reprocess"]) == 2
    assert "--reprocess" in capsys.readouterr().err
