"""The parse stage on hostile, broken and odd inputs.

Real inputs only: feedparser's own test corpus, real feeds from
../shared/data/feeds-real and small hand-written feeds for what a corpus
cannot carry (entity bombs, external entities). What a user relies on:

* no body, however broken, makes `parse_feed` raise;
* every entry feedparser finds ends as a story or as an entry-level dead
  letter, and the fetch_log row counts the stories;
* a body that is not a feed is exactly one NotAFeed dead letter;
* a DTD cannot read local files into stories nor blow up memory or time.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import feedparser
import pytest

from schemas.records import DeadLetter, FetchResult, Story
from tests.conftest import SAMPLE, shared_data
from tests.test_parse import fetched, split
from transforms.dedup.fingerprints import pick_one_copy
from transforms.text.feeds import parse_feed

# --- 1. feedparser's corpus ------------------------------------------------

# The corpus files carry the HTTP headers their test expects in the header
# comment ("Header: Content-type: text/xml; charset=us-ascii").
_CONTENT_TYPE_HEADER = re.compile(rb"^\s*Header:\s*Content-type:\s*(.*?)\s*$",
                                  re.I | re.M)


def _declared_content_type(body: bytes) -> str | None:
    match = _CONTENT_TYPE_HEADER.search(body[:2048])
    return match.group(1).decode("latin-1") if match else None


def _entries_feedparser_sees(body: bytes, content_type: str | None):
    """The reference: feedparser called the way parse_feed calls it."""
    headers = {"content-type": content_type} if content_type else {}
    return feedparser.parse(body, response_headers=headers,
                            sanitize_html=True, resolve_relative_uris=True)


def _check_accounting(name: str, outputs: list, reference, url: str) -> str:
    """Assert the per-file accounting; return the file's outcome class.

    * the last output, and only it, is the fetch_log row, without its body,
      for the same feed;
    * a file feedparser finds no entries in that is bozo or has no feed
      version is exactly one NotAFeed dead letter and an error on the log
      row with 0 items (a NotAFeed never hides entries);
    * otherwise the log row has no error, items == number of stories, and
      stories + entry-level (InvalidStory) dead letters == the entries
      feedparser sees, each dead letter pointing at a distinct entry;
    * the log row's warning is set exactly when feedparser calls it bozo;
    * a file with no story and no dead letter is one that really has no
      entries: a well-formed feed with a version and zero entries.
    """
    stories, dead, log = split(outputs)
    assert isinstance(outputs[-1], FetchResult), name
    assert log.body is None and log.feed_url == url, name
    entries = len(reference.entries)
    if [d.error for d in dead] == ["NotAFeed"]:
        assert entries == 0, name
        assert not stories, name
        assert log.items == 0 and log.error.startswith("NotAFeed"), name
        assert reference.get("bozo") or not reference.get("version"), name
        assert dead[0].ref == url and dead[0].stage == "parse", name
        return "notafeed"
    assert log.error is None, name
    assert {d.error for d in dead} <= {"InvalidStory"}, (name, dead)
    assert log.items == len(stories), name
    assert len(stories) + len(dead) == entries, (name, entries, len(stories), len(dead))
    positions = [int(d.ref.rsplit("#entry=", 1)[1]) for d in dead]
    assert all(d.ref.startswith(url + "#entry=") for d in dead), name
    assert len(set(positions)) == len(positions), name
    assert all(0 <= p < entries for p in positions), name
    if reference.get("bozo"):
        assert log.warning, name
    else:
        assert log.warning is None, name
    for story in stories:
        assert story.title or story.body, name
        assert story.feed_url == url and story.story_id, name
        assert story.published_at is None or story.published_at.utcoffset() == timedelta(0)
    if not stories and not dead:
        assert entries == 0 and reference.get("version"), name
        return "empty"
    return "entries"


def test_whole_feedparser_corpus_parses_with_exact_accounting():
    root = shared_data("feedparser-corpus")
    files = sorted(p for p in root.rglob("*")
                   if p.is_file() and p.name != "SOURCE.txt")
    assert len(files) == 2107
    started = time.perf_counter()
    crashed = []
    outcome = Counter()
    totals = Counter()
    for path in files:
        name = str(path.relative_to(root))
        body = path.read_bytes()
        content_type = _declared_content_type(body)
        url = f"https://corpus.example.org/{name}"
        try:
            outputs = list(parse_feed(fetched(body, url=url, content_type=content_type)))
        except Exception as err:  # noqa: BLE001 - the assertion below reports it
            crashed.append(f"{name}: {type(err).__name__}: {err}")
            continue
        reference = _entries_feedparser_sees(body, content_type)
        kind = _check_accounting(name, outputs, reference, url)
        outcome[kind] += 1
        stories = [o for o in outputs if isinstance(o, Story)]
        dead = [o for o in outputs if isinstance(o, DeadLetter)]
        log = outputs[-1]
        totals["stories"] += len(stories)
        totals["files with stories"] += bool(stories)
        totals["entry dead letters"] += sum(d.error == "InvalidStory" for d in dead)
        totals["NotAFeed dead letters"] += sum(d.error == "NotAFeed" for d in dead)
        totals["bozo-with-entries warnings"] += bool(log.warning and reference.entries)
    elapsed = time.perf_counter() - started
    assert not crashed, crashed[:20]
    print(f"\nfeedparser corpus: files={len(files)} "
          f"files with stories={totals['files with stories']} "
          f"stories={totals['stories']} "
          f"entry dead letters={totals['entry dead letters']} "
          f"NotAFeed dead letters={totals['NotAFeed dead letters']} "
          f"bozo-with-entries warnings={totals['bozo-with-entries warnings']} "
          f"files with no entries={outcome['empty']} "
          f"({elapsed:.1f} s, both parses)")
    assert sum(outcome.values()) == len(files)
    assert totals["NotAFeed dead letters"] == outcome["notafeed"]
    # Synthetic unit feeds: many test one feed-level element (no entries) or
    # one entry element (an entry with neither title nor body is an
    # InvalidStory dead letter); still, hundreds carry real stories.
    assert totals["files with stories"] > 400 and totals["stories"] > 400
    assert elapsed < 60


def test_corpus_json_feed_is_accounted_for():
    # feedparser 6.0 reads no JSON Feed: the one JSON file is a NotAFeed,
    # and the accounting above holds either way.
    path = shared_data("feedparser-corpus", "json", "example.json")
    body = path.read_bytes()
    outputs = list(parse_feed(fetched(body, content_type="application/feed+json")))
    stories, dead, log = split(outputs)
    reference = _entries_feedparser_sees(body, "application/feed+json")
    if reference.entries:  # a feedparser that reads JSON Feed
        assert log.items == len(stories) == len(reference.entries) - len(dead)
    else:
        assert [d.error for d in dead] == ["NotAFeed"] and log.items == 0


# --- 2. XML safety ------------------------------------------------------------

_XXE_FEEDS = {
    "rss, inline internal subset": b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t &xxe;</title>
<item><title>Leak &xxe; here</title><description>Body &xxe; end</description>
<link>https://example.org/a</link></item>
</channel></rss>""",
    "rss, one declaration a line": b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<rss version="2.0"><channel><title>t</title>
