"""The record types that flow between stages.

Frozen dataclasses, so that a record can be used as a grouping key and so a
stage cannot change what an earlier stage produced behind its back. Every
field that lands in a table is named exactly as the column of
../shared/CONTRACT.md; `schemas.tables` builds the Arrow schemas from these
classes, so no other module spells out a column list.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Optional


@dataclass(frozen=True)
class FeedSpec:
    """One entry of the operator's feed list."""

    url: str
    source: str
    language: Optional[str] = None
    # The feed list opted this feed's host in to private addresses
    # (transforms/fetch/addresses.py); not a column.
    allow_private: bool = False


@dataclass(frozen=True)
class FetchResult:
    """What fetching one feed produced: the log row plus the body to parse."""

    run_id: str
    feed_url: str
    source: str
    status: Optional[int]
    not_modified: bool
    items: int
    bytes: int
    duration_ms: int
    error: Optional[str]
    fetched_at: datetime
    # fetched | not_modified | failed | backoff (skipped, not due yet) |
    # dead (410 Gone earlier) | replayed (read from a raw archive).
    outcome: str = "fetched"
    # The URL the body came from, after redirects.
    effective_url: Optional[str] = None
    # True when a 301/308 chain moved the feed: the operator should update
    # the feed list.
    moved_permanently: bool = False
    # Where the raw response is kept, for --replay.
    raw_path: Optional[str] = None
    # Parsed with a problem that did not cost the entries (feedparser bozo).
    warning: Optional[str] = None
    # Not fetch_log columns: what the parser needs.
    body: Optional[bytes] = field(default=None, repr=False)
    language: Optional[str] = None
    content_type: Optional[str] = None

    def log_row(self) -> "FetchResult":
        return dataclasses.replace(self, body=None)


@dataclass(frozen=True)
class Story:
    """One story, as stored in the stories table."""

    story_id: str
    source: str
    feed_url: Optional[str]
    url: Optional[str]
    title: str
    body: str
    summary: Optional[str]
    published_at: Optional[datetime]
    fetched_at: datetime
    language: Optional[str]
    agency: Optional[str]
    dateline: Optional[str]
    authors: tuple[str, ...]
    content_hash: str
    run_id: str
    cluster_id: Optional[str] = None
    duplicate_of: Optional[str] = None

    @property
    def is_canonical(self) -> bool:
        return self.duplicate_of is None


@dataclass(frozen=True)
class EntityMention:
    story_id: str
    field: str
    start_char: int
    end_char: int
    text: str
    label: str
    canonical: str
    entity_id: str


@dataclass(frozen=True)
class Relation:
    story_id: str
    subject: str
    subject_label: str
    subject_entity_id: str
    predicate: str
    object: str
    object_label: str
    object_entity_id: str
    relation_type: Optional[str]
    field: str
    start_char: int
    end_char: int


@dataclass(frozen=True)
class Quote:
    story_id: str
    speaker: Optional[str]
    speaker_entity_id: Optional[str]
    quote: str
    verb: Optional[str]
    start_char: int
    end_char: int


@dataclass(frozen=True)
class DeadLetter:
    """Input that a stage could not process, kept whole so it can be replayed."""

    run_id: str
    stage: str
    error: str
    message: str
    ref: str
    payload: Optional[str]
    at: datetime


@dataclass(frozen=True)
class DedupIndexEntry:
    """A recent story as later runs' near-duplicate detection needs it.

    Kept under OUTPUT/_state/dedup_index/ for a retention window instead of
    re-reading every stored story: the MinHash signature finds candidates,
    the stored text (re-read for candidates only) verifies them.
    """

    story_id: str
    cluster_id: str
    # Canonical rank of the story: UTC ISO stamp, agency's own copy first.
    published: str
    agency_copy: bool
    published_date: str
    shingle_count: int
    signature: bytes
    content_hash: str
    canonical_url: Optional[str]
    indexed_at: datetime


@dataclass(frozen=True)
class Extraction:
    """Everything the NLP stage found in one canonical story."""

    story_id: str
    entities: tuple[EntityMention, ...] = ()
    relations: tuple[Relation, ...] = ()
    quotes: tuple[Quote, ...] = ()


def dead_letter(run_id: str, stage: str, error: str, message: str, ref: str,
                payload: Optional[str | bytes] = None,
                at: Optional[datetime] = None) -> DeadLetter:
    """A DeadLetter with its payload as text and a bounded size.

    Payloads are capped so one enormous bad input cannot bloat the table;
    the ref says where to find the original.
    """
    from datetime import timezone

    if isinstance(payload, bytes):
        payload = payload.decode("utf-8", errors="replace")
    if payload is not None and len(payload) > MAX_PAYLOAD_CHARS:
        payload = payload[:MAX_PAYLOAD_CHARS]
    message = " ".join(str(message).split())[:1000]
    return DeadLetter(run_id=run_id, stage=stage, error=error, message=message,
                      ref=ref, payload=payload,
                      at=at or datetime.now(timezone.utc))


MAX_PAYLOAD_CHARS = 64 * 1024
