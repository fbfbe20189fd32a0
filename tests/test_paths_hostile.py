"""Names from feeds, archives and callers never become paths of their own.

`lake.paths` is the one place that joins paths under OUTPUT; every name it
makes from a value goes through `paths.safe_name`. These tests push
traversal (`..`, `/`, `\\`), NULs, hidden names and 1000-character names
through every path function that takes a value, then through whole runs
whose feeds and archives carry them in every field, and check that nothing
is written outside OUTPUT and every name under it is a plain one.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.config import new_run_id
from schemas.records import FetchResult
from schemas.tables import ALL_TABLES, STORIES
from tests.helpers import assert_conserved, manifests, sql
from transforms.fetch import raw_archive
from transforms.lake import paths
from transforms.lake.transforms import window_run_id

HOSTILE = [
    "..", "../../etc", "../../../../tmp/escaped", "a/b", "/abs/olute", "a\\b", "..\\..\\win",
    "a\x00b", "\x00", ".hidden", "", " ", "x" * 1000, "é/" * 300, "C:\\Windows", "a\ud800b",
    "*", "run-1/../../x", "~root", "%2e%2e%2f", "\n",
]
ROOT = "/data/out"
# A plain name: what every component under OUTPUT may be.
PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._=-]*")


def _components(path: str, root: str = ROOT) -> list[str]:
    assert path.startswith(root + "/"), path
    return path[len(root) + 1:].split("/")


def _assert_plain(path: str, expected_parts: int, root: str = ROOT) -> None:
    parts = _components(path, root)
    assert len(parts) == expected_parts, parts
    for part in parts:
        assert PLAIN.fullmatch(part), repr(part)
        assert ".." not in part and len(part.encode()) <= 255
    assert os.path.normpath(path).startswith(root + "/")


# --- 1. Every path function, every hostile value ---------------------------------

@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_run_ids_never_leave_their_folder(value):
    spec = ALL_TABLES["stories"]
    _assert_plain(paths.staging_dir(ROOT, value), 2)
    _assert_plain(paths.manifest_file(ROOT, value), 2)
    _assert_plain(paths.part_file(ROOT, spec, "2026-03-01", value), 3)
    _assert_plain(paths.part_file(paths.staging_dir(ROOT, value), spec, "2026-03-01", value), 5)
    _assert_plain(paths.raw_file(ROOT, "2026-03-01", value, "https://example.org/feed"), 3)
    pattern = paths.window_manifests_pattern(ROOT, value)
    assert _components(pattern)[0] == paths.MANIFEST_DIR
    assert PLAIN.fullmatch(_components(pattern)[1].replace("-w*.json", ""))


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
@pytest.mark.parametrize("table", sorted(ALL_TABLES))
def test_partition_values_never_leave_their_table(value, table):
    spec = ALL_TABLES[table]
    depth = len(_components(paths.table_dir(ROOT, spec)))
    _assert_plain(paths.partition_dir(ROOT, spec, value), depth + 1)
    _assert_plain(paths.part_file(ROOT, spec, value, "run"), depth + 2)
    pattern = paths.partition_files_pattern(ROOT, spec, value)
    assert _components(pattern)[:depth + 1] == _components(paths.partition_dir(ROOT, spec, value))


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_raw_files_never_leave_the_raw_folder(value):
    raw_root = "/data/raw"
    # the feed URL is hashed; the run date and id are made safe
    _assert_plain(paths.raw_file(raw_root, value, "run", f"https://example.org/{value}"), 3,
                  raw_root)
    _assert_plain(paths.raw_file(raw_root, "2026-03-01", value, value), 3, raw_root)
    assert paths.raw_file(raw_root, "2026-03-01", "run", value).endswith(paths.RAW_SUFFIX)


def test_different_values_never_share_a_name():
    names = [paths.safe_name(v) for v in HOSTILE + ["a_b", "a-b", "x" * 1001, "x" * 999]]
    assert len(set(names)) == len(names)
    # each name is the same for the same value, on every worker and run
    assert [paths.safe_name(v) for v in HOSTILE] == names[:len(HOSTILE)]


@pytest.mark.parametrize("value", [
    "2026-03-01", "20261202T073935Z-c1c57d", "20261202T073935Z-c1c57d-kept",
    "20261202T073935Z-c1c57d-w20261202T080000"])
def test_the_names_wirestream_makes_itself_are_unchanged(value):
    assert paths.safe_name(value) == value
    assert paths.partition_dir(ROOT, STORIES, value) == f"{ROOT}/stories/published_date={value}"


def test_run_ids_and_window_ids_are_safe_names():
    class _Window:
        class end:
            @staticmethod
            def to_utc_datetime():
                return datetime(2026, 12, 2, 8, 0)

    for _ in range(20):
        run_id = new_run_id(datetime.now(timezone.utc))
        assert paths.safe_name(run_id) == run_id
        assert paths.safe_name(window_run_id(run_id, _Window())) == window_run_id(run_id, _Window())


# --- 2. Whole runs with hostile names in every field ---------------------------------

def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


def _hostile_feed(number: int, value: str) -> bytes:
    escaped = (value.replace("&", "&amp;").replace("<", "&lt;").replace("\x00", "")
               .replace("\ud800", ""))
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{escaped}</title>"
            f"<item><title>Story {number} titled {escaped}</title>"
            f"<guid isPermaLink='false'>{escaped}</guid>"
            f"<link>https://example.org/{escaped}</link>"
            f"<description>Officials said story {number} had a hostile name.</description>"
            f"<pubDate>Mon, 06 Sep 2010 00:01:00 GMT</pubDate></item></channel></rss>").encode()


@pytest.fixture(scope="module")
def hostile_names_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-names")
    values = [v for v in HOSTILE if v.strip("\x00\n ") and "\ud800" not in v]
    lines = ["feeds:"]
    for number, value in enumerate(values):
        (folder / f"feed{number}.xml").write_bytes(_hostile_feed(number, value))
        source = json.dumps(value.replace("\x00", ""))
        lines += [f"  - url: feed{number}.xml", f"    source: {source}"]
    (folder / "feeds.yaml").write_text("\n".join(lines) + "\n")
    with open(folder / "archive.jsonl", "w") as handle:
        for number, value in enumerate(HOSTILE):
            handle.write(json.dumps({
                # an id with controls is a dead letter (not storable verbatim)
                "id": f"{value}-{number}" if value.isprintable() else f"unprintable-{number}",
                "title": f"Archived {number} {value}", "body": f"Body {number} said {value}.",
                "url": f"https://example.org/{value}", "source": value,
                "published": "2024-03-01T10:00:00Z"}) + "\n")
    before = _files(folder.parent)
    out = folder / "out"
    assert main(["run", "--feeds", str(folder / "feeds.yaml"), "--articles",
                 str(folder / "archive.jsonl"), "--output", str(out)]) == 0
    return folder, out, before, values


def test_nothing_is_written_outside_output(hostile_names_run):
    folder, out, before, _ = hostile_names_run
    created = {p for p in _files(folder.parent) - before if out not in p.parents and p != out}
    assert created == set()


def test_every_name_under_output_is_plain(hostile_names_run):
    _, out, _, _ = hostile_names_run
    names = [p.relative_to(out) for p in _files(out)]
    assert len(names) > 20
    for name in names:
        for part in name.parts:
            assert PLAIN.fullmatch(part) and len(part.encode()) <= 255, str(name)


def test_hostile_values_are_data_in_the_tables_not_paths(hostile_names_run):
    folder, out, _, values = hostile_names_run
    (manifest,) = manifests(out)
    assert_conserved(manifest)
    assert sql(out, "select count(*) from {stories}") == [(len(values) + len(HOSTILE),)]
    # archive ids are kept verbatim (contract), traversal and all
    stored = {row[0] for row in sql(out, "select story_id from {stories}")}
    assert "../../etc-1" in stored and "a/b-3" in stored and "x" * 1000 + "-12" in stored
    sources = {row[0] for row in sql(out, "select source from {stories}")}
    assert "../../../../tmp/escaped" in sources and "a\\b" in sources
    # the partitions are the stories' dates, nothing else
    assert sorted(p.name for p in (out / "stories").iterdir() if p.is_dir()
                  and p.name != "_delta_log") == ["published_date=2010-09-06",
                                                  "published_date=2024-03-01"]
    # raw responses are named by hashes of their feed URLs
    raw = sorted((out / "raw").rglob("*" + paths.RAW_SUFFIX))
    assert len(raw) == len(values)
    assert all(re.fullmatch(r"[0-9a-f]{20}-\d{8}T\d{12}Z\.feed\.gz", p.name) for p in raw)


# --- 3. Raw files that cannot be read back ----------------------------------------

def test_a_corrupt_raw_file_is_a_failed_fetch_not_a_crashed_replay(tmp_path):
    good = FetchResult(run_id="old", feed_url="https://example.org/feed", source="src",
                       status=200, not_modified=False, items=0, bytes=0, duration_ms=1,
                       error=None, fetched_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
                       body=b'<rss version="2.0"><channel><title>t</title><item><title>Kept'
                            b"</title><link>https://example.org/k</link></item></channel></rss>")
    folder = tmp_path / "raw" / "run_date=2026-03-01" / "old"
    folder.mkdir(parents=True)
    (folder / ("a" * 20 + paths.RAW_SUFFIX)).write_bytes(raw_archive.encode(good))
    corrupt = {"b": b"not gzip at all", "c": gzip.compress(b"[1, 2]\nbody"),
               "d": gzip.compress(b'{"feed_url": "x"}\nbody'),
               "e": raw_archive.encode(good)[:30]}
    for key, data in corrupt.items():
        (folder / (key * 20 + paths.RAW_SUFFIX)).write_bytes(data)
    out = tmp_path / "out"
    assert main(["run", "--replay", str(tmp_path / "raw"), "--output", str(out)]) == 0
    assert sql(out, "select title from {stories}") == [("Kept",)]
    errors = sorted(sql(out, "select error from {fetch_log} where error is not null"))
    assert [e[0].split(":")[0] for e in errors] == ["CorruptRaw"] * len(corrupt)
    assert any("header has no source" in e[0] for e in errors)
    assert any("not a JSON object" in e[0] for e in errors)
    (manifest,) = manifests(out)
    assert_conserved(manifest)
