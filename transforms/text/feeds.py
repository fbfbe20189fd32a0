"""Feed entries to stories: one fetched feed, parsed with feedparser.

`parse_feed` yields the feed's stories, dead letters and its finished
fetch_log row (now that the item count is known); `transforms.ParseFeeds`
wires it into Beam.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Iterator, Union

from schemas.records import DeadLetter, FetchResult, Story, dead_letter
from transforms.text.feed_bytes import parse_bytes
from transforms.text.stories import (
    DateOutOfRange,
    InvalidStory,
    build_story,
    derive_story_id,
    plausible_published,
    utc_from_rfc822,
    utc_from_struct,
)

STAGE = "parse"
Output = Union[Story, DeadLetter, FetchResult]


def _entry_body(entry) -> tuple[str | None, str | None]:
    """(body markup, summary markup): full content when the feed has it."""
    body = next((c.get("value") for c in _dicts(entry.get("content")) if c.get("value")), None)
    summary = entry.get("summary")
    if body is None:
        return summary, None
    return body, (summary if summary and summary != body else None)


def _dicts(value) -> list:
    """The dicts of a list feedparser builds: an element of the same name
    that it does not know (an <authors> of some ad-hoc dialect) arrives as
    its text, a str, instead."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _authors(entry) -> list[str]:
    listed = entry.get("authors")
    if isinstance(listed, str):  # <authors>Name</authors>: see _dicts
        return [listed.strip()] if listed.strip() else []
    names = [a.get("name") or "" for a in _dicts(listed)]
    author = entry.get("author")
    if not any(names) and author and isinstance(author, str):
        names = [author]
    return names


def parse_feed(fetched: FetchResult) -> Iterator[Output]:
    """Stories and dead letters of one fetched feed, then its fetch_log row.

    A body that is not a feed at all (HTML page, JSON, empty) is one dead
    letter and an error on the log row; a feed feedparser calls "bozo" but
    that still has entries keeps its entries.
    """
    if fetched.error or fetched.not_modified or fetched.body is None:
        yield fetched.log_row()
        return
    parsed = parse_bytes(fetched.body, fetched.content_type)
    # No entries and no recognisable feed: not a feed. A feed that is merely
    # flawed (bozo) but has no items today is an empty feed, not a failure.
    if not parsed.entries and not parsed.get("version"):
        reason = str(parsed.get("bozo_exception") or "no feed elements found")
        yield dead_letter(fetched.run_id, STAGE, "NotAFeed", reason,
                          ref=fetched.feed_url, payload=fetched.body[:4096])
        yield dataclasses.replace(fetched.log_row(), error=f"NotAFeed: {reason}")
        return

    language = fetched.language or parsed.feed.get("language")
    # A feed with a flaw that still carries entries keeps them; the flaw is
    # noted on its fetch_log row.
    warning = (f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"[:300]
               if parsed.get("bozo") else None)
    items, undated = 0, []
    for position, entry in enumerate(parsed.entries):
        ref = f"{fetched.feed_url}#entry={position}"
        try:
            published, date_problem = _published(entry, fetched)
            yield _entry_story(entry, fetched, language, published)
            items += 1
            if date_problem:
                undated.append(date_problem)
        except InvalidStory as err:
            yield dead_letter(fetched.run_id, STAGE, "InvalidStory", str(err),
                              ref=ref, payload=repr(dict(entry))[:4096])
    if undated:
        note = (f"{len(undated)} entries kept without published_at (filed under the "
                f"fetch date): {undated[0]}")
        warning = f"{warning}; {note}" if warning else note
    yield dataclasses.replace(fetched.log_row(), items=items, warning=warning)


def _published(entry, fetched: FetchResult):
    """(published_at or None, why a date the entry gives was not used)."""
    # dict.get: FeedParserDict.get maps a missing key to another, with a warning.
    raw = _text(entry, "published") or _text(entry, "updated")
    try:
        published = (utc_from_struct(_struct_time(entry, "published_parsed"))
                     or utc_from_struct(_struct_time(entry, "updated_parsed")))
        if published is None and raw:
            published = utc_from_rfc822(raw)
        if published is None and raw:
            return None, f"date not understood: {raw[:60]!r}"
        return plausible_published(published, fetched.fetched_at), None
    except DateOutOfRange as err:
        return None, str(err)


def _struct_time(entry, key: str):
    """feedparser's parsed date, or None: an element the feed names
    `<updated_parsed>` puts its text where the struct_time goes."""
    value = dict.get(entry, key)
    return value if isinstance(value, time.struct_time) else None


def _text(entry, key: str) -> str:
    value = dict.get(entry, key)
    return value if isinstance(value, str) else ""


def _entry_story(entry, fetched: FetchResult, language, published) -> Story:
    url = entry.get("link")
    body, summary = _entry_body(entry)
    title = entry.get("title", "")
    return build_story(
        story_id=derive_story_id(fetched.feed_url, entry.get("id"), url,
                                 title, published),
        source=fetched.source, feed_url=fetched.feed_url, url=url,
        title=title, body_markup=body, summary_markup=summary,
        published_at=published, fetched_at=fetched.fetched_at,
        language=language, authors=_authors(entry), run_id=fetched.run_id)
