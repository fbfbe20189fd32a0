"""What the benchmark scripts share, so that each script holds only its own
measure: running `wirestream run` on an archive and reading its tables back,
the precision/recall/F1 formula, text built from corpus tokens with their
offsets, the local services the PortableRunner needs, and the one-line exit
when the evaluation data is absent.

Every script runs from the repository root as a module, which puts the root
on sys.path, so `benchmarks`, `pipeline`, `schemas` and `transforms` import
as they do in the tests::

    python -m benchmarks.eval_ner --limit 20

Stdlib only at import time (pyarrow is imported when a table is read):
fetch.py's server process imports it and must start quickly.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, NoReturn, Optional

from benchmarks.corpora import REPO_ROOT, CorpusMissing, write_jsonl

REPO = REPO_ROOT
BIN = Path(sys.executable).parent
# The status every script has exited with when its corpus (or the spaCy
# model) is missing; the wirestream CLI uses 2 for the same kind of error.
MISSING_STATUS = 2


# --------------------------------------------------------------------------
# Running a script
# --------------------------------------------------------------------------

def run_script(script_main: Callable[[], Optional[int]],
               *missing: type[BaseException]) -> NoReturn:
    """Run a script's main() as the program and exit with what it returns.

    A missing corpus (and each exception type in `missing`, such as the
    spaCy model not being installed) ends the script with one line on stderr
    and status 2 instead of a traceback: a clone without ../shared/data is an
    expected state, not a bug.
    """
    name = Path(sys.argv[0]).stem
    try:
        status = script_main()
    except (CorpusMissing, *missing) as err:
        print(f"{name}: {err}", file=sys.stderr)
        status = MISSING_STATUS
    sys.exit(status)


# --------------------------------------------------------------------------
# Running the pipeline
# --------------------------------------------------------------------------

def wirestream_command() -> list[str]:
    """The installed console script, or the module where the venv has none
    (a checkout used without `pip install -e .`)."""
    exe = BIN / "wirestream"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "pipeline.cli"]


def multi_processing(workers: int) -> list[str]:
    """Beam flags for the DirectRunner with `workers` processes."""
    return ["--direct_running_mode=multi_processing", f"--direct_num_workers={workers}"]


@dataclass
class Run:
    """One `wirestream run`: wall clock as the user pays it (interpreter
    start-up and model load included), what it printed, its manifest."""

    output: Path
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    manifest: dict = field(default_factory=dict)
    extra: tuple = ()

    def failure(self) -> str:
        command = " ".join(("wirestream run",) + self.extra)
        return (f"{command} failed ({self.returncode}):\n"
                f"{self.stdout[-2000:]}{self.stderr[-3000:]}")


def run_wirestream(archive: Path, output: Optional[Path] = None,
                   extra: Iterable[str] = (), strict: bool = False) -> Run:
    """`wirestream run --articles ARCHIVE --output OUTPUT EXTRA...` in a
    fresh subprocess, so each run pays start-up as a user does.

    With no `output` the run writes to a temporary folder that is gone when
    this returns (timing runs need only the manifest). A run that wrote no
    manifest ends the script with the tail of its output. One that wrote it
    and then exited non-zero is returned unless `strict`: Beam has been seen
    to abort at interpreter shutdown after everything was written, so a
    script may count such a run and report its status, or refuse it.
    """
    extra = tuple(extra)
    if output is None:
        with tempfile.TemporaryDirectory(prefix="wirestream-bench-out-") as tmp:
            return run_wirestream(archive, Path(tmp), extra, strict)
    started = time.perf_counter()
    done = subprocess.run(wirestream_command() + ["run", "--articles", str(archive),
                                                  "--output", str(output), *extra],
                          capture_output=True, text=True, cwd=REPO)
    run = Run(output, time.perf_counter() - started, done.returncode, done.stdout,
              done.stderr, extra=extra)
    manifests = sorted((output / "_manifests").glob("*.json"))
    if not manifests or (strict and run.returncode != 0):
        raise SystemExit(run.failure())
    run.manifest = json.loads(manifests[0].read_text())
    return run


@contextmanager
def run_on_records(records: list[dict], keep: Optional[str] = None) -> Iterator[Path]:
    """Write archive records as JSON Lines, run wirestream on them and yield
    the output folder; both live in a temporary folder unless `keep` names
    one to leave them in for a look afterwards."""
    with tempfile.TemporaryDirectory(prefix="wirestream-eval-") as tmp:
        workdir = Path(keep) if keep else Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        archive = workdir / "archive.jsonl"
        write_jsonl(records, archive)
        output = workdir / "out"
        if output.exists():
            shutil.rmtree(output)  # stored stories would not be extracted again
        run = run_wirestream(archive, output)
        summary = [line.strip() for line in run.stdout.splitlines() if line.strip()]
        print(f"wirestream run: {len(records)} records in {run.seconds:.1f} s; "
              + "; ".join(summary[1:4]))
        yield output


# --------------------------------------------------------------------------
# Reading the tables back
# --------------------------------------------------------------------------

def read_table(output: Path, name: str) -> list[dict]:
    """Every row of one output table, read as the Hive-partitioned dataset
    an analyst would read; [] when the run wrote none of it."""
    import pyarrow.dataset as ds

    path = output / name
    if not path.exists() or not any(path.rglob("*.parquet")):
        return []
    return ds.dataset(str(path), partitioning="hive", format="parquet").to_table().to_pylist()


def canonical_stories(output: Path) -> dict[str, dict]:
    """story_id -> stories row, for canonical stories only: dedup collapses
    identical documents, and only the one it kept is extracted."""
    return {row["story_id"]: row for row in read_table(output, "stories")
            if row["duplicate_of"] is None}


def stories_and_table(records: list[dict], table: str, keep: Optional[str] = None,
                      stored: Optional[str] = None) -> tuple[dict[str, dict], list[dict]]:
    """(canonical stories, TABLE's rows) of a run on the records, or of the
    output folder `stored` names, which a run left before (`keep`)."""
    if stored:
        return canonical_stories(Path(stored)), read_table(Path(stored), table)
    with run_on_records(records, keep) as output:
        return canonical_stories(output), read_table(output, table)


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------

def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def prf(tp: float, n_pred: float, n_gold: float,
        empty: float = 0.0) -> tuple[float, float, float]:
    """Precision, recall and F1; `empty` is the precision (recall) when
    nothing was predicted (nothing was to be found)."""
    p = tp / n_pred if n_pred else empty
    r = tp / n_gold if n_gold else empty
    return p, r, f1(p, r)


# --------------------------------------------------------------------------
# Text from corpus tokens
# --------------------------------------------------------------------------

# Token-per-line corpora (CoNLL) are joined back into the prose a wire story
# has, so the model sees text like the pipeline's input.
_NO_SPACE_BEFORE = {",", ".", ";", ":", "?", "!", ")", "%", "'s", "n't", "'S", "N'T"}
_NO_SPACE_AFTER = {"("}


@dataclass
class TextBuilder:
    """Builds a text from tokens, remembering each token's (start, end)."""

    text: str = ""
    offsets: list = field(default_factory=list)

    def add_tokens(self, tokens: list[str], detokenize: bool = True) -> list[tuple[int, int]]:
        spans = []
        for i, tok in enumerate(tokens):
            if i > 0:
                glue = not detokenize or (tok not in _NO_SPACE_BEFORE
                                          and tokens[i - 1] not in _NO_SPACE_AFTER)
                if glue:
                    self.text += " "
            start = len(self.text)
            self.text += tok
            spans.append((start, len(self.text)))
        self.offsets.extend(spans)
        return spans

    def add(self, literal: str) -> None:
        self.text += literal


def token_span(offsets: list[tuple[int, int]], start: int, end: int) -> Optional[tuple[int, int]]:
    """Token indices [i, j) covering the characters [start, end), or None."""
    first = next((i for i, (s, e) in enumerate(offsets) if e > start), None)
    if first is None or offsets[first][0] >= end:
        return None
    last = first
    while last + 1 < len(offsets) and offsets[last + 1][0] < end:
        last += 1
    return first, last + 1


# --------------------------------------------------------------------------
# PortableRunner services
# --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def portable_runner() -> Iterator[list[str]]:
    """A local job service and an external worker pool on loopback, the
    set-up the Flink and Spark job servers use, for as long as the block
    runs; yields the flags that point `wirestream run` at them."""
    # The pool starts SDK workers that must find this venv's wirestream.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    pool, jobs = free_port(), free_port()
    processes: list[subprocess.Popen] = []
    try:
        for module, flag, port in (
                ("apache_beam.runners.worker.worker_pool_main", "--service_port", pool),
                ("apache_beam.runners.portability.local_job_service_main", "--port", jobs)):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", module, f"{flag}={port}"], env=env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            _wait_for(port, module)
        yield ["--runner=PortableRunner", f"--job_endpoint=localhost:{jobs}",
               "--environment_type=EXTERNAL", f"--environment_config=localhost:{pool}"]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def _wait_for(port: int, name: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            sys.exit(f"{name} did not start")
        time.sleep(0.2)
