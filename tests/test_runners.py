"""The same tables on every runner this machine can run.

The bundled sample runs on the FnApiRunner (in_memory), the DirectRunner's
multi_processing mode with 2 workers, and the PortableRunner talking to a
local job service with an external worker pool started here; story ids,
clusters, entities and relations must be identical on all three.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.helpers import assert_all_conserved, manifests, sql

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on {port} after {timeout} s")


def start(module: str, port_flag: str, port: int, log: Path) -> subprocess.Popen:
    # The worker pool starts SDK workers with a bare `python`: put this
    # environment's interpreter first on PATH so they can import wirestream.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = subprocess.Popen([sys.executable, "-m", module, f"{port_flag}={port}"],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    wait_for_port(port, process)
    return process


@pytest.fixture(scope="module")
def portable_services(tmp_path_factory):
    logs = tmp_path_factory.mktemp("services")
    pool_port, job_port = free_port(), free_port()
    processes = []
    try:
        processes.append(start("apache_beam.runners.worker.worker_pool_main",
                               "--service_port", pool_port, logs / "pool.log"))
        processes.append(start("apache_beam.runners.portability.local_job_service_main",
                               "--port", job_port, logs / "jobs.log"))
        yield ["--runner=PortableRunner", f"--job_endpoint=localhost:{job_port}",
               "--environment_type=EXTERNAL", f"--environment_config=localhost:{pool_port}"]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


RUNNERS = {
    "fnapi_in_memory": [],
    "direct_multi_processing_2": ["--direct_running_mode=multi_processing",
                                  "--direct_num_workers=2"],
    "portable_external_pool": None,  # filled from the portable_services fixture
}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, portable_services):
    results = {}
    for name, flags in RUNNERS.items():
        out = tmp_path_factory.mktemp(name) / "out"
        flags = portable_services if flags is None else flags
        assert main(["run", "--output", str(out), *flags]) == 0, name
        assert_all_conserved(out)
        results[name] = out
    return results


QUERIES = {
    "stories": "select story_id, cluster_id, duplicate_of, content_hash, title, body "
               "from {stories} order by story_id",
    "entities": "select story_id, field, start_char, end_char, text, label, canonical, entity_id "
                "from {entities} order by all",
    "relations": "select story_id, subject_entity_id, predicate, object_entity_id, relation_type, "
                 "field, start_char, end_char from {relations} order by all",
    "quotes": "select story_id, speaker_entity_id, quote, verb, start_char from {quotes} order by all",
    "partitions": "select published_date, count(*) from {stories} group by all order by all",
}


@pytest.mark.parametrize("table", sorted(QUERIES))
def test_every_runner_writes_the_same_rows(outputs, table):
    reference = sql(outputs["fnapi_in_memory"], QUERIES[table])
    assert reference, table
    for name, out in outputs.items():
        assert sql(out, QUERIES[table]) == reference, f"{table} differs on {name}"


def test_every_runner_reports_the_same_counts(outputs):
    import json
    stages = {}
    for name, out in outputs.items():
        (manifest,) = manifests(out)
        assert all(check["ok"] for check in manifest["reconciliation"].values()), name
        stages[name] = {k: v for k, v in manifest["stages"].items()}
    assert len({json.dumps(s, sort_keys=True) for s in stages.values()}) == 1, stages
