"""Extraction stage in Beam: canonical stories through RunInference to
entities, relations and quotes (`model.SpacyModelHandler` does the work)."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.ml.inference.base import PredictionResult, RunInference

from schemas.records import dead_letter
from schemas.tables import story_date
from transforms.metrics import Count, counter
from transforms.nlp.guard import Limits, Warned
from transforms.nlp.model import ExtractionFailed, SpacyModelHandler, is_english

STAGE = "extract"


class _SplitResults(beam.DoFn):
    def __init__(self, run_id: str):
        self._run_id = run_id

    def setup(self):
        self._stories = counter("nlp_stories")
        self._failed = counter("nlp_failed")
        self._truncated = counter("nlp_truncated")
        self._counts = {kind: counter(kind) for kind in ("entities", "relations", "quotes")}

    def process(self, prediction: PredictionResult):
        story, result = prediction.example, prediction.inference
        if isinstance(result, ExtractionFailed):
            self._failed.inc()
            yield beam.pvalue.TaggedOutput("dead_letters", dead_letter(
                self._run_id, STAGE, result.error, result.message,
                ref=story.story_id, payload=story.title))
            return
        if isinstance(result, Warned):
            # extracted in part: the rows are kept, the letter says what is missing
            self._truncated.inc()
            yield beam.pvalue.TaggedOutput("dead_letters", dead_letter(
                self._run_id, STAGE, result.error, result.message,
                ref=story.story_id, payload=story.title))
            result = result.extraction
        self._stories.inc()
        self._counts["entities"].inc(len(result.entities))
        self._counts["relations"].inc(len(result.relations))
        self._counts["quotes"].inc(len(result.quotes))
        yield story_date(story), result


class _FailedBatchLetters(beam.DoFn):
    """A batch RunInference could not run: a dead letter per story, each
    counted as failed so that the canonical stories still reconcile."""

    def __init__(self, run_id: str):
        self._run_id = run_id

    def setup(self):
        self._failed = counter("nlp_failed")

    def process(self, failure):
        batch, error = failure
        for story in batch:
            self._failed.inc()
            yield dead_letter(self._run_id, STAGE, "InferenceFailed", str(error),
                              ref=story.story_id, payload=story.title)


class Extract(beam.PTransform):
    """Canonical stories -> ((story date, Extraction), dead letters).

    Stories the English model cannot read are counted, not parsed. What one
    story may cost is bounded by `limits` (see `guard`): a story read in part
    is extracted and also dead-lettered as StoryTruncated; one that overruns
    its time is dead-lettered as StoryTimeout.
    """

    def __init__(self, model: str, run_id: str, batch_size: int = 64,
                 limits: Limits = Limits()):
        super().__init__()
        self._model, self._run_id, self._batch_size = model, run_id, batch_size
        self._limits = limits

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
                SpacyModelHandler(self._model, self._batch_size, self._limits))
            .with_exception_handling())
        results = predictions | "Split" >> beam.ParDo(
            _SplitResults(self._run_id)).with_outputs("dead_letters", main="found")
        failed_letters = failed.failed_inferences | "FailedBatches" >> beam.ParDo(
            _FailedBatchLetters(self._run_id))
        dead = ((results.dead_letters, failed_letters)
                | "AllDead" >> beam.Flatten())
        return results.found, dead

