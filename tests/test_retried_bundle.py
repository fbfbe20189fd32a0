"""A bundle that fails once and is retried by the runner does not duplicate
or lose output.

Beam's BundleBasedDirectRunner retries a failed bundle (up to 4 attempts),
throwing away the failed attempt's outputs but not its side effects: files
it wrote and Delta commits it made stay. The fault is injected where those
side effects are, in the real write and commit code of the whole `wirestream
run`: once after a partition's staged files are written (the write bundle is
retried and writes them again), once in the middle of the commit, after some
tables are committed and before the stories are (the commit bundle is
retried and must skip what it already committed).
"""

from __future__ import annotations

import pytest
from deltalake import DeltaTable

from pipeline.cli import main
from tests.conftest import SAMPLE
from tests.helpers import assert_all_conserved, table
from transforms.lake import delta, writer

STORY_TABLES = ("stories", "entities", "relations", "quotes")
RUNNER = ["--runner", "BundleBasedDirectRunner"]
# Columns that differ between any two runs (ids, clocks, the raw file's path).
VOLATILE = ("run_id", "fetched_at", "duration_ms", "raw_path")


class InjectedFault(RuntimeError):
    pass


def feed_list(folder):
    path = folder / "feeds.yaml"
    path.write_text("feeds:\n" + "".join(
        f"  - url: {SAMPLE / name}\n    source: {source}\n"
        for name, source in (("wikinews-world.rss", "world"), ("syndicator.rss", "syndicator"))))
    return str(path)


def rows(out, name) -> list[tuple]:
    """Rows through the Delta log, run-specific columns aside, sorted."""
    found = DeltaTable(str(out / name)).to_pyarrow_table().to_pylist()
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k not in VOLATILE))
                  for r in found)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clean")
    out = folder / "out"
    assert main(["run", "--feeds", feed_list(folder), "--output", str(out), *RUNNER]) == 0
    return {name: rows(out, name) for name in (*STORY_TABLES, "fetch_log")}


def run_with_fault(tmp_path, monkeypatch, where, patch) -> tuple:
    fired = []
    patch(monkeypatch, fired)
    out = tmp_path / "out"
    assert main(["run", "--feeds", feed_list(tmp_path), "--output", str(out), *RUNNER]) == 0
    assert fired == [where], fired  # the fault happened, once, and the run still completed
    return out


def fail_after_staging_stories(monkeypatch, fired):
    real_close = writer.PartitionWriter.close

    def close(self):
        staged = real_close(self)  # the files are written...
        if self._spec.name == "stories" and not fired:
            fired.append("stories staged")
            raise InjectedFault("after staging stories")  # ...and the bundle fails
        return staged
    monkeypatch.setattr(writer.PartitionWriter, "close", close)


def fail_between_table_commits(monkeypatch, fired):
    real = delta._checkpoint

    def checkpoint(name):
        real(name)
        if name == "committed:entities" and not fired:
            fired.append(name)
            raise InjectedFault("entities committed, stories not")
    monkeypatch.setattr(delta, "_checkpoint", checkpoint)


@pytest.mark.parametrize("where, patch", [
    ("stories staged", fail_after_staging_stories),
    ("committed:entities", fail_between_table_commits),
])
def test_a_retried_bundle_duplicates_and_loses_nothing(tmp_path, monkeypatch, clean, where, patch):
    out = run_with_fault(tmp_path, monkeypatch, where, patch)
    for name in (*STORY_TABLES, "fetch_log"):
        assert rows(out, name) == clean[name], name
        # One Delta commit per table for the run: the retry did not commit again.
        assert len(DeltaTable(str(out / name)).history()) == 1, name
        # Nothing beside the log for the contract's plain glob to read twice.
        assert table(out, name).num_rows == len(clean[name]), name
    assert not [p for p in (out / "_staging").rglob("*") if p.is_file()]
    assert_all_conserved(out)
