"""A local multi-process run whose Beam worker dies: fail the run instead of
waiting for ever.

Beam 2.77's FnApiRunner in `--direct_running_mode=multi_processing` does not
notice an SDK worker process that is killed (OOM killer, SIGKILL): it waits
for the dead worker's answer and the run never ends, holding DIR's lease, so
every scheduled run after it exits 2. Measured here: a run of two sample
feeds with one of its two workers killed was still waiting ten minutes
later. A run that dies outright is safe (the next run finishes or discards
its commit: tests/test_kill_trials.py), so when a worker has gone and the
run has not finished within a grace period, the run ends itself the same
way, with one line and exit status 1.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions

from pipeline.errors import FAILED

# Seconds a run may go on after one of its workers vanished; a worker that
# exits because the run is ending is followed by the run's end within
# moments. WIRESTREAM_WORKER_GRACE shortens it for tests.
GRACE_SECONDS = float(os.environ.get("WIRESTREAM_WORKER_GRACE", "60"))
_WORKER_MODULE = b"sdk_worker_main"


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process (Linux /proc)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command may hold spaces and brackets: the parent id is the
            # second field after the last ")".
            parents[int(entry.name)] = int((entry / "stat").read_text()
                                           .rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return parents


def descendants(pid: int) -> set[int]:
    """Every process under `pid`, by walking each process's parent id: a
    process's `children` file lists only what its main thread started,
    and Beam starts workers from other threads."""
    parents = _parents()
    found, todo = set(), [pid]
    while todo:
        current = todo.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                todo.append(child)
    return found


def sdk_workers(pid: int) -> set[int]:
    """The Beam SDK worker processes under `pid` (not the shells that start
    them: Beam runs each worker through `/bin/sh -c`)."""
    found = set()
    for child in descendants(pid):
        try:
            command = (Path("/proc") / str(child) / "cmdline").read_bytes()
        except OSError:
            continue
        if _WORKER_MODULE in command and not command.startswith(b"/bin/sh"):
            found.add(child)
    return found


def _is_local_multi_processing(options: PipelineOptions) -> bool:
    local = options.view_as(StandardOptions).runner in (None, "DirectRunner",
                                                        "SwitchingDirectRunner")
    mode = options.view_as(DirectOptions).direct_running_mode
    return local and mode == "multi_processing" and Path("/proc/self/stat").exists()


# The thread in which Beam 2.77's local runner starts each SDK worker
# (local_job_service.SubprocessSdkWorker.run): it waits for the worker's
# process and raises when that process exits with a non-zero status.
_WORKER_THREAD = "run_worker"


@contextmanager
def failing_on_lost_workers(options: PipelineOptions, run_id: str,
                            grace: float = GRACE_SECONDS) -> Iterator[None]:
    """Around running the pipeline: if a local SDK worker vanishes and the
    run has not finished `grace` seconds later, print one line and exit 1.

    A worker is known lost two ways: its process was seen and is gone (a
    scan of /proc each second), or the thread Beam waits on it in ended in
    an error (at once, so a worker killed between two scans is not missed).
    """
    if not _is_local_multi_processing(options):
        yield
        return
    done = threading.Event()
    lost_lock = threading.Lock()
    lost: dict = {"at": None, "pids": set()}

    def note_lost(pids: set) -> None:
        with lost_lock:
            if lost["at"] is None:
                lost["at"] = time.monotonic()
            lost["pids"] |= pids

    previous_hook = threading.excepthook

    def worker_thread_failed(args) -> None:
        if args.thread is not None and args.thread.name == _WORKER_THREAD:
            note_lost(set())  # reported by the watch below, in one line
            return
        previous_hook(args)

    def watch() -> None:
        seen: set[int] = set()
        while not done.wait(1.0):
            alive = sdk_workers(os.getpid())
            if seen - alive:
                note_lost(seen - alive)
            seen |= alive
            with lost_lock:
                lost_at, pids = lost["at"], sorted(lost["pids"])
            if lost_at is not None and time.monotonic() - lost_at > grace and not done.is_set():
                which = f"process {', '.join(map(str, pids))}" if pids else "process"
                print(f"wirestream run {run_id}: FAILED: Beam worker {which} died "
                      f"and the run did not finish within {grace:.0f} s; the next run "
                      f"finishes or discards this run's work", file=sys.stderr, flush=True)
                # The lease and staging are left as a killed run leaves them:
                # the lease's holder is gone from this host, so it is stale at
                # once, and the next run recovers the staged work.
                os._exit(FAILED)

    threading.excepthook = worker_thread_failed
    thread = threading.Thread(target=watch, name="wirestream-worker-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        threading.excepthook = previous_hook
