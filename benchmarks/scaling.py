"""Scale-out on one machine: the same stories with 1 and with 2 workers.

Runs `wirestream run --articles FILE` on N real Reuters-21578 stories
(default 2,000; evaluation-only data, read in place from ../shared/data) with

1. DirectRunner multi_processing, 1 worker      (--direct_num_workers=1)
2. DirectRunner multi_processing, 2 workers     (--direct_num_workers=2)
3. PortableRunner, local job service + an external worker pool (optional,
   --portable), the set-up the Flink/Spark job servers use

and prints wall time, stories/s and the speedup of 2 workers over 1
(issue 14's target: >= 1.8x on 2 cores), and whether every setup wrote the
same rows (stories, entities, relations, quotes; the first round's outputs
compared, run ids and fetch times aside). Each run is a fresh subprocess
writing to a new temp folder, so start-up and model loading are counted as a
user pays them. With --runs K the setups run in K interleaved rounds (this
machine's speed drifts over minutes); the median of each is printed, with
each round's speedup.

Each round also measures what this machine allows: bare `nlp.pipe` over the
texts the model reads (the canonical stories, as benchmarks/throughput.py
builds them) in one process, then split in two halves between two processes
that run at once (model load and warm-up not counted; both start together
and the slower one counts). Two cores rarely give two processes twice the
speed of one (shared caches, memory bandwidth, a noisy neighbour on a
virtual machine), so the pipeline's speedup is also printed as a share of
bare spaCy's own.

    python -m benchmarks.scaling [--stories N] [--runs K] [--portable]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from benchmarks.corpora import iter_reuters, write_jsonl
from benchmarks.harness import (
    multi_processing,
    portable_runner,
    read_table,
    run_script,
    run_wirestream,
)
from benchmarks.throughput import BATCH_SIZE, canonical_stories, load_model, time_bare
from transforms.nlp.extract import story_text
from transforms.nlp.model import ModelNotFound

TABLES = ("stories", "entities", "relations", "quotes")
BARE_ONE, BARE_TWO = "bare nlp.pipe, 1 process", "bare nlp.pipe, 2 processes"
# Columns that name the run rather than what it found.
PER_RUN = {"run_id", "fetched_at"}


def _bare_part(texts: list[str], start, seconds) -> None:
    """One process of the bare measure: load, warm up, wait for the others,
    then time nlp.pipe over its texts."""
    nlp = load_model()
    time_bare(nlp, texts[:BATCH_SIZE])
    start.wait()
    seconds.put(time_bare(nlp, texts))


def bare_in_processes(texts: list[str], processes: int) -> float:
    """Seconds bare nlp.pipe takes over `texts` shared among `processes`
    processes running at once (the slowest one's time)."""
    context = multiprocessing.get_context("spawn")
    start, seconds = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_bare_part, args=(texts[k::processes], start, seconds))
               for k in range(processes)]
    for worker in workers:
        worker.start()
    times = [seconds.get() for _ in workers]
    for worker in workers:
        worker.join()
    return max(times)


def run_pipeline(archive: Path, flags: list[str], output: Path | None = None) -> float:
    return run_wirestream(archive, output, extra=flags, strict=True).seconds


def table_rows(output: Path) -> dict[str, list]:
    """Every row of each compared table, run columns aside, in a fixed order."""
    return {name: sorted(repr(sorted((k, v) for k, v in row.items() if k not in PER_RUN))
                         for row in read_table(output, name))
            for name in TABLES}


def differing_tables(outputs: dict[str, Path]) -> list[str]:
    """Tables whose rows differ between any setup and the first."""
    first, *others = [table_rows(out) for out in outputs.values()]
    return sorted({name for other in others for name in TABLES if other[name] != first[name]})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1, help="interleaved rounds; the median is reported")
    parser.add_argument("--portable", action="store_true")
    args = parser.parse_args()
    records = list(iter_reuters(limit=args.stories))
    with tempfile.TemporaryDirectory() as work, ExitStack() as services:
        archive = Path(work) / "reuters.jsonl"
        write_jsonl(records, archive)
        setups = {
            "multi_processing, 1 worker": multi_processing(1),
            "multi_processing, 2 workers": multi_processing(2),
        }
        if args.portable:
            setups["PortableRunner, external pool"] = services.enter_context(portable_runner())
        kept = {name: Path(work, f"out-{i}") for i, name in enumerate(setups)}
        texts = [story_text(s) for s in canonical_stories(archive)]
        bare = {BARE_ONE: lambda: bare_in_processes(texts, 1),
                BARE_TWO: lambda: bare_in_processes(texts, 2)}
        rounds = [{**{name: run_pipeline(archive, flags, kept[name] if not r else None)
                      for name, flags in setups.items()},
                   **{name: measure() for name, measure in bare.items()}}
                  for r in range(args.runs)]
        differing = differing_tables(kept)
    timings = {name: statistics.median_low([r[name] for r in rounds]) for name in rounds[0]}
    n = len(records)
    print(f"{n} Reuters-21578 stories, median of {args.runs} interleaved rounds, wall clock "
          "per run (start-up, model load, dedup, NLP, writing)")
    print(f"{'setup':34} {'seconds':>8} {'stories/s':>10}")
    for name, seconds in timings.items():
        if name not in (BARE_ONE, BARE_TWO):
            print(f"{name:34} {seconds:8.1f} {n / seconds:10.1f}")
    one, two = timings["multi_processing, 1 worker"], timings["multi_processing, 2 workers"]
    # Per-round figures in round order, so that each round's three line up.
    speedups = [r["multi_processing, 1 worker"] / r["multi_processing, 2 workers"]
                for r in rounds]
    print(f"speedup 2 workers / 1 worker: {one / two:.2f}x  (issue 14's target: >= 1.8x); "
          "per round " + ", ".join(f"{x:.2f}x" for x in speedups))
    print(f"bare nlp.pipe over the {len(texts)} texts the model reads: "
          f"{timings[BARE_ONE]:.1f} s in 1 process, {timings[BARE_TWO]:.1f} s in 2 at once")
    ceilings = [r[BARE_ONE] / r[BARE_TWO] for r in rounds]
    shares = [speedup / ceiling for speedup, ceiling in zip(speedups, ceilings)]
    print(f"speedup bare spaCy 2 processes / 1: {timings[BARE_ONE] / timings[BARE_TWO]:.2f}x "
          "(this machine's ceiling); per round " + ", ".join(f"{x:.2f}x" for x in ceilings))
    print(f"pipeline speedup as a share of that ceiling: {statistics.median_low(shares):.2f}; "
          "per round " + ", ".join(f"{x:.2f}" for x in shares))
    print("tables of every setup identical (" + ", ".join(TABLES) + ")" if not differing else
          "tables DIFFER between setups: " + ", ".join(differing))
    return 0 if not differing else 1


if __name__ == "__main__":
    run_script(main, ModelNotFound)