<item><title>Leak &xxe; here</title><description>Body &xxe; end</description>
<link>https://example.org/a</link></item>
</channel></rss>""",
    "rss, parameter entity": b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY % file SYSTEM "file:///etc/passwd">
  <!ENTITY % eval "<!ENTITY xxe '%file;'>">
  %eval;
]>
<rss version="2.0"><channel><title>t</title>
<item><title>Leak &xxe; here</title><description>Body &xxe; end</description>
<link>https://example.org/a</link></item>
</channel></rss>""",
    "atom, title content and summary": b"""<?xml version="1.0"?>
<!DOCTYPE feed [
<!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id>
<entry><id>urn:x:1</id><title>Leak &xxe; here</title>
<content type="html">Body &xxe; end</content><summary>S &xxe;</summary></entry>
</feed>""",
}


@pytest.mark.parametrize("label", list(_XXE_FEEDS))
def test_external_entities_never_read_local_files(label):
    outputs = list(parse_feed(fetched(_XXE_FEEDS[label])))
    stories, dead, log = split(outputs)
    assert stories or dead
    for story in stories:
        for text in (story.title, story.body, story.summary or ""):
            assert "root:" not in text and "/bin/" not in text
    for letter in dead:
        assert "root:" not in (letter.payload or "") + letter.message
    # The entry itself survives; only the entity is not expanded.
    assert [s.title for s in stories] == ["Leak &xxe; here"]
    assert log.warning  # undefined entity: bozo, kept


