"""Fuzz target: any bytes a feed server may send -> stories, dead letters and
one fetch_log row, never an exception.

Run by tests/test_fuzz.py for a bounded time; by hand for longer:
    .venv/bin/python -m tests.fuzz_feed -max_total_time=600 CORPUS_DIR tests/fuzz_cases
(libFuzzer writes new inputs into the first directory only, so give it a
scratch one.) A crash leaves crash-* in the working directory: copy it into
tests/fuzz_cases/ so test_fuzz replays it for ever after.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone

from schemas.records import DeadLetter, FetchResult, Story

CONTENT_TYPES = (None, "application/rss+xml", "application/atom+xml; charset=utf-8",
                 "text/xml; charset=iso-8859-1", "text/html", "application/json")
FETCHED_AT = datetime(2026, 11, 25, 12, tzinfo=timezone.utc)


# Crashes inside feedparser itself, as (exception type, file it is raised
# in), kept in tests/fuzz_cases/ as found. In a run each is one ParserCrashed
# dead letter for its feed (test_fuzz checks that), so the fuzzer steps over
# any exception that passed through feedparser's code and looks for crashes
# in wirestream's own; a fixed one is deleted here and test_fuzz insists.
KNOWN: set[tuple[type, str]] = {
    # feedparser reads an encoding="..." name as UTF-8 and raises on junk
    # bytes in it. feed_bytes repairs the XML declaration at the start, but
    # feedparser's own search also finds one further into a mangled prolog
    # (crash-xml-encoding-name-later-in-prolog): UnicodeDecodeError.
    (ValueError, "feedparser/encodings.py"),
    # feedparser's link handling pops a <link> into a context with no
    # 'links' list (KeyError in its mixin); feed_bytes recovers some such
    # bodies, not this one (crash-feedparser-links-keyerror-2).
    (KeyError, "feedparser/mixin.py"),
    # Its strict parser unpacks an element name that a NUL-mangled
    # namespace declaration made into more than (namespace, name); lxml's
    # recovery keeps the element (crash-feedparser-strict-namespace, found
    # by a CI machine's fuzzing run).
    (ValueError, "feedparser/parsers/strict.py"),
}
# Fixed (transforms/text/feed_bytes.py), inputs kept in tests/fuzz_cases/:
# junk or a NUL in the leading declaration's encoding name, and the first
# links KeyError found (crash-feedparser-links-keyerror).


def known(err: BaseException) -> bool:
    """An exception raised through feedparser's own code: its bug, one
    ParserCrashed dead letter in a run."""
    import traceback
    frames = [frame.filename.replace("\\", "/")
              for frame in traceback.extract_tb(err.__traceback__)]
    return any("/feedparser/" in f for f in frames)


def check(data: bytes, parse_feed=None, skip_known: bool = False) -> None:
    """Parse `data` as a fetched feed body; fail on any broken promise."""
    if parse_feed is None:
        from transforms.text.feeds import parse_feed
    try:
        _check(data, parse_feed)
    except Exception as err:
        if not (skip_known and known(err)):
            raise


def _check(data: bytes, parse_feed) -> None:
    # The first byte picks the Content-Type the server claimed.
    content_type = CONTENT_TYPES[data[0] % len(CONTENT_TYPES)] if data else None
    fetched = FetchResult(run_id="fuzz", feed_url="https://fuzz.example/feed", source="fuzz",
                          status=200, not_modified=False, items=0, bytes=len(data),
                          duration_ms=1, error=None, fetched_at=FETCHED_AT, body=data[1:],
                          content_type=content_type)
    out = list(parse_feed(fetched))
    logs = [r for r in out if isinstance(r, FetchResult)]
    assert len(logs) == 1 and out[-1] is logs[0], "exactly one fetch_log row, last"
    stories = [r for r in out if isinstance(r, Story)]
    dead = [r for r in out if isinstance(r, DeadLetter)]
    assert len(stories) + len(dead) + 1 == len(out), "only stories and dead letters"
    assert logs[0].items == len(stories), "the log row counts the stories"
    assert logs[0].body is None, "the log row carries no body"
    for story in stories:
        assert story.story_id and (story.title or story.body), story
        assert story.content_hash
    if logs[0].error:
        assert not stories and [d.error for d in dead] == ["NotAFeed"], logs[0].error


def main(argv: list[str]) -> None:
    import atheris

    with atheris.instrument_imports():
        import defusedxml  # noqa: F401
        import feedparser  # noqa: F401

        from transforms.text import feed_bytes, feeds, markup, stories, wire  # noqa: F401
    atheris.Setup(argv, lambda data: check(data, feeds.parse_feed, skip_known=True))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
