import bz2
import gzip
import io
import json
import random
from datetime import datetime, timezone

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from schemas.records import DeadLetter, Story
from tests.conftest import SAMPLE
from transforms.text import ReadArchive
from transforms.text.archive import (
    MAX_LINE_BYTES,
    iter_archive,
    parse_archive_line,
    read_archive,
    read_archive_lines,
)
from transforms.text.stories import derive_story_id, utc_from_iso

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def line(**record) -> str:
    return json.dumps(record)


def test_archive_line_becomes_a_clean_story():
    story = parse_archive_line(line(
        id="a-1", title="Quake <b>hits</b> coast", body="<p>LIMA, Peru (AP) \u2014 A quake hit.</p>",
        url="https://example.org/q?utm_source=x", published="2024-03-01T10:00:00+02:00",
        source="example", authors=["Jane Roe"]), "f:1", "run", NOW)
    assert isinstance(story, Story)
    assert story.story_id == "a-1"  # kept verbatim (contract)
    assert story.title == "Quake hits coast"
    # the dateline and credit leave the stored body for their columns
    assert story.body == "A quake hit."
    assert story.published_at == datetime(2024, 3, 1, 8, 0, tzinfo=timezone.utc)
    assert (story.agency, story.dateline) == ("AP", "LIMA, Peru")
    assert story.authors == ("Jane Roe",)
    assert story.fetched_at == NOW and story.run_id == "run"


def test_without_id_the_story_id_comes_from_the_canonical_url():
    a = parse_archive_line(line(title="t", body="b", url="https://x.org/a?utm_medium=m"), "f:1", "r", NOW)
    b = parse_archive_line(line(title="t2", body="b2", url="https://X.org/a"), "f:2", "r", NOW)
    assert a.story_id == b.story_id == derive_story_id(None, None, "https://x.org/a", "", None)


@pytest.mark.parametrize("raw, error", [
    ("{not json", "InvalidJSON"),
    (line(url="https://x.org/only-url"), "InvalidStory"),
    (line(title="", body="  "), "InvalidStory"),
    (line(title="t", published="yesterday"), "InvalidStory"),
    (line(title="t", authors=[1, 2]), "InvalidStory"),
    ("[1, 2]", "InvalidStory"),
])
def test_bad_lines_are_dead_letters_with_their_line(raw, error):
    letter = parse_archive_line(raw, "archive.jsonl:7", "run", NOW)
    assert isinstance(letter, DeadLetter)
    assert (letter.stage, letter.error, letter.ref) == ("archive", error, "archive.jsonl:7")
    assert letter.payload == raw


def test_naive_timestamps_are_utc():
    assert utc_from_iso("2017-07-18T12:00:00") == datetime(2017, 7, 18, 12, tzinfo=timezone.utc)
    assert utc_from_iso("2017-07-18T12:00:00Z") == datetime(2017, 7, 18, 12, tzinfo=timezone.utc)


def test_iter_archive_numbers_lines_and_skips_blank_ones():
    records = list(iter_archive(['{"title": "a"}\n', "\n", "oops\n"], "x.jsonl", "r", NOW))
    assert [type(r).__name__ for r in records] == ["Story", "DeadLetter"]
    assert records[1].ref == "x.jsonl:3"


def test_read_archive_composite_returns_stories_and_dead_letters(beam_pipeline):
    path = str(SAMPLE / "archive-with-errors.jsonl")
    with beam_pipeline as p:
        stories, dead = p | ReadArchive([path], "run", NOW)
        assert_that(stories | beam.Map(lambda s: s.source), equal_to(["wikinews-archive"] * 5),
                    label="stories")
        assert_that(dead | beam.Map(lambda d: (d.error, d.ref.rsplit("/", 1)[-1])),
                    equal_to([("InvalidJSON", "archive-with-errors.jsonl:6"),
                              ("InvalidStory", "archive-with-errors.jsonl:7")]),
                    label="dead")


def test_read_archive_reads_gzipped_archives_line_by_line(beam_pipeline, tmp_path):
    # Beam decompresses .gz archives; a line over the limit inside one is
    # read past like any other, and the lines after it still count.
    path = tmp_path / "backfill.jsonl.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(line(id="z-1", title="First", body="One.").encode() + b"\n")
        handle.write(b'{"id": "big", "body": "' + b"x" * (MAX_LINE_BYTES + 1) + b'"}\n')
        handle.write(line(id="z-2", title="Last", body="Two.").encode() + b"\n")
    with beam_pipeline as p:
        stories, dead = p | ReadArchive([str(path)], "run", NOW)
        assert_that(stories | beam.Map(lambda s: s.story_id), equal_to(["z-1", "z-2"]),
                    label="stories")
        assert_that(dead | beam.Map(lambda d: (d.error, d.ref.rsplit("/", 1)[-1])),
                    equal_to([("LineTooLong", "backfill.jsonl.gz:2")]), label="dead")


def test_a_file_named_gz_that_is_not_gzip_is_one_dead_letter_and_the_run_goes_on(
        beam_pipeline, tmp_path):
    (tmp_path / "good.jsonl").write_text(line(id="g-1", title="Good", body="Fine.") + "\n")
    (tmp_path / "fake.jsonl.gz").write_bytes(b"not gzip at all\n")
    with beam_pipeline as p:
        stories, dead = p | ReadArchive([str(tmp_path / "*")], "run", NOW)
        assert_that(stories | beam.Map(lambda s: s.story_id), equal_to(["g-1"]),
                    label="stories")
        assert_that(dead | beam.Map(lambda d: (d.error, d.ref.rsplit("/", 1)[-1],
                                               "nothing read from it" in d.message)),
                    equal_to([("NotJSONLines", "fake.jsonl.gz", True)]), label="dead")