def _billion_laughs(inline: bool) -> bytes:
    levels = [b'<!ENTITY lol "lol">']
    for level in range(1, 10):
        previous = b"lol" if level == 1 else b"lol%d" % (level - 1)
        levels.append(b'<!ENTITY lol%d "%s">' % (level, (b"&" + previous + b";") * 10))
    joiner = b" " if inline else b"\n "
    return (b'<?xml version="1.0"?>\n<!DOCTYPE rss [' + joiner + joiner.join(levels)
            + b"\n]>\n<rss version=\"2.0\"><channel><title>t</title>"
            b"<item><title>Bomb &lol9;</title><description>&lol9; &lol5;</description>"
            b"<link>https://example.org/bomb</link></item></channel></rss>")


@pytest.mark.parametrize("inline", [False, True], ids=["multiline", "inline"])
def test_billion_laughs_is_not_expanded(inline):
    started = time.perf_counter()
    outputs = list(parse_feed(fetched(_billion_laughs(inline))))
    elapsed = time.perf_counter() - started
    stories, dead, log = split(outputs)
    assert elapsed < 5
    assert stories or dead
    total = sum(len(s.title) + len(s.body) + len(s.summary or "") for s in stories)
    assert total < 100_000
    assert log.items == len(stories)


def _quadratic_blowup(entity_chars: int, references: int) -> bytes:
    """One large plain-text entity referenced many times (no nesting)."""
    return (b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "'
            + b"x" * entity_chars + b'">\n]>\n<rss version="2.0"><channel><title>t</title>'
            b"<item><title>q</title><link>https://example.org/q</link><description>"
            + b"&a;" * references + b"</description></item></channel></rss>")


def test_quadratic_entity_blowup_is_bounded():
    body = _quadratic_blowup(10_000, 1_000)  # 13 KB of feed
    started = time.perf_counter()
    stories, dead, log = split(parse_feed(fetched(body)))
    elapsed = time.perf_counter() - started
    assert stories or dead
    assert elapsed < 5
    total = sum(len(s.title) + len(s.body) + len(s.summary or "") for s in stories)
    assert total < 100_000


# --- 3. Charsets ------------------------------------------------------------

def _latin1_feed() -> bytes:
    body = shared_data("feeds-real", "rss-parser", "encoding.rss").read_bytes()
    # The premise: ISO-8859-1 bytes, declared only in the XML declaration.
    assert body.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    body.decode("latin-1")
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    return body


LATIN1_TITLE = "Mãe de utente é a nova presidente da Raríssimas"


@pytest.mark.parametrize("content_type", ["application/xml", "application/rss+xml", None])
def test_latin1_declared_in_xml_only_reads_accents_right(content_type):
    stories, dead, log = split(parse_feed(fetched(_latin1_feed(), content_type=content_type)))
    assert len(stories) == log.items == 40 and not dead
    assert stories[0].title == LATIN1_TITLE
    assert "Sónia" in stories[0].body
    text = " ".join(s.title + s.body for s in stories)
    assert "\ufffd" not in text and "Ã" not in text
    assert log.warning is None


