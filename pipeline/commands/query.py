"""`wirestream query`: SQL (DuckDB) over the current snapshot of the tables."""

from __future__ import annotations

import argparse
import sys
from typing import Optional

from pipeline import errors

SYNOPSIS = 'query --output DIR "SQL" [--format table|csv|json]'

DESCRIPTION = """Run one SQL statement (DuckDB) over OUTPUT's tables, each a view by its
name (stories, entities, relations, quotes, fetch_log, dead_letters), read
from its current Delta snapshot. Examples: examples/queries/."""


def parser() -> argparse.ArgumentParser:
    from transforms.lake.query import FORMATS

    parsed = errors.ArgumentParser(prog="wirestream query", description=DESCRIPTION)
    parsed.add_argument("--output", required=True, help="The wirestream output folder.")
    parsed.add_argument("sql", help="One SQL statement; a file path ending in .sql is read.")
    parsed.add_argument("--format", choices=FORMATS, default="table",
                        help="How rows are printed (default: an aligned table).")
    return parsed


def parse(argv: list[str]) -> Optional[argparse.Namespace]:
    args = parser().parse_command(argv)
    if args is not None and args.sql.endswith(".sql"):
        try:
            with open(args.sql, encoding="utf-8") as handle:
                args.sql = handle.read()
        except OSError as err:
            raise errors.ConfigError(f"{args.sql}: {err.strerror}") from None
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args is None:
        return errors.OK
    # A mistyped --output would otherwise read six empty tables and print 0.
    errors.check_output_exists(args.output)
    import duckdb

    from transforms.lake.query import render, run_sql

    try:
        columns, rows = run_sql(args.output, args.sql)
    except duckdb.Error as err:
        # A wrong query is the user's to fix, like a wrong option.
        raise errors.ConfigError(f"query: {errors.one_line(err)}") from None
    sys.stdout.write(render(columns, rows, args.format))
    return errors.OK
