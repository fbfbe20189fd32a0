"""`wirestream run` killed with SIGKILL at random moments (seeded), over and
over: whatever moment the kill lands on (start-up, fetch, NLP, the commit, the
state save, or the next run's recovery), the Delta snapshot reads cleanly
with each table holding all of a run's rows or none, `_state/` parses, and
the run that finally completes leaves exactly the tables of one clean run.

tests/test_lake_crash.py kills at five named points of the commit; this
file kills at moments nobody chose."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from tests.conftest import SAMPLE
from tests.helpers import assert_all_conserved, table
from transforms.fetch.feed_state import read_states
from transforms.lake.delta import KILL_AT_ENV, PLAN_FILE

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("WIRESTREAM_KILL_SEED", "20261202"))
TRIALS = 30           # runs started and killed at a random moment
KILLS_PER_DIR = 3     # at most this many killed one after another on one DIR
STORY_TABLES = ("stories", "entities", "relations", "quotes")
RUN_TABLES = ("fetch_log", "dead_letters")
VOLATILE = ("run_id", "fetched_at")  # set by each run


def feed_list(folder: Path) -> Path:
    # Two of the sample feeds: the syndicator's copies of world stories make
    # clusters, and file feeds get feed state; small, so many trials fit.
    path = folder / "feeds.yaml"
    path.write_text("feeds:\n" + "".join(
        f"  - url: {SAMPLE / name}\n    source: {source}\n"
        for name, source in (("wikinews-world.rss", "world"), ("syndicator.rss", "syndicator"))))
    return path


def start(feeds: Path, out: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != KILL_AT_ENV}
    # A session of its own, so the kill takes the run's Beam workers too.
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--feeds", str(feeds),
                             "--output", str(out)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def finish(process: subprocess.Popen) -> str:
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    return output.decode(errors="replace")


def rows(out: Path, name: str) -> list[tuple]:
    """A table's rows through its Delta log, without per-run columns, sorted."""
    data = DeltaTable(str(out / name)).to_pyarrow_table().to_pylist()
    return sorted(tuple(sorted((k, str(v)) for k, v in r.items() if k not in VOLATILE))
                  for r in data)


def created(path: Path) -> bool:
    """A Delta table exists once its first commit is in its log; a kill
    while creating it can leave an empty _delta_log/, which readers see as
    no table at all (deltalake: TableNotFoundError)."""
    log = path / "_delta_log"
    return log.is_dir() and any(p.suffix == ".json" for p in log.iterdir())


def snapshot(out: Path) -> dict[str, list[tuple]]:
    return {name: rows(out, name) for name in STORY_TABLES if created(out / name)}


def phase(out: Path) -> str:
    """How far a run had got, from what it left in OUTPUT."""
    # os.walk, not rglob: the run may delete folders while this looks.
    staged = [name for _, _, files in os.walk(out / "_staging") for name in files]
    if PLAN_FILE in staged:
        return "commit"
    if staged:
        return "write"
    if created(out / "stories"):
        return "after commit"
    return "before write"


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """One uninterrupted run: its tables, feed count, and when (seconds from
    its start) it began staging files, began its commit, and ended."""
    folder = tmp_path_factory.mktemp("clean")
    out = folder / "out"
    began = time.monotonic()
    process = start(feed_list(folder), out)
    seen = {}
    while process.poll() is None:
        seen.setdefault(phase(out), time.monotonic() - began)
        time.sleep(0.05)
    finish(process)
    ended = time.monotonic() - began
    return {"tables": snapshot(out), "feeds": 2, "seconds": ended,
            "write": seen.get("write", 0.0), "commit": seen.get("commit", ended)}