@pytest.mark.parametrize("module, suffix", [(gzip, "gz"), (bz2, "bz2")])
def test_an_archive_damaged_midway_keeps_the_lines_before_and_says_where_it_stopped(
        tmp_path, module, suffix):
    rng = random.Random(7)
    words = ["wire", "copy", "minister", "said", "talks", "port", "closed", "market",
             "shares", "rose", "fell", "court", "ruled", "storm", "north", "coast"]
    # Random words, so that the damage sits past the first piece a reader
    # decompresses. (Beam reads 16 MB of compressed data at a time, so in a
    # run a smaller damaged file is one dead letter with nothing read; the
    # standard library's readers here go piece by piece.)
    text = "".join(line(id=f"d-{i}", title=f"Story {i}",
                        body=" ".join(rng.choice(words) for _ in range(200))) + "\n"
                   for i in range(3000))
    packed = bytearray(module.compress(text.encode()))
    middle = len(packed) * 3 // 4
    packed[middle:middle + 64] = bytes(64)
    path = tmp_path / f"damaged.jsonl.{suffix}"
    path.write_bytes(bytes(packed))
    with module.open(path, "rb") as handle:
        items = list(read_archive_lines(handle, str(path), "run", NOW))
    lines, letters = items[:-1], items[-1:]
    assert all(isinstance(item, tuple) for item in lines)
    assert 0 < len(lines) < 3000
    assert [n.ref.rsplit(":", 1)[1] for n in lines] == [str(n) for n in range(1, len(lines) + 1)]
    (letter,) = letters
    assert isinstance(letter, DeadLetter) and letter.error == "NotJSONLines"
    assert f"stops decompressing at line {len(lines) + 1:,} " in letter.message
    assert f"its first {len(lines):,} line(s) were read, the rest was not" in letter.message

def test_an_io_error_is_not_taken_for_bad_compressed_data():
    # An error with an errno is the disk or the network: it must fail the
    # bundle (Beam retries it), not become a dead letter.
    from transforms.text.archive import bounded_lines

    class FailingDisk(io.BytesIO):
        def read(self, size=-1):
            raise OSError(5, "Input/output error")

    with pytest.raises(OSError):
        list(bounded_lines(FailingDisk(b"{}\n")))


def test_a_byte_order_mark_before_the_first_line_is_not_a_bad_line(tmp_path):
    # Windows tools write UTF-8 with a BOM; json.loads refuses it, so the
    # first story became an InvalidJSON dead letter.
    path = tmp_path / "from-windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (line(id="w-1", title="First", body="One.") + "\n"
                                         + line(id="w-2", title="Second", body="Two.")).encode())
    with open(path, "rb") as handle:
        records = list(read_archive(handle, str(path), "run", NOW))
    assert [(type(r).__name__, getattr(r, "story_id", None)) for r in records] == [
        ("Story", "w-1"), ("Story", "w-2")]


def test_lines_that_are_not_utf8_are_repaired_and_counted(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(line(id="u-1", title="Zürich", body="One.").encode() + b"\n"
                     + b'{"id": "c-2", "title": "Z\xfcrich \x96 Caf\xe9", "body": "Two."}\n')
    with open(path, "rb") as handle:
        numbered = list(read_archive_lines(handle, str(path), "run", NOW))
    assert [(n.ref.rsplit(":", 1)[1], n.repaired) for n in numbered] == [
        ("1", False), ("2", True)]
    pipeline = beam.Pipeline(runner=FnApiRunner())
    stories, _dead = pipeline | ReadArchive([str(path)], "run", NOW)
    assert_that(stories | beam.Map(lambda s: s.title), equal_to(["Zürich", "Zürich \u2013 Café"]))
    result = pipeline.run()
    result.wait_until_finish()
    repaired = result.metrics().query(MetricsFilter().with_name("archive_lines_repaired"))
    assert [c.committed for c in repaired["counters"]] == [1]


@pytest.mark.parametrize("module, suffix", [(None, ""), (gzip, ".gz")])
def test_a_file_cut_short_says_so_at_its_last_line(tmp_path, module, suffix):
    text = "".join(line(id=f"c-{i}", title=f"Story {i}", body="Words. " * 40) + "\n"
                   for i in range(300)).encode()
    data = text if module is None else module.compress(text)
    path = tmp_path / f"cut.jsonl{suffix}"
    path.write_bytes(data[:len(data) * 2 // 3])   # a download that stopped
    pipeline = beam.Pipeline(runner=FnApiRunner())
    stories, dead = pipeline | ReadArchive([str(path)], "run", NOW)
    assert_that(stories | beam.combiners.Count.Globally(),
                equal_to([pytest.approx(200, abs=25)]))
    assert_that(dead | beam.Map(lambda d: (d.error, d.message.split(" ends the file")[1])),
                equal_to([("InvalidJSON", " without a line end and is not whole JSON: "
                                          "the file was cut short")]), label="dead")
    pipeline.run().wait_until_finish()


def test_a_last_line_without_a_line_end_is_read_when_whole():
    data = (line(id="w-1", title="One", body="One.") + "\n"
            + line(id="w-2", title="Two", body="Two.")).encode()
    records = list(read_archive(io.BytesIO(data), "a.jsonl", "run", NOW))
    assert [getattr(r, "story_id", None) for r in records] == ["w-1", "w-2"]
