"""Hostile and broken input to the text stage, each with a defined outcome.

Every input is built here and goes through the real parse (`parse_feed`,
`read_archive`) and, where what reaches the tables matters, a whole
`wirestream run` on local files:

* XML: external entities (general, parameter, external DTD, XInclude) never
  read a planted secret file nor reach a recording HTTP server; entity bombs
  stay small in a fresh process's peak memory;
* HTML nested past lxml's depth limit keeps its text; broken HTML keeps its
  words;
* mixed encodings: stray windows-1252 bytes in a UTF-8 feed are read as such,
  the rest stays right, and the log row says so; invalid UTF-8 in an archive
  line becomes U+FFFD;
* NULs and control characters leave every text column, and entity offsets
  still point at their text;
* a date in year 0 or 9999 (or 5 years after the fetch) is dropped: the
  story is kept with published_at null, filed under its fetch date (the
  contract's rule for undated stories), and the feed's log row warns; a date
  without a zone is UTC;
* a GUID that changes on every fetch gives a new story_id every run; dedup
  catches the copy by its text, as a duplicate of the first run's story;
* 10,000 entries in one feed are 10,000 stories;
* an archive line over 10 MB is one LineTooLong dead letter; a binary file
  is one NotJSONLines dead letter; a text file that is not JSON Lines is a
  dead letter per line; the run completes and its counts reconcile.
"""

from __future__ import annotations

import gzip
import http.server
import io
import json
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipeline.cli import main
from schemas.records import DeadLetter, Story
from tests.conftest import REPO
from tests.helpers import assert_all_conserved, assert_conserved, manifests, sql
from tests.test_parse import NOW, fetched, split
from transforms.text.archive import (
    MAX_LINE_BYTES,
    OversizedLine,
    bounded_lines,
    read_archive,
)
from transforms.text.feeds import parse_feed

SECRET = "TOPSECRET-4f1c9"


def rss(items: bytes, doctype: bytes = b"", encoding: bytes = b"utf-8") -> bytes:
    return (b'<?xml version="1.0" encoding="' + encoding + b'"?>\n' + doctype
            + b'\n<rss version="2.0"><channel><title>Hostile</title>'
            + items + b"</channel></rss>")


def item(title: bytes, description: bytes = b"Body text of the story.",
         link: bytes = b"https://example.org/a", extra: bytes = b"") -> bytes:
    return (b"<item><title>" + title + b"</title><description>" + description
            + b"</description><link>" + link + b"</link>" + extra + b"</item>")


# --- 1. External entities and XInclude -------------------------------------

