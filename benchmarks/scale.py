"""Scale: does a run's cost grow only with its input, and its memory not at all?

    python -m benchmarks.scale [--limit N] [--splits 10] [--workers K]

On the Reuters-21578 stories that have a body (19,043 of the 21,578
documents; evaluation-only data, read in place from ../shared/data), in
fresh subprocesses as a user runs them:

1. one run of a quarter, of a half and of all the stories, each into a new
   DIR: wall time, stories/s and the peak RSS of every process of the run
   (the largest one printed, with how many processes there were);
2. all the stories again, split into `--splits` consecutive runs into one
   DIR, as a backfill in parts would: the same figures summed, and the first
   and last part's time, which differ if a run's cost grows with DIR's
   history.

Peak RSS comes from each process's VmHWM in /proc, polled every 0.2 s for
the whole process tree (Linux only), so short-lived worker processes are
seen too. Targets (issue 14): the whole run at most 1.1x four times the
quarter's time, and peak RSS per process under 2 GB and flat in the input
size apart from the model.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.corpora import iter_reuters, write_jsonl
from benchmarks.harness import REPO, multi_processing, run_script, wirestream_command
from pipeline.workers import descendants


@dataclass
class Measured:
    label: str
    stories: int
    seconds: float
    peak_rss_mb: float
    processes: int
    parts: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.stories / self.seconds


def _tree(pid: int) -> list[int]:
    return [pid, *sorted(descendants(pid))]


def _peak_rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory:
    """The peak RSS of each process of a tree, polled while it runs."""

    def __init__(self, pid: int, every: float = 0.2):
        self.peaks: dict[int, int] = {}
        self._pid, self._every = pid, every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            for pid in _tree(self._pid):
                self.peaks[pid] = max(self.peaks.get(pid, 0), _peak_rss_kb(pid))
            self._done.wait(self._every)

    def stop(self) -> tuple[float, int]:
        """(largest peak RSS in MB, number of processes seen)."""
        self._done.set()
        self._thread.join()
        return max(self.peaks.values(), default=0) / 1024, len(self.peaks)


def run_measured(source: Path, output: Path, flags: list[str],
                 option: str = "--articles") -> tuple[float, float, int]:
    """(seconds, peak RSS MB of the largest process, processes) of one
    `wirestream run --articles SOURCE --output OUTPUT` (or `--feeds`)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(wirestream_command() + [
            "run", option, str(source), "--output", str(output), *flags],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        memory = TreeMemory(process.pid)
        status = process.wait()
        seconds = time.perf_counter() - started
        peak, processes = memory.stop()
        if status != 0:
            log.seek(0)
            raise SystemExit(f"wirestream run failed ({status}):\n"
                             f"{log.read()[-3000:].decode(errors='replace')}")
    return seconds, peak, processes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="use only the first N stories")
    parser.add_argument("--splits", type=int, default=10)
    parser.add_argument("--workers", type=int, default=0,
                        help="multi_processing workers (default: the in_memory runner)")
    args = parser.parse_args()
    flags = multi_processing(args.workers) if args.workers else []

    records = list(iter_reuters(args.limit))
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="wirestream-scale-") as tmp:
        work = Path(tmp)
        for label, share in (("quarter", 4), ("half", 2), ("all", 1)):
            part = records[:len(records) // share]
            archive = work / f"{label}.jsonl"
            write_jsonl(part, archive)
            seconds, peak, processes = run_measured(archive, work / f"out-{label}", flags)
            results.append(Measured(label, len(part), seconds, peak, processes))
            print(f"  {label}: {len(part)} stories in {seconds:.1f} s", flush=True)

        size = -(-len(records) // args.splits)
        parts, peaks, processes = [], [], 0
        for n in range(args.splits):
            archive = work / f"part{n}.jsonl"
            write_jsonl(records[n * size:(n + 1) * size], archive)
            seconds, peak, seen = run_measured(archive, work / "out-parts", flags)
            parts.append(seconds)
            peaks.append(peak)
            processes = max(processes, seen)
            print(f"  part {n + 1}/{args.splits}: {seconds:.1f} s", flush=True)
        results.append(Measured(f"all in {args.splits} runs", len(records), sum(parts),
                                max(peaks), processes, parts))

    runner = f"multi_processing, {args.workers} workers" if args.workers else "in_memory"
    print(f"\n{len(records)} Reuters-21578 stories, {runner}, {os.cpu_count()} cores")
    print(f"{'run':<20}{'stories':>9}{'seconds':>10}{'stories/s':>11}"
          f"{'peak RSS MB':>13}{'processes':>11}")
    for m in results:
        print(f"{m.label:<20}{m.stories:>9}{m.seconds:>10.1f}{m.rate:>11.1f}"
              f"{m.peak_rss_mb:>13.0f}{m.processes:>11}")
    quarter, whole, split = results[0], results[2], results[3]
    growth = whole.seconds / (quarter.seconds * whole.stories / quarter.stories)
    print(f"\nall vs 4x the quarter (scaled by stories): {growth:.2f}x "
          f"(target <= 1.1x: {'met' if growth <= 1.1 else 'NOT met'})")
    print(f"split runs: first {split.parts[0]:.1f} s, last {split.parts[-1]:.1f} s "
          f"({split.parts[-1] / split.parts[0]:.2f}x: a run's cost against DIR's history)")
    largest = max(m.peak_rss_mb for m in results)
    flat = results[2].peak_rss_mb / results[0].peak_rss_mb
    print(f"peak RSS per process: largest {largest:.0f} MB (target < 2048: "
          f"{'met' if largest < 2048 else 'NOT met'}); all / quarter {flat:.2f}x")
    return 0


if __name__ == "__main__":
    run_script(main)