def test_latin1_served_as_text_xml_without_charset_still_reads_right():
    # RFC 3023 makes text/xml without charset us-ascii; the bytes are not,
    # so feedparser falls back to the declared ISO-8859-1 and says so.
    stories, dead, log = split(parse_feed(fetched(_latin1_feed(), content_type="text/xml")))
    assert len(stories) == log.items == 40 and not dead
    assert stories[0].title == LATIN1_TITLE
    assert log.warning.startswith("CharacterEncodingOverride")


def test_latin1_without_declaration_reads_accents_right():
    body = shared_data("feeds-real", "rss-parser", "uolNoticias.rss").read_bytes()
    assert not body.lstrip().startswith(b"<?xml")
    stories, dead, log = split(parse_feed(fetched(body, content_type="application/xml")))
    assert len(stories) == log.items == 15 and not dead
    assert stories[0].title.endswith("simulações de 2º turno")
    assert "\ufffd" not in " ".join(s.title + s.body for s in stories)
    # Declared utf-8 by default, read as windows-1252: noted on the log row.
    assert log.warning.startswith("CharacterEncodingOverride")


def test_latin1_served_as_utf8_keeps_entries_and_text_with_a_warning():
    right, _, _ = split(parse_feed(fetched(_latin1_feed(), content_type="application/xml")))
    stories, dead, log = split(parse_feed(fetched(
        _latin1_feed(), content_type="application/rss+xml; charset=utf-8")))
    assert not dead and log.items == len(stories) == 40
    # The bytes are not UTF-8, so feedparser falls back and reads them right.
    assert [s.title for s in stories] == [s.title for s in right]
    assert [s.story_id for s in stories] == [s.story_id for s in right]
    assert log.warning.startswith("CharacterEncodingOverride")


def test_latin1_served_with_another_single_byte_charset_keeps_entries():
    # KOI8-R decodes any byte, so the header wins (RFC 3023) and accented
    # text comes out mangled ("MЦe de utente"); what holds is that nothing
    # crashes, no entry is lost and the ids (from GUIDs/links) are the same.
    right, _, _ = split(parse_feed(fetched(_latin1_feed(), content_type="application/xml")))
    stories, dead, log = split(parse_feed(fetched(
        _latin1_feed(), content_type="application/rss+xml; charset=koi8-r")))
    assert not dead and log.error is None and log.items == len(stories) == 40
    assert [s.story_id for s in stories] == [s.story_id for s in right]
    assert [s.url for s in stories] == [s.url for s in right]


def test_utf8_feed_with_bogus_charset_header_reads_right():
    body = shared_data("feeds-real", "rss-parser", "heise.atom").read_bytes()
    right, _, _ = split(parse_feed(fetched(body)))
    stories, dead, log = split(parse_feed(fetched(
        body, content_type="application/atom+xml; charset=no-such-charset")))
    assert len(stories) == len(right) == 15 and not dead
    assert [s.title for s in stories] == [s.title for s in right]
    assert any("für" in s.title for s in stories)
    assert log.warning.startswith("CharacterEncodingOverride")


# --- 4. Wrong or missing Content-Type ----------------------------------------

@pytest.mark.parametrize("content_type", ["text/html", "text/html; charset=utf-8",
                                          "text/plain", "application/octet-stream", None])
@pytest.mark.parametrize("feed", ["guardian.rss", "heise.atom", "rss-1.rss"])
def test_real_feed_with_wrong_or_missing_content_type_keeps_its_entries(feed, content_type):
    body = shared_data("feeds-real", "rss-parser", feed).read_bytes()
    right, _, right_log = split(parse_feed(fetched(body, content_type="application/xml")))
    stories, dead, log = split(parse_feed(fetched(body, content_type=content_type)))
    assert right and not dead and log.error is None
    assert log.items == len(stories) == len(right)
    assert [s.story_id for s in stories] == [s.story_id for s in right]
    assert [s.title for s in stories] == [s.title for s in right]


def test_sample_feed_served_as_text_html_is_parsed_and_flagged():
    body = (SAMPLE / "wikinews-world.rss").read_bytes()
    stories, dead, log = split(parse_feed(fetched(body, content_type="text/html")))
    assert len(stories) == log.items == 11 and not dead
    # Flagged as bozo (text/* means us-ascii per RFC 3023, the bytes are
    # UTF-8): the warning names that, the stories are intact.
    assert log.warning and log.error is None
    assert all(s.title and s.body for s in stories)


