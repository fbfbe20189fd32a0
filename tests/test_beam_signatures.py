"""The per-function signature cache behind Beam's DoFn introspection."""

import functools
import gc
import subprocess
import sys
import weakref
from pathlib import Path

import apache_beam as beam
import apache_beam.transforms.core as core
from apache_beam.coders import VarIntCoder
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import userstate
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec

from transforms import beam_signatures

REPO = Path(__file__).resolve().parent.parent


def test_every_stage_module_puts_the_cache_in_beam():
    # in a fresh interpreter, as a worker process unpickling a DoFn imports it
    for stage in ("fetch", "text", "dedup", "nlp", "lake"):
        looked_up = subprocess.run(
            [sys.executable, "-c",
             f"import transforms.{stage}.transforms, apache_beam.transforms.core as c; "
             "print(c.get_signature.__module__)"],
            capture_output=True, text=True, cwd=REPO, check=True).stdout.split()
        assert looked_up == ["transforms.beam_signatures"], stage
    assert core.get_signature is beam_signatures.get_signature


def _callables():
    class Thing:
        def method(self, element, side=3):
            return element

        @classmethod
        def build(cls, x, *rest, **kw):
            return x

    def plain(a, b=1, *, c=2):
        return a

    return [plain, Thing().method, Thing.method, Thing.build, lambda x, y=4: x,
            functools.partial(plain, 1), str.strip, len, Thing]


def test_signatures_are_beams_own():
    for func in _callables():
        once = beam_signatures.get_signature(func)
        assert once == beam_signatures._beam_get_signature(func), func
        assert beam_signatures.get_signature(func) == once


def test_methods_of_two_objects_share_the_signature_of_their_function():
    class Thing:
        def process(self, element, state=None):
            yield element

    first, second = Thing().process, Thing().process
    assert beam_signatures.get_signature(first) is beam_signatures.get_signature(second)
    assert list(beam_signatures.get_signature(first).parameters) == ["element", "state"]


def _counting_dofn(stateful: bool):
    spec = ReadModifyWriteStateSpec("seen", VarIntCoder())

    class Counting(beam.DoFn):
        if stateful:
            def process(self, element, seen=beam.DoFn.StateParam(spec)):
                count = (seen.read() or 0) + 1
                seen.write(count)
                yield element[0], count
        else:
            def process(self, element):
                yield element[0], 1

    return Counting()


def test_stateful_and_stateless_dofns_are_still_told_apart():
    # the same method name, signatures looked up one after the other
    for stateful in (False, True, False, True):
        assert userstate.is_stateful_dofn(_counting_dofn(stateful)) is stateful


def test_a_stateful_dofn_keeps_its_state_in_a_real_pipeline():
    with beam.Pipeline("FnApiRunner") as p:
        out = (p | beam.Create([("a", 1), ("a", 2), ("b", 3)])
               | beam.ParDo(_counting_dofn(True)))
        assert_that(out, equal_to([("a", 1), ("a", 2), ("b", 1)]))


def test_the_cache_does_not_keep_functions_alive():
    def make():
        return lambda element, extra=0: element

    func = make()
    beam_signatures.get_signature(func)
    assert func in beam_signatures._plain
    alive = weakref.ref(func)
    del func
    gc.collect()
    assert alive() is None
