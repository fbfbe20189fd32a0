"""Shared fixtures: the bundled sample, ../shared/data, the real spaCy model,
and Beam pipelines on a local runner that never reaches for the network."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.test_pipeline import TestPipeline

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "sample"
SHARED_DATA = Path(os.environ.get("WIRESTREAM_DATA") or REPO.parent / "shared" / "data")


def pytest_configure(config):
    # CI runs slow tests too (tests/run.sh runs everything); the mark lets a
    # developer leave them out locally with -m "not slow".
    config.addinivalue_line("markers", "slow: minutes long (kill trials, soak); CI runs it")


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip: a user's clone does not have it."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"evaluation data not present: {path}")
    return path


@pytest.fixture(scope="session")
def nlp():
    import spacy

    from transforms.nlp.model import resolve_model
    return spacy.load(resolve_model("en_core_web_sm"))


@pytest.fixture
def beam_pipeline():
    """A TestPipeline on the FnApiRunner; `with beam_pipeline as p:` runs it."""
    return TestPipeline(runner=FnApiRunner(), argv=[], blocking=True)
