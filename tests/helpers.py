"""Reading a run's output back, for the tests that run wirestream end to end."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds

from schemas.tables import TABLES


def table(out: Path | str, name: str) -> pa.Table:
    """Table `name` under OUTPUT, read as the contract says: a Hive dataset."""
    return ds.dataset(f"{out}/{name}", partitioning="hive", format="parquet").to_table()


def sql(out: Path | str, query: str) -> list[tuple]:
    """`query` with {name} standing for each table read as a Hive dataset."""
    sources = {name: f"read_parquet('{out}/{name}/**/*.parquet', hive_partitioning=true)"
               for name in TABLES}
    return duckdb.connect().execute(query.format(**sources)).fetchall()


def manifests(out: Path) -> list[dict]:
    """Every run's manifest under OUTPUT, oldest run first."""
    return [json.loads(p.read_text()) for p in sorted((out / "_manifests").glob("*.json"))]
