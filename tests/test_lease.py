"""One run per DIR at a time: the lease under DIR/_state/lease."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
from deltalake import DeltaTable

from tests.helpers import assert_all_conserved
from transforms.lake import lease as leases
from transforms.lake.lease import Holder, Lease, LeaseHeld


def holder_elsewhere(out, until: datetime) -> None:
    """A lease held by a run on another machine (its pid means nothing here)."""
    table = leases._open(leases.lease_uri(str(out)))
    generation, _ = leases._current(table)
    assert leases._commit(table, generation, Holder(
        "far-run", "another-host", 1, "2026-12-01T00:00:00+00:00", until.isoformat()))


def test_a_second_holder_is_refused_until_the_first_releases(tmp_path):
    first, second = Lease(str(tmp_path), "run-1"), Lease(str(tmp_path), "run-2")
    assert first.acquire() is None
    with pytest.raises(LeaseHeld, match=r"another run holds .* since .*, run_id run-1"):
        second.acquire()
    first.release()
    assert second.acquire() is None  # a released lease is simply taken
    second.release()


def test_a_lease_of_a_process_gone_on_this_host_is_stale_at_once(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    table = leases._open(leases.lease_uri(str(tmp_path)))
    far_future = datetime.now(timezone.utc) + timedelta(days=1)
    import socket
    assert leases._commit(table, 0, Holder("dead-run", socket.gethostname(), int(dead),
                                           "2026-12-01T00:00:00+00:00", far_future.isoformat()))
    taken = Lease(str(tmp_path), "run-2").acquire()
    assert taken == f"took over the lease of run dead-run: its process {dead} on this host is gone"


def test_elsewhere_a_lease_is_stale_only_once_expired(tmp_path):
    holder_elsewhere(tmp_path, datetime.now(timezone.utc) + timedelta(minutes=5))
    with pytest.raises(LeaseHeld, match="run_id far-run"):
        Lease(str(tmp_path), "run-2").acquire()
    holder_elsewhere(tmp_path, datetime.now(timezone.utc) - timedelta(seconds=1))
    assert "expired" in Lease(str(tmp_path), "run-3").acquire()


def test_a_holder_renews_and_learns_when_it_lost_the_lease(tmp_path):
    mine = Lease(str(tmp_path), "run-1", ttl=timedelta(seconds=1))
    mine.acquire()
    until = leases._current(DeltaTable(leases.lease_uri(str(tmp_path))))[1].until
    time.sleep(0.01)
    assert mine.renew()
    renewed = leases._current(DeltaTable(leases.lease_uri(str(tmp_path))))[1]
    assert (renewed.run_id, renewed.until > until) == ("run-1", True)
    time.sleep(1.1)  # expired: another run takes it over
    assert "expired" in Lease(str(tmp_path), "run-2").acquire()
    assert not mine.renew()
    mine.release()  # releasing a lost lease does not free the new holder's
    with pytest.raises(LeaseHeld, match="run_id run-2"):
        Lease(str(tmp_path), "run-3").acquire()


def start_run(out):
    return subprocess.Popen([sys.executable, "-m", "pipeline.cli", "run", "--output", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_runs_started_together_one_runs_the_other_exits_2(tmp_path):
    out = tmp_path / "out"
    runs = [start_run(out), start_run(out)]
    results = [(r.wait(timeout=600), r.stdout.read(), r.stderr.read()) for r in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    (_, _, refused), = [r for r in results if r[0] == 2]
    lines = refused.strip().splitlines()
    assert len(lines) == 1 and "another run holds" in lines[0] and "run_id" in lines[0]
    stories = DeltaTable(str(out / "stories")).to_pyarrow_table().column("story_id")
    assert len(stories) == len(set(stories.to_pylist())) == 24
    assert len(assert_all_conserved(out)) == 1


def test_after_the_holder_is_killed_the_next_run_takes_the_stale_lease(tmp_path):
    out = tmp_path / "out"
    holder = start_run(out)
    uri = leases.lease_uri(str(out))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until the lease is taken
        if os.path.exists(uri) and leases._current(DeltaTable(uri))[1]:
            break
        time.sleep(0.2)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    after = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--output", str(out)],
                           capture_output=True, text=True, timeout=600)
    assert after.returncode == 0, after.stderr[-2000:]
    # Said once, as the command's line (it was also logged as a WARNING).
    assert after.stderr.count("took over the lease of run") == 1
    assert "wirestream: took over the lease of run" in after.stderr
    assert "process" in after.stderr and "is gone" in after.stderr
    assert_all_conserved(out)
