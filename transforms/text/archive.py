"""JSON Lines backfills to stories (`transforms.ReadArchive` wires it into Beam).

Each line is one story (contract: id, title, body, url, published, source,
summary, authors). A line that is not JSON, or has neither title nor body, is
a dead letter naming its file and line number; the run goes on.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterator, Union

from schemas.records import DeadLetter, Story, dead_letter
from transforms.text.stories import InvalidStory, build_story, derive_story_id, utc_from_iso

STAGE = "archive"


def _text_field(record: dict, key: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InvalidStory(f"{key} must be a string, got {type(value).__name__}")


def parse_archive_line(line: str, ref: str, run_id: str,
                       fetched_at: datetime) -> Union[Story, DeadLetter]:
    """One archive line to a Story, or a DeadLetter saying why not."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        return dead_letter(run_id, STAGE, "InvalidJSON", str(err), ref=ref,
                           payload=line, at=fetched_at)
    try:
        if not isinstance(record, dict):
            raise InvalidStory(f"line is a JSON {type(record).__name__}, not an object")
        return _archive_story(record, run_id, fetched_at)
    except InvalidStory as err:
        return dead_letter(run_id, STAGE, "InvalidStory", str(err), ref=ref,
                           payload=line, at=fetched_at)
    except Exception as err:  # a bug on one odd line costs that line, not the run
        return dead_letter(run_id, STAGE, type(err).__name__, str(err), ref=ref,
                           payload=line, at=fetched_at)


def _archive_story(record: dict, run_id: str, fetched_at: datetime) -> Story:
    title = _text_field(record, "title") or ""
    url = _text_field(record, "url")
    published = utc_from_iso(record.get("published"))
    authors = record.get("authors") or []
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        raise InvalidStory("authors must be a list of strings")
    given_id = record.get("id")
    if given_id is not None and not isinstance(given_id, (str, int)):
        raise InvalidStory("id must be a string")
    story_id = (str(given_id) if given_id not in (None, "")
                else derive_story_id(None, None, url, title, published))
    return build_story(
        story_id=story_id, source=_text_field(record, "source") or "archive",
        feed_url=None, url=url, title=title,
        body_markup=_text_field(record, "body"),
        summary_markup=_text_field(record, "summary"),
        published_at=published, fetched_at=fetched_at,
        language=_text_field(record, "language"), authors=authors,
        run_id=run_id)


def iter_archive(lines, path: str, run_id: str,
                 fetched_at: datetime) -> Iterator[Union[Story, DeadLetter]]:
    for number, raw in enumerate(lines, start=1):
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if line.strip():
            yield parse_archive_line(line, f"{path}:{number}", run_id, fetched_at)
