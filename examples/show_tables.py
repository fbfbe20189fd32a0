"""Print what a wirestream output folder holds, with DuckDB.

    python examples/show_tables.py OUTPUT_DIR [--duplicates]

Each table is a view of its current Delta snapshot (as in `wirestream
query`); copy the queries into your own notebook. `--duplicates` also runs the
statements of examples/duplicates.sql (the duplicates view).
"""

import logging
import re
import sys
from pathlib import Path


DUPLICATES_SQL = Path(__file__).with_name("duplicates.sql")

QUERIES = {
    "rows per table": """
        select 'stories' as table_name, count(*) as n from {stories} union all
        select 'entities', count(*) from {entities} union all
        select 'relations', count(*) from {relations} union all
        select 'quotes', count(*) from {quotes} union all
        select 'fetch_log', count(*) from {fetch_log} union all
        select 'dead_letters', count(*) from {dead_letters}""",
    "duplicate clusters (copies of one story)": """
        select c.title, list(d.source order by d.published_at) as republished_by,
               count(*) as copies
        from {stories} d join {stories} c on d.cluster_id = c.story_id
        where d.duplicate_of is not null group by c.title order by copies desc limit 5""",
    "who is in the news (people, by stories)": """
        select canonical, count(distinct story_id) as stories from {entities}
        where label = 'PERSON' group by canonical order by stories desc, canonical limit 8""",
    "typed relations": """
        select subject, relation_type, object, predicate from {relations}
        where relation_type is not null order by relation_type, subject limit 8""",
    "quotes with their speakers": """
        select speaker, verb, left(quote, 70) as quote from {quotes}
        where speaker is not null order by story_id, start_char limit 6""",
    "fetch log of the latest run": """
        select source, status, items, bytes, duration_ms, error from {fetch_log}
        where run_id = (select max(run_id) from {fetch_log}) order by source""",
}
TABLES = ("stories", "entities", "relations", "quotes", "fetch_log", "dead_letters")


def show(value) -> str:
    """A cell as text; lists and structs (the duplicates view) readably."""
    if isinstance(value, list):
        return "[" + "; ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return " ".join(show(v) for v in value.values())
    return str(value)


def print_result(con, title: str, query: str) -> None:
    result = con.execute(query)
    names = [d[0] for d in result.description]
    print(f"\n== {title}")
    print("  " + " | ".join(names))
    for row in result.fetchall():
        print("  " + " | ".join(show(v) for v in row))


def duplicates_queries(stories: str) -> list[tuple[str, str]]:
    """(title, query) of each statement of duplicates.sql, {stories}
    substituted; the title is its "-- N. ..." comment. Comments there hold
    no ';', so splitting on it is enough."""
    sql = DUPLICATES_SQL.read_text().replace("{stories}", stories)
    queries = []
    for statement in sql.split(";"):
        lines = [line.strip() for line in statement.splitlines()]
        if all(not line or line.startswith("--") for line in lines):
            continue
        titles = [line[3:] for line in lines if re.match(r"-- \d+\. ", line)]
        queries.append((titles[0] if titles else "duplicates.sql", statement))
    return queries


def main(output: str, duplicates: bool = False) -> None:
    # Each table as a view of its current Delta snapshot (what `wirestream
    # query` does): a glob would also see files a compaction replaced.
    logging.basicConfig(level=logging.ERROR)  # Beam's import-time warnings
    from transforms.lake.query import connect

    con = connect(output)
    sources = {t: t for t in TABLES}
    for title, query in QUERIES.items():
        print_result(con, title, query.format(**sources))
    if duplicates:
        for title, query in duplicates_queries(sources["stories"]):
            print_result(con, title, query)


if __name__ == "__main__":
    args = sys.argv[1:]
    flag = "--duplicates" in args
    paths = [a for a in args if a != "--duplicates"]
    if len(paths) != 1 or any(p.startswith("--") for p in paths):
        sys.exit("usage: python examples/show_tables.py OUTPUT_DIR [--duplicates]")
    main(paths[0], duplicates=flag)
