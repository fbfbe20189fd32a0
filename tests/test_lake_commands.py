"""What an analyst does with DIR every morning: `wirestream query` (and the
example queries), `wirestream report` opened in a real browser, and
`wirestream compact` while a scheduled run appends."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from deltalake import DeltaTable

from pipeline.cli import main
from schemas.tables import TABLES
from tests.conftest import REPO, SAMPLE
from tests.helpers import assert_all_conserved

QUERIES = REPO / "examples" / "queries"


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    """The sample feeds, plus a feed that fails, run once into DIR."""
    folder = tmp_path_factory.mktemp("lake")
    feeds = folder / "feeds.yaml"
    feeds.write_text("feeds:\n" + "".join(
        f"- url: {SAMPLE / name}\n  source: {source}\n  language: en\n"
        for name, source in (("wikinews-world.rss", "wikinews-world"),
                             ("wikinews-science.atom", "wikinews-science"),
                             ("syndicator.rss", "example-syndicator"),
                             ("missing.rss", "gone-feed"))))
    out = folder / "out"
    assert main(["run", "--feeds", str(feeds), "--output", str(out)]) == 0
    assert_all_conserved(out)
    return out


def query(out: Path, sql: str, capsys) -> list[dict]:
    assert main(["query", "--output", str(out), sql, "--format", "json"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_each_table_is_a_view_by_its_name(lake, capsys):
    rows = query(lake, "select count(*) as n, count(distinct cluster_id) as clusters "
                       "from stories join entities using (story_id)", capsys)
    assert rows[0]["n"] > 1000 and rows[0]["clusters"] == 21
    assert query(lake, "select count(*) as n from dead_letters", capsys) == [{"n": 1}]


def test_a_wrong_query_is_one_line_and_exit_2(lake, capsys):
    assert main(["query", "--output", str(lake), "select * from nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope" in err[0]
    assert main(["query", "--output", str(lake)]) == 2
    assert "the following arguments are required: sql" in capsys.readouterr().err
    # Two statements: DuckDB ran both and printed only the second's rows.
    assert main(["query", "--output", str(lake), "select 1; select count(*) from stories"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "wirestream: query: 2 SQL statements given; query runs exactly one"]


def test_a_query_of_a_folder_that_does_not_exist_is_an_error_not_empty_tables(
        tmp_path, capsys):
    assert main(["query", "--output", str(tmp_path / "nope"), "select count(*) from stories"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"wirestream: --output {tmp_path / 'nope'}: no such folder"]


def test_csv_and_table_formats(lake, capsys):
    assert main(["query", "--output", str(lake), "select source, count(*) as n from stories "
                 "group by source order by source", "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "source,n", "example-syndicator,3", "wikinews-science,10", "wikinews-world,11"]
    assert main(["query", "--output", str(lake), "select 1 as one"]) == 0
    assert capsys.readouterr().out.splitlines() == ["one", "---", "1", "(1 row)"]


def test_a_table_row_is_one_line_and_lists_are_json_in_csv(lake, capsys):
    # Bodies hold paragraphs: each broke a table row over several lines.
    sql = ("select body, authors from stories where body like '%' || chr(10) || '%' "
           "and len(authors) > 0 order by story_id limit 2")
    assert main(["query", "--output", str(lake), sql]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 + 2 + 1 and "\\n" in lines[2], lines
    assert main(["query", "--output", str(lake), sql, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))[1:]
    # A list column is JSON, as --format json writes it, not Python's repr.
    assert all(json.loads(authors) and isinstance(json.loads(authors), list)
               for _body, authors in rows)


def test_example_top_entities_per_day(lake, capsys):
    rows = query(lake, str(QUERIES / "top_entities_per_day.sql"), capsys)
    by_day = {}
    for row in rows:
        by_day.setdefault(row["published_date"], []).append(row)
    assert all(len(day) <= 3 for day in by_day.values())
    # "the United Kingdom Home Office" once and "the Home Office" five times:
    # one organisation, named in full.
    assert by_day["2023-02-23"][0] == {"published_date": "2023-02-23",
                                       "canonical": "United Kingdom Home Office",
                                       "label": "ORG", "mentions": 6}
    assert [r["mentions"] for r in by_day["2018-06-18"]] == [10, 10, 9]


def test_example_who_appears_with_whom(lake, capsys):
    rows = query(lake, str(QUERIES / "who_appears_with_whom.sql"), capsys)
    assert len(rows) == 20
    assert all(r["person"] < r["with_person"] or r["person"] != r["with_person"] for r in rows)
    assert {"person": "Alice Mak", "with_person": "Alvin Yeung", "stories": 1} in rows


def test_example_story_copies_and_lag(lake, capsys):
    rows = query(lake, str(QUERIES / "story_copies_and_lag.sql"), capsys)
    assert [(r["original_source"], r["copied_by"], r["lag_hours"]) for r in rows] == [
        ("wikinews-world", "example-syndicator", 3.0),
        ("wikinews-world", "example-syndicator", 3.0),
        ("wikinews-science", "example-syndicator", 6.0)]


def test_example_quotes_by_speaker(lake, capsys):
    rows = query(lake, str(QUERIES / "quotes_by_speaker.sql"), capsys)
    assert (rows[0]["speaker"], rows[0]["quotes"]) == ("Cres Eastman", 5)
    assert rows[0]["longest"].startswith("The effects of iodine deficiency")


def test_example_failing_feeds(lake, capsys):
    rows = query(lake, str(QUERIES / "failing_feeds.sql"), capsys)
    assert [(r["source"], r["failures"], r["fetches"]) for r in rows] == [("gone-feed", 1, 1)]
    assert "missing.rss" in rows[0]["last_error"] or "No such file" in rows[0]["last_error"]


# --- The report, in a real browser ------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                  "--window-size=1100,6000"]


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: tests/run.sh installs Debian's chromium")
        pytest.skip("chromium not installed (tests/run.sh installs it as root)")
    return subprocess.run([browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180)


def test_the_report_is_self_contained_and_every_chart_renders(lake, tmp_path, capsys):
    from PIL import Image

    from transforms.lake.report import SECTIONS

    page = tmp_path / "report.html"
    assert main(["report", "--output", str(lake), "--html", str(page)]) == 0
    text = page.read_text(encoding="utf-8")
    for remote in ('src="http', "src='http", 'href="http', "url(http", "@import", "@font-face"):
        assert remote not in text, remote
    assert "No data yet" not in text

    dom = chromium("--virtual-time-budget=5000", "--dump-dom", page.as_uri(),
                   profile=tmp_path / "p1").stdout
    drawn = [tuple(map(int, value.split(","))) for value in
             __import__("re").findall(r'data-drawn="([\d,]+)"', dom)]
    assert len(drawn) == len(SECTIONS)
    shot = tmp_path / "report.png"
    chromium(f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "p2")
    image = Image.open(shot).convert("L")
    for x, y, width, height in drawn:
        assert width > 300 and height > 80
        region = image.crop((x, y, min(x + width, image.width), min(y + height, image.height)))
        low, high = region.getextrema()
        dark = sum(region.histogram()[:128])
        # Axes, bars, lines and labels: a drawn chart has ink, not a blank box.
        assert high - low > 100 and dark > 500, (x, y, width, height)


@pytest.mark.parametrize("html, message", [
    (".", "is a folder; give a file name"),
    ("no-such-folder/r.html", "no such folder"),
])
def test_report_checks_where_the_page_goes_before_rendering_it(lake, tmp_path, capsys,
                                                               monkeypatch, html, message):
    monkeypatch.chdir(tmp_path)
    assert main(["report", "--output", str(lake), "--html", html]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"wirestream: --html {html}: {message}")


@pytest.mark.parametrize("command, flag, value", [
    ("report", "--since", "yesterday"),
    ("report", "--since", "2024-99-01"),  # reached DuckDB's cast: "ConversionException: ^^^"
    ("compact", "--before", "2024-02-30"),  # compacted nothing, silently
])
def test_report_and_compact_reject_a_date_that_is_no_day_in_one_line(
        lake, tmp_path, capsys, command, flag, value):
    extra = ["--html", str(tmp_path / "r.html")] if command == "report" else []
    assert main([command, "--output", str(lake), *extra, flag, value]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"wirestream: {flag} {value}: expected a date, YYYY-MM-DD"]


# --- Compaction while a run appends -----------------------------------------------

def rows_by_table(out: Path) -> dict[str, list[str]]:
    found = {}
    for name in TABLES:
        table = DeltaTable(str(out / name)).to_pyarrow_table()
        found[name] = sorted(json.dumps(row, sort_keys=True, default=str)
                             for row in table.to_pylist())
    return found


def checksum(rows: list[str]) -> str:
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def archive(path: Path, prefix: str, count: int) -> Path:
    lines = [json.dumps({"id": f"{prefix}-{i}", "title": f"Story {prefix} {i}",
                         "body": f"Council {prefix} number {i} met in Springfield on Monday "
                                 f"and voted {i} to {count - i} on the budget for {prefix}.",
                         "published": f"2026-11-0{1 + i % 3}T10:00:00Z", "source": "wire"})
             for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_compaction_keeps_every_row_while_a_run_appends(tmp_path):
    out = tmp_path / "out"
    for n in range(3):  # three scheduled runs: several files per partition
        assert main(["run", "--articles", str(archive(tmp_path / f"a{n}.jsonl", f"r{n}", 12)),
                     "--output", str(out)]) == 0
    before = rows_by_table(out)
    files_before = len(DeltaTable(str(out / "stories")).file_uris())

    appending = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "run", "--articles",
         str(archive(tmp_path / "late.jsonl", "late", 12)), "--output", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    compactions = 0
    while appending.poll() is None or compactions == 0:
        assert main(["compact", "--output", str(out)]) == 0
        compactions += 1
    _, err = appending.communicate()
    assert appending.returncode == 0, err[-2000:]
    assert main(["compact", "--output", str(out)]) == 0
    assert len(assert_all_conserved(out)) == 4

    after = rows_by_table(out)
    for name in TABLES:
        kept = [row for row in after[name] if row in set(before[name])]
        assert checksum(kept) == checksum(before[name]), name
    new_ids = {json.loads(r)["story_id"] for r in after["stories"]} - \
        {json.loads(r)["story_id"] for r in before["stories"]}
    assert new_ids == {f"late-{i}" for i in range(12)}
    assert len(after["stories"]) == len(before["stories"]) + 12
    # One file per partition once compacted: 3 days of stories.
    assert len(DeltaTable(str(out / "stories")).file_uris()) == 3 < files_before
    # No checkpoint in the log: the contract's plain glob still reads the
    # table (it sees the replaced files too until they are vacuumed).
    import duckdb
    globbed = duckdb.connect().execute(
        f"select count(distinct story_id) from read_parquet('{out}/stories/**/*.parquet', "
        "hive_partitioning=true)").fetchall()
    assert globbed == [(len(after["stories"]),)]
