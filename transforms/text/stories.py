"""Turning raw fields, from a feed entry or an archive line, into a Story."""

from __future__ import annotations

import calendar
import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Iterable, Optional

from schemas.records import Story
from transforms.text.ids import canonical_url, content_hash, stable_id
from transforms.text.language import detect_language
from transforms.text.markup import clean_line, html_to_text, strip_markup_furniture
from transforms.text.wire import clean_title, clean_wire_body, find_agency


class InvalidStory(ValueError):
    """A record that cannot become a story (it goes to dead_letters)."""


class DateOutOfRange(ValueError):
    """A publication date no story can have (year 0, 9999, ...). The story is
    kept without published_at, so it lands in its fetch date's partition as
    the contract says of undated stories, and the feed's log row (or, for an
    archive, the run's log) says so."""


# Outside these bounds a date is a placeholder ("0001-01-01", "9999-12-31")
# or a broken clock; it would make a partition no reader expects, and date
# arithmetic near year 9999 overflows.
EARLIEST_PUBLISHED = datetime(1800, 1, 1, tzinfo=timezone.utc)
LATEST_AFTER_FETCH = timedelta(days=5 * 365)
_YEAR_ZERO = re.compile(r"^[+-]?0+-")
# The year of "Sat, 01 Jan 0000": the email parser reads years below 100 as
# 19xx/20xx, which is right for "10" but not for "0000".
_RFC822_YEAR = re.compile(r"\b\d{1,2}\s+[A-Za-z]{3,}\.?\s+(\d+)\b")


def plausible_published(published: Optional[datetime],
                        fetched_at: datetime) -> Optional[datetime]:
    """The date itself, or DateOutOfRange when no story can have it."""
    if published is None:
        return None
    if published < EARLIEST_PUBLISHED or published - fetched_at > LATEST_AFTER_FETCH:
        raise DateOutOfRange(f"published {published.isoformat()} is out of range")
    return published


def utc_from_struct(parsed: Optional[time.struct_time]) -> Optional[datetime]:
    """feedparser's *_parsed values are UTC struct_times."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        raise DateOutOfRange(f"published {time.strftime('%Y-%m-%d', parsed)} "
                             "is out of range") from None


def utc_from_rfc822(value: str) -> Optional[datetime]:
    """An RFC 822 date feedparser gave up on: no zone ("Mon, 06 Sep 2010
    00:01:00") means UTC, as it does for ISO dates. None when it is no
    RFC 822 date at all; DateOutOfRange for year 0 and the like."""
    year = _RFC822_YEAR.search(value)
    if year and len(year.group(1)) > 2 and int(year.group(1)) < 1000:
        raise DateOutOfRange(f"published {value!r} is out of range")
    try:
        parsed = parsedate_to_datetime(value)
    except OverflowError:  # a day or hour with more digits than a C long holds
        raise DateOutOfRange(f"published {value!r} is out of range") from None
    except (TypeError, ValueError, IndexError) as err:
        if "out of range" in str(err):
            raise DateOutOfRange(f"published {value!r} is out of range") from None
        return None
    return _as_utc(parsed, value)


def _as_utc(parsed: datetime, value) -> datetime:
    """`parsed` in UTC (no zone means UTC); DateOutOfRange when moving it
    to UTC leaves the years Python can hold."""
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        raise DateOutOfRange(f"published {value!r} is out of range") from None


def utc_from_iso(value: Optional[str]) -> Optional[datetime]:
    """ISO 8601 to an aware UTC datetime; no offset means UTC (contract).
    InvalidStory for what is not ISO 8601, DateOutOfRange for a valid form
    Python cannot hold (year 0, 9999-12-31T23:00-05:00)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidStory(f"published is not a string: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        if _YEAR_ZERO.match(value.strip()):
            raise DateOutOfRange(f"published {value!r} is out of range") from None
        raise InvalidStory(f"published is not ISO 8601: {value!r}") from None
    return _as_utc(parsed, value)


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
    author_names = tuple(name for name in (clean_line(a) for a in authors) if name)
    hint = (language or "").strip().lower() or None
    return Story(
        story_id=story_id,
        source=clean_line(source) or "",
        feed_url=feed_url,
        url=clean_line(url),
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
