"""docs/tables.md is the schema, rendered: stale or undocumented columns fail."""

from pathlib import Path

from schemas.columns import COLUMN_TEXT
from schemas.docs import render
from schemas.tables import TABLES

DOC = Path(__file__).resolve().parents[1] / "docs" / "tables.md"


def test_every_column_of_every_table_says_what_it_holds():
    for name, spec in TABLES.items():
        assert set(COLUMN_TEXT[name]) == set(spec.columns), name


def test_docs_tables_md_is_current():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/tables.md is stale: python -m schemas.docs > docs/tables.md")
