"""Running one batch: pick a runner, build, wait, then manifest and summary."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timezone

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import (
    DirectOptions,
    PipelineOptions,
    StandardOptions,
)

from pipeline.build import build
from pipeline.config import RunConfig
from pipeline.manifest import build_manifest, feed_problems, summary_lines
from pipeline.workers import failing_on_lost_workers
from transforms.lake import delta, paths
from transforms.metrics import NAMESPACE

LOG = logging.getLogger("wirestream")
LOCAL_RUNNERS = (None, "DirectRunner", "SwitchingDirectRunner")


def choose_runner(options: PipelineOptions):
    """The runner to use; None means "as --runner says".

    For a local run we pick Beam's FnApiRunner ourselves: in Beam 2.77 the
    DirectRunner first tries to download the Prism runner on every run, and a
    local run must never reach for the network. The FnApiRunner honours
    --direct_running_mode and --direct_num_workers as the DirectRunner would.
    """
    if options.view_as(StandardOptions).runner not in LOCAL_RUNNERS:
        return None
    if options.view_as(DirectOptions).direct_running_mode == "multi_threading":
        LOG.warning("--direct_running_mode=multi_threading lost elements in Beam "
                    "2.77 tests; use in_memory or multi_processing for correct results")
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    return FnApiRunner()


def counters(result) -> dict[str, int]:
    """Committed counter values by name, summed over steps."""
    totals: dict[str, int] = {}
    query = result.metrics().query(MetricsFilter().with_namespace(NAMESPACE))
    for counter in query["counters"]:
        value = counter.committed if counter.committed is not None else counter.attempted
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + (value or 0)
    return totals


def run(config: RunConfig) -> dict:
    """Run the pipeline to completion; returns the manifest it wrote."""
    options = config.pipeline_options()
    started = time.monotonic()
    # Before anything reads OUTPUT: a run that died mid-commit is finished
    # (or its unfinished files discarded), so this run sees whole runs only.
    for line in delta.recover(config.output, config.run_id):
        print(f"wirestream: {line}")
    pipeline = beam.Pipeline(runner=choose_runner(options), options=options)
    build(pipeline, config)
    with failing_on_lost_workers(options, config.run_id):
        result = pipeline.run()
        result.wait_until_finish()
    manifest = build_manifest(config, counters(result), str(result.state),
                              seconds=time.monotonic() - started,
                              finished_at=datetime.now(timezone.utc))
    manifest["table_versions"] = delta.committed_versions(config.output, config.run_id)
    path = paths.manifest_file(config.output, config.run_id)
    with FileSystems.create(path) as handle:
        handle.write(json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
    manifest["manifest_path"] = path
    manifest["feed_problems"] = feed_problems(config)
    print("\n".join(summary_lines(manifest)))
    return manifest