def check_killed(out: Path, clean: dict) -> str:
    """What a reader sees right after a kill; returns which tables it saw."""
    seen = snapshot(out)
    for name, found in seen.items():
        # One run's worth of rows per table, all or nothing: never a half
        # run, never a row twice.
        assert found in ([], clean["tables"][name]), f"{name}: {len(found)} rows visible"
    if seen.get("stories"):
        # Stories are committed last: a stored story means its extraction is stored.
        assert all(seen.get(n) == clean["tables"][n] for n in STORY_TABLES), sorted(seen)
    for name in RUN_TABLES:
        if created(out / name):
            per_run = Counter(r["run_id"] for r in
                              DeltaTable(str(out / name)).to_pyarrow_table().to_pylist())
            if name == "fetch_log":
                assert set(per_run.values()) <= {clean["feeds"]}, per_run
    check_state(out)
    if seen.get("stories"):
        return "all"
    return "some" if any(seen.values()) else "none"


def check_state(out: Path) -> None:
    """Every file under _state/ is whole: feed state, dedup index, lease."""
    state = out / "_state"
    feeds = state / "feeds.json"
    if feeds.exists():
        assert len(read_states(str(feeds))) == 2
        # Saved only after the tables are committed, so that a crash never
        # makes the next run skip what was not stored.
        assert rows(out, "stories"), "feed state saved before the stories were committed"
    for part in (state / "dedup_index").rglob("*.parquet"):
        pq.read_table(part)  # raises on a torn file
    if created(state / "lease"):
        DeltaTable(str(state / "lease")).history(1)


def check_finished(out: Path, clean: dict, context: str) -> None:
    """After the run that completes: exactly one clean run's tables."""
    assert snapshot(out) == clean["tables"], context
    for name in STORY_TABLES + RUN_TABLES:
        # No orphan file left for the contract's plain glob to double.
        assert table(out, name).num_rows == DeltaTable(str(out / name)).to_pyarrow_table() \
            .num_rows, f"{context}: {name}"
    assert not [p for p in (out / "_staging").rglob("*") if p.is_file()], context
    check_state(out)
    assert_all_conserved(out)


def test_runs_killed_at_random_moments_lose_and_double_nothing(tmp_path, clean):
    rnd = random.Random(SEED)
    outcomes = Counter()
    began = time.monotonic()
    dirs, in_a_row, out = 0, 0, None
    for trial in range(TRIALS):
        if out is None:
            folder = tmp_path / f"dir{dirs}"
            folder.mkdir()
            feeds, out, dirs = feed_list(folder), folder / "out", dirs + 1
        # Anywhere in a clean run's length (and a bit past it, after the
        # commit), or within its writing and committing, which are short
        # but where a kill can do the most harm.
        start_at, end_at = rnd.choice([
            (0.0, clean["seconds"] * 1.1),
            (clean["write"], clean["seconds"]),
            (clean["commit"] - 0.5, clean["seconds"])])
        process = start(feeds, out)
        time.sleep(max(0.0, rnd.uniform(start_at, end_at)))
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            outcomes["killed"] += 1
            where = phase(out)
            outcomes[f"killed in: {where}"] += 1
        else:
            assert process.returncode == 0, process.stdout.read()[-3000:]
            outcomes["finished first"] += 1
            where = "finished"
        outcomes[f"tables seen: {check_killed(out, clean)}"] += 1
        in_a_row += 1
        # A DIR left with work to do gets the next kill too (which may land
        # in the recovery of this one), up to three; then, or once nothing
        # is left to recover, a run completes and the tables are compared.
        if where in ("after commit", "finished") or in_a_row == KILLS_PER_DIR:
            finish(start(feeds, out))
            check_finished(out, clean, f"trial {trial} (seed {SEED})")
            in_a_row, out = 0, None
    if out is not None:
        finish(start(feeds, out))
        check_finished(out, clean, f"last DIR (seed {SEED})")
    print(f"\nkill trials: {dict(sorted(outcomes.items()))} over {dirs} DIRs; clean run "
          f"{clean['seconds']:.1f} s (staging from {clean['write']:.1f} s, commit from "
          f"{clean['commit']:.1f} s); {TRIALS} trials in {time.monotonic() - began:.0f} s")
    # Most kills must land inside a run, or the test proves little...
    assert outcomes["killed"] >= TRIALS // 2, outcomes
    # ...and some while files were being written or committed.
    assert outcomes["killed in: write"] + outcomes["killed in: commit"] > 0, outcomes
