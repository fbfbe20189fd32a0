"""Where one `wirestream run` spends its wall time, stage by stage.

Runs `wirestream run --articles ARCHIVE --output DIR` in this process on the
default local runner (FnApiRunner, in_memory) over N Reuters-21578 stories,
timing every bundle the runner executes, and prints the seconds spent in the
bundles of each top-level transform (Archive, Dedup, Extract, Write, ...),
the number of fused stages each has, and what the run spent outside any
bundle (imports already done: recovery, building the graph, the runner's
plan, the manifest). The timing wraps a private method of Beam's
FnApiRunner (`_execute_bundle`, Beam 2.77); it only reads the clock.

    python -m benchmarks.stages [--stories N] [--slowest K] [--workers W]

With --workers W the run uses the DirectRunner's multi_processing mode with W
worker processes (as `benchmarks/scaling.py` does); a bundle's time is then
the wall time of its parallel split, waiting for the slowest worker included,
and the time the runner waits for each worker to exit at the end is printed
too (wrapping SubprocessSdkWorkerHandler.stop_worker; it only reads the clock).

Exits 2 with one line when the corpus or the spaCy model is missing.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from benchmarks.corpora import iter_reuters, write_jsonl
from benchmarks.harness import multi_processing, run_script
from transforms.nlp.model import ModelNotFound

# The first transform a fused stage names: "ref_AppliedPTransform_Dedup-..."
# or "(Dedup/Candidates/ByKey/Read)".
_TOP = re.compile(r"ref_AppliedPTransform_([A-Za-z0-9]+)|\(([A-Za-z0-9]+)/")


def top_level(stage_name: str) -> str:
    """The top-level transform a fused stage belongs to (its first name)."""
    match = _TOP.search(stage_name)
    return (match.group(1) or match.group(2)) if match else "other"


_STEP = re.compile(r"ref_AppliedPTransform_([A-Za-z0-9-]+?)_\d+\)"
                   r"|\(([A-Za-z0-9/-]+?)/(?:Read|Write)\)")


def transforms_of(stage_name: str) -> list[str]:
    """The steps a fused stage runs, shortened ("Dedup-Candidates-PairsInGroup")."""
    return [a or b for a, b in _STEP.findall(stage_name)][:4]


@contextmanager
def _clocked(owner: type, method: str, record) -> Iterator[None]:
    """Within the block, every call of `owner.method` is timed and its
    seconds passed to `record(self, args, seconds)`; it only reads the clock."""
    original = getattr(owner, method)

    def clocked(self, *args):
        start = time.perf_counter()
        try:
            return original(self, *args)
        finally:
            record(self, args, time.perf_counter() - start)

    setattr(owner, method, clocked)
    try:
        yield
    finally:
        setattr(owner, method, original)


@contextmanager
def timed_bundles() -> Iterator[dict]:
    """Seconds spent in the bundles of each fused stage (by its name), while
    in the block."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    by_stage: dict = defaultdict(float)

    def record(_runner, args, seconds):
        _context, bundle_manager, _bundle_input = args
        by_stage[bundle_manager.stage.name] += seconds

    with _clocked(fn_runner.FnApiRunner, "_execute_bundle", record):
        yield by_stage


@contextmanager
def timed_worker_stops() -> Iterator[list]:
    """Seconds the runner waits for each worker process to exit at the end
    of a multi-process run, while in the block (it stops them one after the
    other; wraps Beam 2.77's SubprocessSdkWorkerHandler.stop_worker)."""
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    stops: list = []
    with _clocked(worker_handlers.SubprocessSdkWorkerHandler, "stop_worker",
                  lambda _handler, _args, seconds: stops.append(seconds)):
        yield stops


def by_transform(by_stage: dict) -> dict:
    """Seconds and fused-stage count per top-level transform."""
    totals: dict = defaultdict(lambda: [0.0, 0])
    for name, seconds in by_stage.items():
        entry = totals[top_level(name)]
        entry[0] += seconds
        entry[1] += 1
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=1000,
                        help="Reuters stories (default 1000)")
    parser.add_argument("--slowest", type=int, default=0,
                        help="also list the K slowest fused stages by their transforms")
    parser.add_argument("--workers", type=int, default=0,
                        help="run multi_processing with W worker processes "
                             "(default: the in_memory local runner)")
    args = parser.parse_args(argv)
    records = list(iter_reuters(args.stories))
    from pipeline.cli import main as wirestream

    with tempfile.TemporaryDirectory(prefix="wirestream-stages-") as tmp:
        archive = Path(tmp, "reuters.jsonl")
        write_jsonl(records, archive)
        with timed_bundles() as by_stage, timed_worker_stops() as stops:
            start = time.perf_counter()
            status = wirestream(["run", "--articles", str(archive),
                                 "--output", str(Path(tmp, "out"))]
                                + (multi_processing(args.workers) if args.workers else []))
            wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"wirestream run exited {status}")
    totals = by_transform(by_stage)
    in_bundles = sum(by_stage.values())
    setup = f"{args.workers} worker processes" if args.workers else "in_memory"
    print(f"{len(records)} Reuters-21578 stories, {setup}: {wall:.1f} s in `wirestream run` "
          f"(after imports), {in_bundles:.1f} s of it in bundles")
    print(f"{'transform':<16} {'seconds':>8} {'share':>6} {'stages':>6}")
    for name, (seconds, stages) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        print(f"{name:<16} {seconds:>8.2f} {seconds / wall:>6.1%} {stages:>6}")
    outside = wall - in_bundles
    print(f"{'outside bundles':<16} {outside:>8.2f} {outside / wall:>6.1%}"
          "  (recovery, graph, runner plan, manifest)")
    if stops:
        print(f"{'worker stops':<16} {sum(stops):>8.2f} {sum(stops) / wall:>6.1%}"
              f"  (of those outside bundles: waiting for each of {len(stops)} workers "
              f"to exit, {', '.join(f'{s:.2f}' for s in stops)} s)")
    for name, seconds in sorted(by_stage.items(), key=lambda kv: -kv[1])[:args.slowest]:
        print(f"{seconds:8.2f}  {' + '.join(transforms_of(name))}")
    return 0


if __name__ == "__main__":
    run_script(main, ModelNotFound)