class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers everything with an entity-shaped body and records the path."""

    def do_GET(self):
        self.server.hits.append(self.path)
        body = f'<!ENTITY xxe "{SECRET}">'.encode() if self.path.endswith(".dtd") \
            else SECRET.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def recorder():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def _xxe_feeds(secret: Path, base: str) -> dict[str, bytes]:
    """One feed per way of making a parser read something it was not given."""
    uri = secret.as_uri()
    uses = item(b"Leak &xxe; here", b"Body &xxe; end")
    xi = b'xmlns:xi="http://www.w3.org/2001/XInclude"'
    return {
        "general entity, file": rss(uses, f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{uri}">]>'.encode()),
        "general entity, http": rss(uses, f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{base}/ent">]>'.encode()),
        "parameter entity, file": rss(uses, (
            f'<!DOCTYPE rss [<!ENTITY % f SYSTEM "{uri}">'
            f"<!ENTITY % e \"<!ENTITY xxe '%f;'>\"> %e;]>").encode()),
        "parameter entity, http DTD": rss(uses, (
            f'<!DOCTYPE rss [<!ENTITY % ext SYSTEM "{base}/param.dtd"> %ext;]>').encode()),
        "external DTD, SYSTEM": rss(uses, f'<!DOCTYPE rss SYSTEM "{base}/doc.dtd">'.encode()),
        "external DTD, PUBLIC": rss(uses, f'<!DOCTYPE rss PUBLIC "-//X//EN" "{base}/pub.dtd">'.encode()),
        "XInclude": rss(item(
            b"XInclude here",
            f'Body <xi:include {xi} href="{uri}" parse="text"/> and '
            f'<xi:include {xi} href="{base}/xi" parse="text"/> end'.encode(),
            extra=f'<content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/">'
                  f'<![CDATA[<p>Body</p><xi:include {xi} href="{uri}" parse="text"/>]]>'
                  f"</content:encoded>".encode())),
    }


XXE_LABELS = list(_xxe_feeds(Path("/x"), "http://x"))


@pytest.mark.parametrize("label", XXE_LABELS)
def test_external_entities_and_xinclude_read_nothing(label, secret_file, recorder):
    base = f"http://127.0.0.1:{recorder.server_address[1]}"
    recorder.hits.clear()
    body = _xxe_feeds(secret_file, base)[label]
    outputs = list(parse_feed(fetched(body)))
    stories, dead, log = split(outputs)
    # The entry survives (only the entity is left out) ...
    assert len(stories) == 1 and not dead and log.items == 1
    assert stories[0].title.startswith(("Leak", "XInclude"))
    # ... and nothing anywhere in the output came from the file or the server.
    assert SECRET not in repr(outputs)
    assert recorder.hits == []


def test_xxe_feeds_in_a_whole_run_leave_no_secret_in_any_output_byte(
        tmp_path, secret_file, recorder):
    base = f"http://127.0.0.1:{recorder.server_address[1]}"
    recorder.hits.clear()
    feeds = _xxe_feeds(secret_file, base)
    lines = ["feeds:"]
    for number, body in enumerate(feeds.values()):
        (tmp_path / f"feed{number}.xml").write_bytes(
            body.replace(b"https://example.org/a", f"https://example.org/{number}".encode()))
        lines += [f"  - url: feed{number}.xml", f"    source: hostile-{number}"]
    (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    assert main(["run", "--feeds", str(tmp_path / "feeds.yaml"), "--output", str(out)]) == 0
    assert_all_conserved(out)
    assert sql(out, "select count(*) from {stories}") == [(len(feeds),)]
    scanned = 0
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        elif path.suffix == ".parquet":
            # Parquet pages are compressed: look at the values themselves.
            data = repr(pq.read_table(path).to_pylist()).encode()
        assert SECRET.encode() not in data, path
        scanned += 1
    assert scanned > 10
    assert recorder.hits == []


def test_a_feed_that_crashes_feedparser_is_read_from_lxmls_recovery(secret_file, recorder):
    # The fuzzer's kept case: broken nesting makes feedparser raise KeyError
    # in its link handling; recovered by lxml (no DTD, no entities, no
    # network), its entries are kept, even with an external entity planted.
    crash = (REPO / "tests" / "fuzz_cases" / "crash-feedparser-links-keyerror").read_bytes()[1:]
    base = f"http://127.0.0.1:{recorder.server_address[1]}"
    recorder.hits.clear()
    planted = crash.replace(b'<?xml version="1.0"?>', (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret_file.as_uri()}">'
        f'<!ENTITY web SYSTEM "{base}/ent">]>').encode(), 1).replace(
        b"<title>W</title>", b"<title>W &xxe; &web;</title>", 1)
    for body in (crash, planted):
        outputs = list(parse_feed(fetched(body)))
        stories, dead, log = split(outputs)
        assert stories and not dead and log.items == len(stories)
        assert log.warning == ("Repaired: feedparser raised KeyError; read from the XML "
                               "as lxml recovers it")
        assert SECRET not in repr(outputs)
    assert recorder.hits == []


# --- 2. Entity bombs: peak memory of a fresh process -------------------------

# The child imports the parse stage only (no Beam), so its start is cheap.
_PARSE_IN_CHILD = """
import sys
from datetime import datetime, timezone
from schemas.records import DeadLetter, FetchResult, Story
from transforms.text.feeds import parse_feed
body = sys.stdin.buffer.read()
feed = FetchResult(run_id="run", feed_url="https://example.org/feed", source="src",
                   status=200, not_modified=False, items=0, bytes=len(body), duration_ms=1,
                   error=None, fetched_at=datetime.now(timezone.utc), body=body,
                   language="en")  # no language model loaded: it would dwarf the parse