# --- 5. story_id without GUID or link; duplicated GUIDs ----------------------

NO_ID_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bulletins</title><link>https://example.org/</link>
<item><title>Storm warning for the coast</title>
  <description>Winds of 120 km/h are expected tonight.</description>
  <pubDate>Tue, 24 Nov 2026 18:00:00 GMT</pubDate></item>
<item><title>Storm warning lifted</title>
  <description>The warning was lifted at dawn.</description>
  <pubDate>Wed, 25 Nov 2026 06:00:00 GMT</pubDate></item>
<item><description>Untitled and undated bulletin.</description></item>
</channel></rss>"""


def test_entries_without_guid_or_link_get_stable_distinct_feed_qualified_ids():
    first, dead, _ = split(parse_feed(fetched(NO_ID_FEED, url="https://a.example.org/feed")))
    again, _, _ = split(parse_feed(fetched(NO_ID_FEED, url="https://a.example.org/feed")))
    elsewhere, _, _ = split(parse_feed(fetched(NO_ID_FEED, url="https://b.example.org/feed")))
    assert not dead and len(first) == 3
    assert all(s.url is None for s in first)
    ids = [s.story_id for s in first]
    assert ids == [s.story_id for s in again]  # same bytes, same ids
    assert len(set(ids)) == 3  # different entries, different ids
    # No GUID and no link: the id is qualified by the feed URL, so the same
    # bytes from another feed are other stories.
    assert not set(ids) & {s.story_id for s in elsewhere}


def test_entries_with_a_link_but_no_guid_are_global():
    body = NO_ID_FEED.replace(b"<title>Storm warning lifted</title>",
                              b"<title>Storm warning lifted</title>"
                              b"<link>https://example.org/lifted?utm_source=rss</link>")
    here, _, _ = split(parse_feed(fetched(body, url="https://a.example.org/feed")))
    there, _, _ = split(parse_feed(fetched(body, url="https://b.example.org/feed")))
    assert here[1].story_id == there[1].story_id
    assert here[0].story_id != there[0].story_id


DUPLICATE_GUID_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>https://example.org/</link>
<item><guid isPermaLink="false">story-1234</guid><title>Quake hits the coast (update)</title>
  <description>A second, longer version of the story.</description>
  <pubDate>Wed, 25 Nov 2026 09:30:00 GMT</pubDate></item>
<item><guid isPermaLink="false">story-1234</guid><title>Quake hits the coast</title>
  <description>First version of the story.</description>
  <pubDate>Wed, 25 Nov 2026 08:00:00 GMT</pubDate></item>
<item><guid isPermaLink="false">story-9999</guid><title>Other</title>
  <description>Unrelated.</description></item>
</channel></rss>"""


def test_duplicated_guids_are_both_parsed_and_dedup_keeps_the_earliest():
    stories, dead, log = split(parse_feed(fetched(DUPLICATE_GUID_FEED)))
    assert not dead and log.items == len(stories) == 3
    update, original, other = stories
    assert update.story_id == original.story_id != other.story_id
    kept, merged = pick_one_copy([update, original])
    assert merged == 1
    assert kept is original and kept.title == "Quake hits the coast"
    # The order the copies arrive in does not matter.
    assert pick_one_copy([original, update]) == (original, 1)
    # A bare GUID is only unique within its feed.
    mirrored, _, _ = split(parse_feed(fetched(DUPLICATE_GUID_FEED,
                                              url="https://mirror.example.org/feed")))
    assert mirrored[0].story_id != update.story_id


# --- 6. Bozo feeds with entries, and bodies that are not feeds ----------------

GOOD_ITEMS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Wire</title><link>https://example.org/</link>
<item><title>First</title><link>https://example.org/1</link>
  <description>One.</description></item>
