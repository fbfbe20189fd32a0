"""What every table and column means: the text of docs/tables.md.

Kept beside the record types so a column cannot be added without saying
what it holds: `schemas.docs` renders the page from these and the Arrow
schemas, and a test fails when a column has no text here or the page is
stale (`python -m schemas.docs > docs/tables.md` writes it again).
"""

from __future__ import annotations

TABLE_TEXT = {
    "stories": "One row per story: unique story_id across every run into the "
               "folder. Every copy of a wire story is a row; copies share a cluster_id.",
    "entities": "One row per entity mention in a canonical story (the cluster's "
                "canonical copy; join through cluster_id for the other copies).",
    "relations": "One row per relation between two entities found in a canonical story.",
    "quotes": "One row per direct quotation in a canonical story, with its speaker "
              "when the text names one.",
    "fetch_log": "One row per feed per run: what fetching it did.",
    "dead_letters": "One row per input a stage could not process, kept whole so "
                    "it can be replayed. Every record ends in a table or here.",
}

PARTITION_TEXT = {
    "published_date": "Partition (folder): UTC date of published_at, or of fetched_at "
                      "when the story has no date. String in the Delta schema; "
                      "DuckDB's hive_partitioning reads it as a DATE.",
    "run_date": "Partition (folder): UTC date the run started.",
}

COLUMN_TEXT = {
    "stories": {
        "story_id": "Stable id: the archive `id` when given, else derived from the "
                    "feed entry's GUID or canonical URL.",
        "source": "Outlet or feed name from the feed list (or the archive's `source`).",
        "feed_url": "The feed the story came from (credentials redacted); null for archives.",
        "url": "Link to the story as the feed gives it.",
        "title": "Headline, plain text; an outlet suffix (\"| Reuters\") removed.",
        "body": "Plain text, paragraphs separated by a blank line; dateline, credits, "
                "captions and site furniture removed. Offsets point into it.",
        "summary": "The feed's summary when it differs from the body.",
        "published_at": "Publication time, UTC.",
        "fetched_at": "When wirestream fetched (or read) it, UTC.",
        "language": "ISO 639-1 code: the feed's hint, else detected; null when unsure.",
        "agency": "Wire service credited by the dateline, a credit line, the authors "
                  "or the title (AP, Reuters, AFP, ...).",
        "dateline": "Place of the dateline (\"BRUSSELS\"), moved out of the body.",
        "authors": "Bylines as the feed gives them.",
        "content_hash": "Hash of the text as a reader sees it (case, spacing and "
                        "markup aside); equal for exact copies.",
        "run_id": "The run that stored the row.",
        "cluster_id": "story_id of the canonical copy of the story's duplicate cluster "
                      "(its own story_id when alone). Stable once stored.",
        "duplicate_of": "Null for the canonical copy, else the canonical copy's story_id.",
    },
    "entities": {
        "story_id": "The canonical story mentioning the entity.",
        "field": "Which column the offsets point into: title, body or dateline.",
        "start_char": "Offset of the mention's first character in `field`.",
        "end_char": "Offset just past the mention's last character.",
        "text": "The mention as written.",
        "label": "spaCy OntoNotes label (PERSON, ORG, GPE, ...), agreed across the story.",
        "canonical": "The name the story uses for the entity in full (\"Donald Trump\" "
                     "for a later \"Trump\").",
        "entity_id": "Key of the canonical entity: the same in every story.",
    },
    "relations": {
        "story_id": "The canonical story stating the relation.",
        "subject": "Canonical name of the subject entity.",
        "subject_label": "Label of the subject entity.",
        "subject_entity_id": "entity_id of the subject.",
        "predicate": "The relation as the text says it, in lemma form (\"accuse\", "
                     "\"president of\").",
        "object": "Canonical name of the object entity.",
        "object_label": "Label of the object entity.",
        "object_entity_id": "entity_id of the object.",
        "relation_type": "Normalized type where one applies (works_for, located_in, "
                         "based_in, lives_in, killed, ...), else null.",
        "field": "Which column the offsets point into: title or body.",
        "start_char": "Offset of the first of the two mentions (the span from one "
                      "entity to the other).",
        "end_char": "Offset just past the last of the two mentions.",
    },
    "quotes": {
        "story_id": "The canonical story quoting.",
        "speaker": "Canonical name of the speaker; null when the text names none.",
        "speaker_entity_id": "entity_id of the speaker.",
        "quote": "The quoted words, without the quotation marks.",
        "verb": "The reporting verb, lemma (\"say\", \"tell\").",
        "start_char": "Offset of the quoted words (inside the marks) in the body.",
        "end_char": "Offset just past them.",
    },
    "fetch_log": {
        "run_id": "The run that fetched.",
        "feed_url": "The feed as the feed list names it (credentials redacted).",
        "source": "The feed's source name.",
        "status": "HTTP status of the last response; null for files and failures "
                  "before a response.",
        "not_modified": "True when the server answered 304 to a conditional GET.",
        "items": "Entries parsed from the feed in this run.",
        "bytes": "Size of the body received, after decompression.",
        "duration_ms": "Time the fetch took, redirects and retries included.",
        "error": "Why the fetch or parse failed; null when it did not.",
        "fetched_at": "When the fetch started, UTC.",
        "outcome": "fetched, not_modified, failed, backoff (not due yet after failures), "
                   "dead (gone) or replayed (read from raw responses).",
        "effective_url": "Where the body came from after redirects (credentials redacted).",
        "moved_permanently": "True when a 301/308 chain moved the feed: update the feed list.",
        "raw_path": "Where the raw response is kept for --replay.",
        "warning": "A flaw the parser worked around without losing entries.",
    },
    "dead_letters": {
        "run_id": "The run that could not process the input.",
        "stage": ("fetch, parse, archive or extract; in a stream also stream "
                  "(TooLate: published longer than --allowed-lateness before its poll)."),
        "error": "Kind of failure (InvalidJSON, NotAFeed, FetchFailed, ...).",
        "message": "What went wrong, one line.",
        "ref": "Where the input was: a feed URL, FILE:LINE of an archive, a story_id.",
        "payload": "The input itself (or its start), to replay.",
        "at": "When, UTC.",
    },
}
