"""Print what a wirestream output folder holds, with DuckDB.

    python examples/show_tables.py OUTPUT_DIR

Each query reads a table as a whole Hive-partitioned dataset, the way an
analyst would; copy them into your own notebook.
"""

import sys

import duckdb

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


def main(output: str) -> None:
    con = duckdb.connect()
    sources = {t: f"read_parquet('{output}/{t}/**/*.parquet', hive_partitioning=true)"
               for t in TABLES}
    for title, query in QUERIES.items():
        result = con.execute(query.format(**sources))
        names = [d[0] for d in result.description]
        print(f"\n== {title}")
        print("  " + " | ".join(names))
        for row in result.fetchall():
            print("  " + " | ".join(str(v) for v in row))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/show_tables.py OUTPUT_DIR")
    main(sys.argv[1])