<item><title>Second</title><link>https://example.org/2</link>
  <description>Two.</description></item>
"""

BOZO_FEEDS = {
    "unescaped ampersand": GOOD_ITEMS.replace(b"<title>First</title>",
                                              b"<title>AT&T and P&G First</title>")
    + b"</channel></rss>",
    "missing closing tags": GOOD_ITEMS,
    "truncated closing tag": GOOD_ITEMS + b"</channel></rs",
    "truncated inside an item": GOOD_ITEMS + b"<item><title>Thi",
    "undefined entity": GOOD_ITEMS.replace(b"One.", b"One&nbsp;&hellip;")
    + b"</channel></rss>",
    "mismatched tag": GOOD_ITEMS.replace(b"<description>Two.</description>",
                                         b"<description>Two.</descr>") + b"</channel></rss>",
}


@pytest.mark.parametrize("label", list(BOZO_FEEDS))
def test_bozo_feeds_with_entries_keep_them_and_set_a_warning(label):
    stories, dead, log = split(parse_feed(fetched(BOZO_FEEDS[label])))
    assert log.error is None
    assert isinstance(log.warning, str) and log.warning.strip()
    assert len(log.warning) <= 300
    assert log.items == len(stories) >= 2
    assert not [d for d in dead if d.error == "NotAFeed"]
    urls = [s.url for s in stories]
    assert urls[:2] == ["https://example.org/1", "https://example.org/2"]
    assert "First" in stories[0].title


AMPERSAND_HEADLINES = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Markets</title><link>https://example.org/</link>
<item><title>S&P 500 closes higher as AT&T rallies</title><link>https://example.org/1</link>
  <description>S&P 500 closes higher; M&A talk lifts AT&T.</description></item>
<item><title>Q&A: what the rate cut means</title><link>https://example.org/2</link>
  <description>Questions & answers.</description></item>
</channel></rss>"""


def test_unescaped_ampersands_keep_entries_and_body_text():
    stories, dead, log = split(parse_feed(fetched(AMPERSAND_HEADLINES)))
    assert len(stories) == log.items == 2 and not dead and log.warning
    # Bodies (HTML-typed) come out right.
    assert stories[0].body == "S&P 500 closes higher; M&A talk lifts AT&T."
    assert stories[1].body == "Questions & answers."


def test_unescaped_ampersands_in_titles_are_kept_verbatim():
    stories, _, _ = split(parse_feed(fetched(AMPERSAND_HEADLINES)))
    assert [s.title for s in stories] == ["S&P 500 closes higher as AT&T rallies",
                                          "Q&A: what the rate cut means"]


def test_well_formed_feed_has_no_warning():
    stories, dead, log = split(parse_feed(fetched(GOOD_ITEMS + b"</channel></rss>")))
    assert len(stories) == log.items == 2 and not dead
    assert log.warning is None and log.error is None


def test_feed_with_no_items_is_an_empty_log_row_not_a_dead_letter():
    body = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>
    <link>https://example.org/</link><description>Nothing today</description></channel></rss>"""
    outputs = list(parse_feed(fetched(body, content_type="application/rss+xml")))
    assert len(outputs) == 1
    (log,) = outputs
    assert log.items == 0 and log.error is None and log.warning is None


