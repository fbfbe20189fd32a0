"""SQL over the lake: DuckDB with each table's current Delta snapshot as a
view by its name, so an analyst writes

    select canonical, count(*) from entities join stories using (story_id) ...

Only the files of the snapshot are read, never a glob: a run being committed
or the small files a compaction replaced are not seen twice. Columns added by
a newer wirestream read as null in older files (union by name).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

import duckdb

from schemas.tables import TABLES, TableSpec
from transforms.lake import delta

FORMATS = ("table", "csv", "json")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _view_sql(spec: TableSpec, files: list[str]) -> str:
    listed = ", ".join(_quote(f) for f in files)
    return (f"create or replace view {spec.name} as select * from read_parquet("
            f"[{listed}], hive_partitioning = true, union_by_name = true)")


def connect(output: str, tables: dict[str, TableSpec] = TABLES,
            versions: Optional[dict[str, int]] = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per table of OUTPUT's current snapshot
    (or of the table versions `versions` names: Delta time travel).

    A table not written yet is an empty view with the table's columns, so a
    query over a new DIR returns no rows rather than an error.
    """
    con = duckdb.connect()
    for name, spec in tables.items():
        files = delta.snapshot_files(delta.table_uri(output, spec),
                                     (versions or {}).get(name))
        if files:
            con.execute(_view_sql(spec, files))
        else:
            empty = delta.delta_schema(spec).empty_table()
            con.register(f"_{name}_empty", empty)
            con.execute(f"create or replace view {name} as select * from _{name}_empty")
    return con


def run_sql(output: str, sql: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of one statement over OUTPUT's tables."""
    con = connect(output)
    count = len(con.extract_statements(sql))
    if count != 1:
        # DuckDB would run them all and return the last one's rows.
        raise duckdb.InvalidInputException(
            f"{count} SQL statements given; query runs exactly one")
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return columns, cursor.fetchall()


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _csv_cell(value):
    """A list or struct as JSON (what the json format writes), not Python's repr."""
    value = _plain(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _table_cell(value) -> str:
    """One line a row: a body's line breaks and tabs shown as \\n and \\t."""
    if value is None:
        return ""
    text = str(_csv_cell(value))
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r") \
        .replace("\t", "\\t")


def render(columns: list[str], rows: list[tuple], fmt: str) -> str:
    """Rows as an aligned text table, CSV or JSON Lines (one object a row)."""
    if fmt == "json":
        return "".join(json.dumps({c: _plain(v) for c, v in zip(columns, row)},
                                  ensure_ascii=False) + "\n" for row in rows)
    if fmt == "csv":
        sink = io.StringIO()
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_csv_cell(v) for v in row] for row in rows])
        return sink.getvalue()
    cells = [[str(c) for c in columns]] + [[_table_cell(v) for v in row] for row in rows]
    widths = [min(max(len(r[i]) for r in cells), 60) for i in range(len(columns))]
    lines = ["  ".join(cell[:60].ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"
