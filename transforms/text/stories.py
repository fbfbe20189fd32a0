"""Turning raw fields, from a feed entry or an archive line, into a Story."""

from __future__ import annotations

import calendar
import time
from datetime import datetime, timezone
from typing import Iterable, Optional

from schemas.records import Story
from transforms.text.ids import canonical_url, content_hash, stable_id
from transforms.text.language import detect_language
from transforms.text.markup import html_to_text, normalize_text, strip_markup_furniture
from transforms.text.wire import clean_title, clean_wire_body, find_agency


class InvalidStory(ValueError):
    """A record that cannot become a story (it goes to dead_letters)."""


def utc_from_struct(parsed: Optional[time.struct_time]) -> Optional[datetime]:
    """feedparser's *_parsed values are UTC struct_times."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return None


def utc_from_iso(value: Optional[str]) -> Optional[datetime]:
    """ISO 8601 to an aware UTC datetime; no offset means UTC (contract)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidStory(f"published is not a string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidStory(f"published is not ISO 8601: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def derive_story_id(feed_url: Optional[str], guid: Optional[str],
                    url: Optional[str], title: str,
                    published: Optional[datetime]) -> str:
    """A story_id that stays the same across runs (contract).

    A GUID that is a URI is global; a bare one ("12345") is only unique within
    its feed, so it is qualified by the feed. Without a GUID the canonical URL
    identifies the story; with neither, its feed, title and date do.
    """
    if guid:
        guid = guid.strip()
        if ":" in guid:
            return stable_id("guid", canonical_url(guid) or guid)
        return stable_id("guid", feed_url or "", guid)
    link = canonical_url(url)
    if link:
        return stable_id("url", link)
    stamp = published.isoformat() if published else ""
    return stable_id("item", feed_url or "", title, stamp)


def build_story(*, story_id: str, source: str, feed_url: Optional[str],
                url: Optional[str], title: Optional[str], body_markup: Optional[str],
                summary_markup: Optional[str], published_at: Optional[datetime],
                fetched_at: datetime, language: Optional[str],
                authors: Iterable[str], run_id: str) -> Story:
    """A clean Story from raw fields; raises InvalidStory for an empty one.

    Wire cleaning happens here, before anything reads the text: the dateline
    moves to `dateline`, the credited wire service to `agency`, and
    captions, credits and site furniture leave the body. The stored body is
    the cleaned text, so every offset computed later points into it. The
    language is the feed's hint, else detected from the cleaned text.
    """
    title_text, title_agency = clean_title(html_to_text(title))
    body = html_to_text(strip_markup_furniture(body_markup))
    summary = html_to_text(strip_markup_furniture(summary_markup)) or None
    if not body and summary:
        body, summary = summary, None
    body, dateline, text_agency = clean_wire_body(body)
    if not title_text and not body:
        raise InvalidStory("story has neither title nor body")
    author_names = tuple(normalize_text(a) for a in authors if a and a.strip())
    hint = (language or "").strip().lower() or None
    return Story(
        story_id=story_id,
        source=source,
        feed_url=feed_url,
        url=url or None,
        title=title_text,
        body=body,
        summary=summary,
        published_at=published_at,
        fetched_at=fetched_at,
        language=hint or detect_language(f"{title_text}\n{body}"),
        agency=text_agency or find_agency("", author_names) or title_agency,
        dateline=dateline,
        authors=author_names,
        content_hash=content_hash(title_text, body),
        run_id=run_id,
    )
