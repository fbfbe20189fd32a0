"""One Beam worker of a multi-process run killed with SIGKILL, the run itself
left alone: the run either finishes (the worker had done its part) or, since
Beam's local runner would wait for the dead worker for ever, ends itself
with exit 1 after a grace period (pipeline/workers.py); either way nothing
is half-committed, nothing doubled and nothing lost once a run completes.

tests/test_kill_trials.py kills the whole run; this kills a worker process
(`--direct_running_mode=multi_processing`), as a preempted or OOM-killed
worker dies on a cluster."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.workers import sdk_workers
from tests.test_kill_trials import (
    KILL_AT_ENV,
    check_finished,
    check_killed,
    feed_list,
    finish,
    snapshot,
    start,
)

pytestmark = pytest.mark.slow

SEED = int(os.environ.get("WIRESTREAM_KILL_SEED", "20261202"))
TRIALS = 3
WORKERS = ["--direct_running_mode=multi_processing", "--direct_num_workers=2"]
GRACE = 10  # seconds a run waits after losing a worker (60 by default)


def start_workers(feeds: Path, out: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != KILL_AT_ENV}
    env["WIRESTREAM_WORKER_GRACE"] = str(GRACE)
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--feeds", str(feeds),
                             "--output", str(out), *WORKERS], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)


def output_or_fail(process: subprocess.Popen, timeout: float, hung: str) -> str:
    """The run's output once it ends; fails the test with `hung` if it has
    not ended within `timeout` seconds."""
    try:
        return process.communicate(timeout=timeout)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(hung)


def check_gave_up(process: subprocess.Popen, output: str) -> None:
    """Beam noticed the lost worker ("pipeline failed: ... Channel closed
    prematurely") or, waiting on it, the watch ended the run: exit 1."""
    assert process.returncode == 1, output[-3000:]
    assert ("wirestream: pipeline failed" in output
            or "died and the run did not finish within" in output), output[-3000:]


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clean-worker")
    out = folder / "out"
    finish(start(feed_list(folder), out))
    return {"tables": snapshot(out), "feeds": 2}


def test_a_killed_worker_loses_and_doubles_nothing(tmp_path, clean):
    rnd = random.Random(SEED)
    outcomes = []
    for trial in range(TRIALS):
        folder = tmp_path / f"dir{trial}"
        folder.mkdir()
        feeds, out = feed_list(folder), folder / "out"
        process = start_workers(feeds, out)
        began = time.monotonic()
        while not sdk_workers(process.pid) and process.poll() is None:
            time.sleep(0.05)
        workers = sorted(sdk_workers(process.pid))
        assert workers or process.returncode is not None
        # Somewhere in the workers' life: early (parse, dedup) or late (NLP).
        time.sleep(rnd.uniform(0.5, 8.0))
        victims = sorted(sdk_workers(process.pid))
        killed = process.poll() is None and bool(victims)
        if killed:
            os.kill(rnd.choice(victims), signal.SIGKILL)
        output = output_or_fail(process, 300,
                                f"trial {trial}: the run hung after one of its workers was killed")
        seen = check_killed(out, clean)
        if process.returncode != 0:
            check_gave_up(process, output)
            # The run gave up: the next run finishes or discards the work.
            finish(start(feeds, out))
        check_finished(out, clean, f"trial {trial} (seed {SEED}), exit {process.returncode}")
        ended = ("watch" if "did not finish within" in output else
                 "beam" if "pipeline failed" in output else "finished")
        outcomes.append((killed, process.returncode, ended, seen,
                         round(time.monotonic() - began, 1)))
    print(f"\nworker kills (a worker killed, exit status, who ended the run, tables seen "
          f"right after, seconds): "
          f"{outcomes}")
    # The trials prove little unless the kills landed while workers ran.
    assert sum(killed for killed, *_ in outcomes) >= 2, outcomes


def test_a_worker_killed_as_it_starts_still_ends_the_run(tmp_path, clean):
    # Killed before the watch's first look at the workers (it scans /proc
    # once a second): the run must still end itself, not wait for ever.
    feeds, out = feed_list(tmp_path), tmp_path / "out"
    process = start_workers(feeds, out)
    while not sdk_workers(process.pid) and process.poll() is None:
        time.sleep(0.01)
    victims = sorted(sdk_workers(process.pid))
    assert victims, "the run ended before it started a worker"
    os.kill(victims[0], signal.SIGKILL)
    output = output_or_fail(process, GRACE + 120,
                            "the run hung after a worker was killed as it started")
    check_gave_up(process, output)
    check_killed(out, clean)
    finish(start(feeds, out))
    check_finished(out, clean, "a worker killed as it started")