QUIET_FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Breaking news</title><link>https://example.org/</link>
<description>Nothing breaking right now</description></channel></rss>"""


@pytest.mark.parametrize("body, content_type", [
    pytest.param(QUIET_FEED, "text/html", id="served as text/html"),
    pytest.param(QUIET_FEED, "text/plain", id="served as text/plain"),
    pytest.param(QUIET_FEED.replace(b"right now", b"right&nbsp;now"),
                 "application/rss+xml", id="html entity in the channel"),
])
def test_a_real_feed_with_no_items_is_not_a_dead_letter_even_when_bozo(body, content_type):
    outputs = list(parse_feed(fetched(body, content_type=content_type)))
    assert not [o for o in outputs if isinstance(o, DeadLetter)]
    (log,) = outputs
    assert log.error is None and log.items == 0 and log.warning


NOT_FEEDS = {
    "html page": b"<!DOCTYPE html><html><head><title>Moved</title></head>"
                 b"<body><p>This page has moved. <a href='/rss'>RSS</a></p></body></html>",
    "real html redirect page": None,  # feeds-real/rss-parser/unrecognized.rss
    "json error object": b'{"error": {"code": 403, "message": "Forbidden"}}',
    "json array": b'[{"title": "not a feed"}]',
    "empty": b"",
    "whitespace only": b"   \r\n\t  \n",
    "xml that is not a feed": b'<?xml version="1.0"?><Error><Code>AccessDenied</Code>'
                              b"<Message>Access Denied</Message></Error>",
    "plain text": b"Service temporarily unavailable. Please retry later.\n",
    "binary": bytes(range(256)) * 4,
    "gzip bytes": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(64)),
}


@pytest.mark.parametrize("content_type", [None, "application/json", "application/rss+xml"])
@pytest.mark.parametrize("label", list(NOT_FEEDS))
def test_bodies_that_are_not_feeds_whatever_the_content_type(label, content_type):
    body = NOT_FEEDS[label]
    if body is None:
        body = shared_data("feeds-real", "rss-parser", "unrecognized.rss").read_bytes()
    outputs = list(parse_feed(fetched(body, content_type=content_type)))
    stories, dead, log = split(outputs)
    assert not stories
    assert [d.error for d in dead] == ["NotAFeed"]
    assert dead[0].ref == "https://example.org/feed" and dead[0].stage == "parse"
    assert dead[0].payload is not None and len(dead[0].payload) <= 4096
    assert log.error.startswith("NotAFeed") and log.items == 0
    assert outputs[-1] is log and log.body is None


def test_not_a_feed_payload_keeps_the_start_of_the_body():
    body = b"<html><body>" + b"<p>filler</p>" * 1000 + b"</body></html>"
    _, dead, _ = split(parse_feed(fetched(body, content_type="text/html")))
    assert dead[0].payload == body[:4096].decode("utf-8")


def test_an_authors_element_feedparser_does_not_know_is_one_author_not_a_crash():
    # Found by fuzzing (tests/fuzz_cases/crash-f5b7ac905196): feedparser
    # keeps an unknown <authors> element's text where it keeps its list of
    # author dicts.
    body = (b'<rss version="2.0"><channel><title>W</title>'
            b'<item><title>A</title><link>https://e.org/a</link>'
            b'<authors>Ann Reporter</authors><description>Text here.</description></item>'
            b'<item><title>B</title><link>https://e.org/b</link>'
            b'<authors>  </authors><description>More text.</description></item>'
            b'</channel></rss>')
    stories, dead, log = split(parse_feed(fetched(body)))
    assert len(stories) == log.items == 2 and not dead
    assert [list(s.authors) for s in stories] == [["Ann Reporter"], []]


def test_an_element_named_like_feedparsers_parsed_date_is_not_taken_for_a_date():
    # Found by fuzzing (tests/fuzz_cases/crash-cde1f71da949): feedparser
    # keeps the text of an <updated_parsed> element where its parsed
    # struct_time goes; with a pubDate it cannot read, that text was next.
    body = (b'<rss version="2.0"><channel><title>W</title>'
            b'<item><title>A</title><link>https://e.org/a</link>'
            b'<pubDate>sometime last week</pubDate>'
            b'<updated_parsed>Doe</updated_parsed><description>Text here.</description></item>'
            b'<item><title>B</title><link>https://e.org/b</link>'
            b'<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate>'
            b'<updated_parsed>Doe</updated_parsed><description>More text.</description></item>'
            b'</channel></rss>')
    stories, dead, log = split(parse_feed(fetched(body)))
    assert len(stories) == log.items == 2 and not dead
    assert [s.published_at for s in stories] == [
        None, datetime(2026, 11, 23, 8, tzinfo=timezone.utc)]
    assert "date not understood: 'sometime last week'" in log.warning
