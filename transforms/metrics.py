"""Counters: every outcome of every stage is counted under one namespace, and
the run manifest and summary are read from these counters, so they are right
on every runner."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

# Every stage's Beam module imports this one, so every process that builds
# or runs wirestream's DoFns (the launcher, each worker) has the cache.
import transforms.beam_signatures  # noqa: F401,E402

NAMESPACE = "wirestream"


def counter(name: str):
    return Metrics.counter(NAMESPACE, name)


class Count(beam.PTransform):
    """Pass elements through, counting them under `name` for the manifest."""

    def __init__(self, name: str):
        super().__init__(label=f"Count {name}")
        self._name = name

    def expand(self, pcoll):
        return pcoll | beam.ParDo(_CountFn(self._name))


class _CountFn(beam.DoFn):
    def __init__(self, name: str):
        self._name = name

    def setup(self):
        self._counter = counter(self._name)

    def process(self, element):
        self._counter.inc()
        yield element

