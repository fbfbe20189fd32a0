"""Scale-out on one machine: the same stories with 1 and with 2 workers.

Runs `wirestream run --articles FILE` on N real Reuters-21578 stories
(default 2,000; evaluation-only data, read in place from ../shared/data) with

1. DirectRunner multi_processing, 1 worker      (--direct_num_workers=1)
2. DirectRunner multi_processing, 2 workers     (--direct_num_workers=2)
3. PortableRunner, local job service + an external worker pool (optional,
   --portable), the set-up the Flink/Spark job servers use

and prints wall time, stories/s and the speedup of 2 workers over 1
(target >= 1.7x on 2 cores). Each run is a fresh subprocess writing to a new
temp folder, so start-up and model loading are counted as a user pays them.

    python benchmarks/scaling.py [--stories N] [--runs K] [--portable]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpora import CorpusMissing, iter_reuters, write_jsonl  # noqa: E402

BIN = Path(sys.executable).parent


def run_pipeline(archive: Path, flags: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.monotonic()
        done = subprocess.run([str(BIN / "wirestream"), "run", "--articles", str(archive),
                               "--output", out, *flags], capture_output=True, text=True)
        seconds = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(f"wirestream failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portable_flags(processes: list) -> list[str]:
    """Start a local job service and an external worker pool; their flags."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    pool, jobs = free_port(), free_port()
    for module, flag, port in (("apache_beam.runners.worker.worker_pool_main", "--service_port", pool),
                               ("apache_beam.runners.portability.local_job_service_main", "--port", jobs)):
        processes.append(subprocess.Popen([sys.executable, "-m", module, f"{flag}={port}"], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            if time.monotonic() > deadline:
                sys.exit(f"{module} did not start")
            time.sleep(0.2)
    return ["--runner=PortableRunner", f"--job_endpoint=localhost:{jobs}",
            "--environment_type=EXTERNAL", f"--environment_config=localhost:{pool}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1, help="repeat each and keep the best")
    parser.add_argument("--portable", action="store_true")
    args = parser.parse_args()
    try:
        records = list(iter_reuters(limit=args.stories))
    except CorpusMissing as err:
        sys.exit(f"{err}")
    processes: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as work:
        archive = Path(work) / "reuters.jsonl"
        write_jsonl(records, archive)
        setups = {
            "multi_processing, 1 worker": ["--direct_running_mode=multi_processing",
                                           "--direct_num_workers=1"],
            "multi_processing, 2 workers": ["--direct_running_mode=multi_processing",
                                            "--direct_num_workers=2"],
        }
        try:
            if args.portable:
                setups["PortableRunner, external pool"] = portable_flags(processes)
            timings = {name: min(run_pipeline(archive, flags) for _ in range(args.runs))
                       for name, flags in setups.items()}
        finally:
            for process in processes:
                process.terminate()
    n = len(records)
    print(f"{n} Reuters-21578 stories, best of {args.runs}, wall clock per run "
          "(start-up, model load, dedup, NLP, writing)")
    print(f"{'setup':34} {'seconds':>8} {'stories/s':>10}")
    for name, seconds in timings.items():
        print(f"{name:34} {seconds:8.1f} {n / seconds:10.1f}")
    one, two = timings["multi_processing, 1 worker"], timings["multi_processing, 2 workers"]
    print(f"speedup 2 workers / 1 worker: {one / two:.2f}x  (target >= 1.7x on 2 cores)")


if __name__ == "__main__":
    main()