outputs = list(parse_feed(feed))
# VmHWM, not ru_maxrss: the latter keeps the forking parent's size across exec.
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
stories = [o for o in outputs if isinstance(o, Story)]
dead = [o for o in outputs if isinstance(o, DeadLetter)]
(log,) = [o for o in outputs if isinstance(o, FetchResult)]
text = sum(len(s.title) + len(s.body) + len(s.summary or '') for s in stories)
print(peak, len(stories), len(dead), log.items, text)
"""


def _parse_in_child(body: bytes) -> tuple[int, ...]:
    """(peak RSS in KB, stories, dead letters, items, text chars)."""
    done = subprocess.run([sys.executable, "-c", _PARSE_IN_CHILD], input=body,
                          capture_output=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return tuple(int(v) for v in done.stdout.split())


def _nested_bomb(parameter: bool, joiner: str = "") -> bytes:
    """Ten levels of eight references each: 8**10 expansions, every
    declaration short enough to pass a length filter. On one line, expat's
    own guard stops it late (3 s, 80 MB more); one a line, early."""
    mark = "%" if parameter else "&"
    decls = [f'<!ENTITY {"% " if parameter else ""}a0 "lol">']
    for level in range(1, 11):
        decls.append(f'<!ENTITY {"% " if parameter else ""}a{level} '
                     f'"{(mark + f"a{level - 1};") * 8}">')
    if parameter:
        decls.append('<!ENTITY a10 "%a10;">')
    return rss(item(b"Bomb &a10; here", b"x &a10; &a10; y"),
               ("<!DOCTYPE rss [" + joiner.join(decls) + "]>").encode())


def _wide_bomb() -> bytes:
    """One 60-character entity referenced 200,000 times (600 KB of feed): no
    nesting, short enough for the length filter, under expat's 100x guard;
    expanded, a 12-million-character body."""
    return (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY w "' + b"w" * 60 + b'">]>'
            b'<rss version="2.0"><channel><title>t</title>' + item(b"Wide", b"&w;" * 200_000)
            + b"</channel></rss>")


def _plain_like(body: bytes) -> bytes:
    """A feed as long as `body` with words where the entities were."""
    return rss(item(b"Plain", b"word " * max(1, (len(body) - 150) // 5)))


@pytest.mark.parametrize("body", [_nested_bomb(False), _nested_bomb(False, "\n"),
                                  _nested_bomb(True), _wide_bomb()],
                         ids=["nested general", "nested, one a line", "nested parameter", "wide"])
def test_entity_bombs_stay_small_in_memory_and_text(body):
    plain_peak = _parse_in_child(_plain_like(body))[0]
    peak, stories, dead, items, text = _parse_in_child(body)
    print(f"peak RSS: {peak} KB (a plain feed of the same size: {plain_peak} KB)")
    # A bomb's parse peaks below twice a plain feed's of the same size (left
    # to expat's own guard, the inline nested one peaked at 3.7 times).
    assert peak < 2 * plain_peak
    assert stories == items == 1 and dead == 0
    # no entity was expanded: the text is no longer than the feed
    assert text < len(body)


# --- 3. HTML ------------------------------------------------------------------

@pytest.mark.parametrize("depth", [300, 50_000])
def test_html_nested_past_the_parser_depth_limit_keeps_its_text(depth):
    html = (b"<p>Lead paragraph.</p>" + b"<div><span>" * depth + b"Deep words here."
            + b"</span></div>" * depth + b"<p>Last paragraph.</p>")
    stories, dead, log = split(parse_feed(fetched(rss(item(
        b"Deep", b"<![CDATA[" + html + b"]]>")))))
    assert not dead and log.items == 1
    body = stories[0].body
    assert body.split("\n\n") == ["Lead paragraph.", "Deep words here.", "Last paragraph."]


def test_malformed_html_keeps_its_words_and_drops_its_scripts():
    html = (b"<p>First <b>bold <i>both</b> still</i> words<p>Second<table><tr><td>cell"
            b"<div class=x>div text</span></p></p><script>var s='hidden';</script>"
            b"<a href='javascript:alert(1)'>link text</a><img src=x onerror=alert(1)>"
            b"<p>Unclosed <em>end")
    stories, dead, log = split(parse_feed(fetched(rss(item(
        b"Broken <b>markup", b"<![CDATA[" + html + b"]]>")))))
    assert not dead and log.items == 1
    story = stories[0]
    assert story.title == "Broken markup"
    for words in ("First bold both still words", "Second", "cell", "div text",
                  "link text", "Unclosed end"):
        assert words in " ".join(story.body.split()), words
    assert "hidden" not in story.body and "alert" not in story.body and "<" not in story.body


# --- 4. Encodings ---------------------------------------------------------------

_UTF8_ITEMS = item("Zürich café talks".encode(), "Señor Müller said «yes» — twice.".encode())


def test_stray_windows_1252_bytes_in_a_utf8_feed_are_read_as_such():
    stray = item(b"Legacy Caf\xe9 says \x93hello\x94", link=b"https://example.org/b")
    stories, dead, log = split(parse_feed(fetched(rss(_UTF8_ITEMS + stray))))
    assert not dead and log.items == 2
    assert [s.title for s in stories] == ["Zürich café talks", "Legacy Café says “hello”"]
    assert stories[0].body == "Señor Müller said «yes» — twice."
    assert log.warning == "Repaired: 3 byte(s) of invalid UTF-8 read as windows-1252"


def test_a_utf8_feed_stays_utf8_and_has_no_warning():
    stories, _, log = split(parse_feed(fetched(rss(_UTF8_ITEMS))))
    assert stories[0].title == "Zürich café talks" and log.warning is None


def test_utf16_feed_reads_right():
    body = rss(_UTF8_ITEMS, encoding=b"utf-16").decode("utf-8").encode("utf-16")
    stories, dead, log = split(parse_feed(fetched(body)))
    assert not dead and [s.title for s in stories] == ["Zürich café talks"]


def test_invalid_utf8_in_an_archive_line_is_read_as_windows_1252():
    # A line written by a Windows tool (or a latin-1 archive) among UTF-8
    # ones: its stray bytes are windows-1252 text, not U+FFFD.
    data = b'{"id": "enc-1", "title": "Caf\xe9 \x93ok\x94", "body": "na\xc3\xafve"}\n'
    (story,) = read_archive(io.BytesIO(data), "a.jsonl", "run", NOW)
    assert isinstance(story, Story)
    assert (story.title, story.body) == ("Café \u201cok\u201d", "naïve")


# --- 5. NULs and control characters ---------------------------------------------

_CONTROL_CHARS = [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"] + \
    [chr(c) for c in range(0x7f, 0xa0) if c != 0x85] + ["\ud800", "\udfff", "\ufffe", "\uffff"]


def _text_columns(story: Story) -> list[str]:
    return [story.title, story.body, story.summary or "", story.source, story.url or "",
            *story.authors, story.dateline or ""]


def test_controls_and_nuls_leave_every_text_column_of_a_feed_entry():
    stories, dead, log = split(parse_feed(fetched(rss(item(
        b"Nul\x00 and \x1b[31mescape\x07", b"Body\x00 with &#0; &#1; &#x1b; \x7f\xc2\x85\xc2\x9f end",
        extra=b"<author>a@example.org (Jane\x00 Roe)</author>")))))
    assert not dead and log.items == 1
    story = stories[0]
    assert story.title == "Nul and [31mescape"
    for text in _text_columns(story):
        assert not any(c in text for c in _CONTROL_CHARS), repr(text)


def test_control_bytes_are_removed_before_parsing_and_noted():
    # Illegal in XML, each would fail the strict parse and hand the feed to
    # feedparser's loose parser; removed, the feed parses strictly.
    stories, dead, log = split(parse_feed(fetched(rss(
        item(b"Vertical\x0btab and\x00 NUL", b"Escape \x1b[0m and bell\x07.")
        + item(b"Second", link=b"https://example.org/b")))))
    assert not dead and log.items == 2
    assert [s.title for s in stories] == ["Verticaltab and NUL", "Second"]
    assert stories[0].body == "Escape [0m and bell."
    assert log.warning == "Repaired: 4 control byte(s) removed"


@pytest.mark.parametrize("name", [b"iso-8859-1\xff\xfe", b"utf\x00-8", b"\xe9\xe9"])
def test_an_encoding_name_that_is_no_name_is_read_as_utf8(name):
    body = rss(_UTF8_ITEMS).replace(b'encoding="utf-8"', b'encoding="' + name + b'"')
    stories, dead, log = split(parse_feed(fetched(body)))
    assert not dead and [s.title for s in stories] == ["Zürich café talks"]


def test_controls_surrogates_and_nuls_leave_every_text_column_of_an_archive_line():
    record = {"id": "ctl-1", "title": "A\u0000B\u001bC\ud800", "body": "x\u0000y\u0007 z\u009f",
              "summary": "s\u0000", "source": "src\u0000/\n..", "url": "https://e.org/\u0000a",
              "authors": ["Jane\u0000 Roe", "\u0000"]}
    (story,) = read_archive(io.BytesIO(json.dumps(record).encode() + b"\n"), "a.jsonl",
                            "run", NOW)
    assert isinstance(story, Story)
    assert (story.title, story.body, story.source, story.authors) == (
        "ABC", "xy z", "src/ ..", ("Jane Roe",))
    for text in _text_columns(story):
        assert not any(c in text for c in _CONTROL_CHARS), repr(text)


@pytest.mark.parametrize("given_id", ["a\u0000b", "x\ud800", "tab\there"])
def test_an_archive_id_that_cannot_be_stored_verbatim_is_a_dead_letter(given_id):
    line = json.dumps({"id": given_id, "title": "t", "body": "b"}).encode()
    (letter,) = read_archive(io.BytesIO(line), "a.jsonl", "run", NOW)
    assert isinstance(letter, DeadLetter)
    assert (letter.error, letter.ref) == ("InvalidStory", "a.jsonl:1")
    assert "id contains control characters" in letter.message


# --- 6. Dates ---------------------------------------------------------------------

@pytest.mark.parametrize("date, published", [
    (b"Fri, 31 Dec 9999 23:59:59 GMT", None),
    (b"Sat, 01 Jan 0000 00:00:00 GMT", None),
    (b"0001-01-01T00:00:00Z", None),
    (b"9999-12-31T23:59:59-05:00", None),
    (b"Mon, 01 Jan 2035 00:00:00 GMT", None),           # over 5 years after the fetch
    (b"Mon, 23 Nov 2026 " + b"5" * 40 + b":00:00 GMT", None),  # an hour no C long holds
    (b"Mon, 06 Sep 2010 00:01:00", datetime(2010, 9, 6, 0, 1, tzinfo=timezone.utc)),
    (b"2010-09-06T00:01:00", datetime(2010, 9, 6, 0, 1, tzinfo=timezone.utc)),
    (b"Mon, 06 Sep 2010 00:01:00 +0200", datetime(2010, 9, 5, 22, 1, tzinfo=timezone.utc)),
])
def test_feed_dates_out_of_range_are_dropped_with_a_warning_zoneless_are_utc(date, published):
    stories, dead, log = split(parse_feed(fetched(rss(item(
        b"Dated", extra=b"<pubDate>" + date + b"</pubDate>")))))
    assert not dead and log.items == 1
    assert stories[0].published_at == published
    if published is None:
        assert "1 entries kept without published_at" in log.warning
        assert "out of range" in log.warning
    else:
        assert log.warning is None


def test_a_date_nobody_can_read_is_dropped_with_a_warning():
    stories, _, log = split(parse_feed(fetched(rss(item(
        b"Dated", extra=b"<pubDate>the day after tomorrow</pubDate>")))))
    assert stories[0].published_at is None
    assert "date not understood: 'the day after tomorrow'" in log.warning


@pytest.mark.parametrize("published, expected", [
    ("0000-01-01T00:00:00", None),
    ("9999-12-31T23:59:59-05:00", None),
    ("9999-12-31T00:00:00Z", None),
    ("0001-01-01", None),
    ("2024-03-01T10:00:00", datetime(2024, 3, 1, 10, tzinfo=timezone.utc)),
])
def test_archive_dates_out_of_range_are_dropped_and_logged(published, expected, caplog):
    line = json.dumps({"id": "d", "title": "t", "body": "b", "published": published}).encode()
    (story,) = read_archive(io.BytesIO(line), "a.jsonl", "run", NOW)
    assert isinstance(story, Story) and story.published_at == expected
    if expected is None:
        assert any("a.jsonl:1" in r.getMessage() and "out of range" in r.getMessage()
                   for r in caplog.records)


# --- 7. Many entries, huge lines, files that are not JSON Lines ---------------------

def test_ten_thousand_entries_are_ten_thousand_stories():
    items = b"".join(item(b"Story %d on the budget" % i,
                          b"Officials said on Monday that report %d was filed." % i,
                          link=b"https://example.org/s/%d" % i) for i in range(10_000))
    started = time.perf_counter()
    stories, dead, log = split(parse_feed(fetched(rss(items))))
    print(f"10,000 entries parsed in {time.perf_counter() - started:.1f} s")
    assert not dead and log.items == len(stories) == 10_000
    assert len({s.story_id for s in stories}) == 10_000


def test_bounded_lines_reads_past_a_line_over_the_limit():
    data = b'{"title": "a"}\n' + b"x" * (3 * 1024 * 1024 + 5) + b'\n\n{"title": "c"}'
    lines = list(bounded_lines(io.BytesIO(data), limit=1024 * 1024))
    assert lines[0] == b'{"title": "a"}' and lines[2:] == [b"", b'{"title": "c"}']
    assert lines[1] == OversizedLine(3 * 1024 * 1024 + 5, b"x" * 4096)
    # a line of exactly the limit is a line
    assert list(bounded_lines(io.BytesIO(b"y" * 10 + b"\nz"), limit=10)) == [b"y" * 10, b"z"]
    # an oversized last line without a newline
    assert list(bounded_lines(io.BytesIO(b"a\n" + b"q" * 30), limit=10)) == [
        b"a", OversizedLine(30, b"q" * 30)]


@pytest.mark.parametrize("head, kind", [
    (gzip.compress(b'{"title": "a"}\n'), "gzip data"),
    (b"PK\x03\x04rest", "a zip archive"),
    (b"%PDF-1.7\n%\xe2\xe3", "a PDF document"),
    (b"PAR1\x15\x04", "a Parquet file"),
    (b"\x00\x01\x02 bytes\n{\"title\": \"t\"}\n", "binary data (NUL bytes)"),
])
def test_a_binary_file_is_one_dead_letter_naming_what_it_is(head, kind):
    (letter,) = read_archive(io.BytesIO(head), "dump.jsonl", "run", NOW)
    assert isinstance(letter, DeadLetter)
    assert (letter.error, letter.ref) == ("NotJSONLines", "dump.jsonl")
    assert letter.message.startswith(f"dump.jsonl is {kind}")


# --- 8. Whole runs: archives and a feed whose GUIDs change -----------------------------

HUGE_LINE = b'{"id": "huge", "title": "huge", "body": "' + b"a" * (50 * 1024 * 1024) + b'"}'


@pytest.fixture(scope="module")
def hostile_archive_run(tmp_path_factory):
    """One run over archives holding the cases above, into a fresh DIR."""
    folder = tmp_path_factory.mktemp("hostile-archive")
    good = {"id": "ctl-story", "source": "wire", "published": "9999-12-31T00:00:00Z",
            "title": "Storm\u0000 hits Lima",
            "body": "Officials\u0000 in Lima,\u001b Peru said on Monday that Maria "
                    "Gonzalez\u0007 of the Red Cross would lead the relief effort."}
    year_zero = {"id": "year-zero", "title": "Year zero", "body": "A short story.",
                 "published": "0000-01-01T00:00:00"}
    zoneless = {"id": "zoneless", "title": "Zoneless", "body": "Another short story.",
                "published": "2024-03-01T10:00:00"}
    with open(folder / "mixed.jsonl", "wb") as handle:
        for record in (good, year_zero):
            handle.write(json.dumps(record).encode() + b"\n")
        # a 50 MB line: one JSON string, valid but over the limit
        handle.write(HUGE_LINE + b"\n")
        handle.write(json.dumps(zoneless).encode() + b"\n")
    (folder / "table.jsonl").write_text("id,title,body\n1,A,B\n")
    (folder / "packed.jsonl").write_bytes(gzip.compress(b'{"title": "t"}\n'))
    out = folder / "out"
    assert main(["run", "--articles", str(folder / "*.jsonl"), "--output", str(out)]) == 0
    return out


def test_hostile_archive_run_completes_and_reconciles(hostile_archive_run):
    out = hostile_archive_run
    (manifest,) = manifests(out)
    assert_conserved(manifest)
    assert sorted(sql(out, "select story_id from {stories}")) == [
        ("ctl-story",), ("year-zero",), ("zoneless",)]
    dead = sorted(sql(out, "select error, regexp_replace(ref, '.*/', '') from {dead_letters}"))
    assert dead == [("InvalidJSON", "table.jsonl:1"), ("InvalidJSON", "table.jsonl:2"),
                    ("LineTooLong", "mixed.jsonl:3"), ("NotJSONLines", "packed.jsonl")]
    ((message, payload_chars),) = sql(
        out, "select message, length(payload) from {dead_letters} where error = 'LineTooLong'")
    assert message == (f"line 3 is {len(HUGE_LINE):,} bytes, over the "
                       f"{MAX_LINE_BYTES:,}-byte limit of an archive line")
    assert payload_chars == 4096


def test_out_of_range_dates_are_null_and_filed_under_the_fetch_date(hostile_archive_run):
    out = hostile_archive_run
    (manifest,) = manifests(out)
    run_date = manifest["started_at"][:10]
    rows = dict((story_id, (published, str(day))) for story_id, published, day in sql(
        out, "select story_id, published_at, published_date from {stories}"))
    assert rows["ctl-story"] == (None, run_date)
    assert rows["year-zero"] == (None, run_date)
    assert rows["zoneless"][1] == "2024-03-01"


def test_text_without_controls_keeps_entity_offsets_valid(hostile_archive_run):
    out = hostile_archive_run
    ((title, body),) = sql(out, "select title, body from {stories} where story_id = 'ctl-story'")
    assert title == "Storm hits Lima"
    assert body.startswith("Officials in Lima, Peru said")
    mentions = sql(out, "select field, start_char, end_char, text from {entities} "
                        "where story_id = 'ctl-story'")
    assert any(text == "Maria Gonzalez" for *_, text in mentions)
    for field, start, end, text in mentions:
        assert (title if field == "title" else body)[start:end] == text


def test_a_guid_that_changes_on_every_fetch_is_caught_by_dedup_content(tmp_path, capsys):
    """Each fetch's entry has a new GUID, so a new story_id: the second run
    stores a second row, which dedup marks as a duplicate of the first
    (same text); no entities are extracted for it."""
    body = ("<p>GENEVA (Reuters) - The World Health Organization said on Tuesday that "
            "a new outbreak of cholera in three provinces had been contained after "
            "a vaccination campaign reached more than two million people, and that "
            "officials would keep monitoring water supplies in the region for weeks.</p>")
    feed = tmp_path / "feed.xml"
    (tmp_path / "feeds.yaml").write_text("feeds:\n  - url: feed.xml\n    source: churn\n")
    out = tmp_path / "out"
    for fetch in (1, 2):
        feed.write_bytes(rss(item(b"WHO says cholera outbreak contained",
                                  b"<![CDATA[" + body.encode() + b"]]>", link=b"",
                                  extra=b"<guid isPermaLink='false'>tag-%d-%f</guid>"
                                  % (fetch, time.time()))))
        assert main(["run", "--feeds", str(tmp_path / "feeds.yaml"), "--output", str(out)]) == 0
    rows = sql(out, "select story_id, cluster_id, duplicate_of, run_id from {stories} "
                    "order by run_id")
    assert len(rows) == 2 and rows[0][0] != rows[1][0]
    first, second = rows
    assert first[1:3] == (first[0], None)
    assert second[1:3] == (first[0], first[0])
    assert sql(out, f"select count(*) from {{entities}} where story_id = '{second[0]}'") == [(0,)]
    assert sql(out, f"select count(*) > 0 from {{entities}} where story_id = '{first[0]}'") == [
        (True,)]


def test_a_folder_as_an_archive_is_a_usage_error_in_one_line(tmp_path):
    # (a glob matches files only, so only a folder named outright gets here)
    given = "backfill"
    (tmp_path / "backfill").mkdir()
    done = subprocess.run([sys.executable, "-m", "pipeline.cli", "run", "--articles",
                           str(tmp_path / given), "--output", str(tmp_path / "out")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("wirestream:")]
    assert errors == [f"wirestream: --articles {tmp_path / given}: {tmp_path / 'backfill'} "
                      "is a folder; give files or a glob such as FOLDER/*.jsonl"]
    assert "Traceback" not in done.stderr
