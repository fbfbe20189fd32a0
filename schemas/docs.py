"""docs/tables.md, rendered from the schemas: `python -m schemas.docs > docs/tables.md`."""

from __future__ import annotations

import sys

from schemas.columns import COLUMN_TEXT, PARTITION_TEXT, TABLE_TEXT
from schemas.tables import SCHEMA_VERSION, TABLES

HEADER = f"""# Tables

Generated from `schemas/` by `python -m schemas.docs > docs/tables.md`; a test
fails when this page is stale. Schema version {SCHEMA_VERSION}.

Each table is a Delta Lake table of Hive-partitioned Parquet under the output
folder (`DIR/TABLE/_delta_log/` beside the partition folders). Read a table's
current snapshot with `wirestream query`, `deltalake.DeltaTable(DIR/TABLE)`, or
DuckDB over `DeltaTable(...).file_uris()`; a plain glob over
`DIR/TABLE/**/*.parquet` also works, but after `wirestream compact` or a
`--reprocess` run, until `wirestream compact` vacuums them, it sees the
replaced files too. Timestamps are `timestamp[us, tz=UTC]`;
offsets are character offsets into the column `field` names.
"""


def render() -> str:
    parts = [HEADER]
    for name, spec in TABLES.items():
        parts.append(f"\n## {name}\n\n{TABLE_TEXT[name]}\n\n"
                     "| column | type | meaning |\n|---|---|---|")
        for field in spec.schema:
            text = COLUMN_TEXT[name][field.name].replace("|", "\\|")
            parts.append(f"| {field.name} | `{field.type}` | {text} |")
        parts.append(f"| {spec.partition_column} | `string` (partition) | "
                     f"{PARTITION_TEXT[spec.partition_column]} |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
