"""`wirestream report`: one self-contained HTML page of what OUTPUT holds.

Every figure comes from SQL over the tables' current snapshots
(`query.connect`), so the page shows what an analyst's query would. The page
has no scripts, fonts or images from elsewhere: charts are inline SVG
(`charts`), styles inline, so it opens offline and can be mailed as is. A
small inline script only measures the charts once drawn and records their
sizes in the page, for the test that opens it in a browser.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Optional

from transforms.lake import charts
from transforms.lake.query import connect

TOP_ENTITIES = 8
TOP_PAIRS = 15


@dataclass(frozen=True)
class Section:
    title: str
    note: str
    chart: Optional[str]  # SVG, or None when there is nothing to draw


def _since(column: str, since: Optional[str]) -> str:
    return f"where {column} >= '{since}'" if since else ""


def mentions_over_time(con, since) -> Section:
    top = con.execute(f"""
        select entity_id, any_value(canonical) as name, count(*) as n from entities
        {_since('published_date', since)} group by entity_id
        order by n desc, entity_id limit {TOP_ENTITIES}""").fetchall()
    series = {}
    for entity_id, name, _n in top:
        rows = con.execute(f"""
            select cast(published_date as varchar) as day, count(*) from entities
            where entity_id = ? {('and published_date >= ' + repr(since)) if since else ''}
            group by day order by day""", [entity_id]).fetchall()
        series[name] = rows
    return Section("Mentions over time", f"The {len(top)} most mentioned entities, "
                   "mentions per publication day.",
                   charts.lines(series, ylabel="mentions") if series else None)


def _ranking(title: str, note: str, rows: list[tuple], unit: str) -> Section:
    """(label, value) rows as bars, largest first."""
    return Section(title, note, charts.bars([r[0] for r in rows], [r[1] for r in rows],
                                            xlabel=unit) if rows else None)


def co_mentions(con, since) -> Section:
    rows = con.execute(f"""
        with m as (select distinct story_id, entity_id, canonical from entities
                   {_since('published_date', since)})
        select a.canonical || ' + ' || b.canonical as pair, count(*) as stories
        from m a join m b on a.story_id = b.story_id and a.entity_id < b.entity_id
        group by pair order by stories desc, pair limit {TOP_PAIRS}""").fetchall()
    return _ranking("Strongest co-mentions", "Pairs of entities named in the same story, "
                    "by number of stories.", rows, "stories")


def relation_pairs(con, since) -> Section:
    rows = con.execute(f"""
        select subject || ' -' || coalesce(relation_type, predicate) || '-> ' || object as r,
               count(*) as n
        from relations {_since('published_date', since)}
        group by r order by n desc, r limit {TOP_PAIRS}""").fetchall()
    return _ranking("Strongest relations", "Typed relations (or the predicate) between "
                    "two entities, by number of mentions.", rows, "mentions")


def cluster_sizes(con, since) -> Section:
    rows = con.execute(f"""
        select count(*) from stories {_since('published_date', since)}
        group by cluster_id""").fetchall()
    sizes = [r[0] for r in rows]
    copies = sum(s for s in sizes if s > 1)
    return Section("Cluster sizes", f"{len(sizes)} stories after deduplication; "
                   f"{copies} rows are copies in clusters of two or more.",
                   charts.histogram(sizes, xlabel="copies of one story") if sizes else None)


def syndication_lag(con, since) -> Section:
    rows = con.execute(f"""
        select d.source,
               median(epoch(d.published_at) - epoch(c.published_at)) / 3600.0 as hours,
               count(*) as copies
        from stories d join stories c on d.duplicate_of = c.story_id
        where d.published_at is not null and c.published_at is not null
        {('and d.published_date >= ' + repr(since)) if since else ''}
        group by d.source order by hours desc, d.source limit {TOP_PAIRS}""").fetchall()
    return Section("Syndication lag per outlet", "Median hours between the canonical "
                   "copy's publication and an outlet's copy.",
                   charts.bars([f"{r[0]} ({r[2]} copies)" for r in rows],
                               [r[1] for r in rows], xlabel="hours after the original")
                   if rows else None)


def feed_health(con, since) -> Section:
    rows = con.execute(f"""
        select source, count(*) as fetches,
               count(*) filter (where error is not null) as failed,
               count(*) filter (where not_modified) as not_modified
        from fetch_log {_since('run_date', since)}
        group by source order by failed desc, fetches desc, source
        limit {TOP_PAIRS * 2}""").fetchall()
    labels = [f"{r[0]}: {r[2]} failed, {r[3]} not modified, of {r[1]}" for r in rows]
    return Section("Feed health", "Fetches per feed that failed, were not modified "
                   "(304) or brought a body; failing feeds first.",
                   charts.bars(labels, [r[1] for r in rows], xlabel="fetches")
                   if rows else None)


def feed_latency(con, since) -> Section:
    rows = con.execute(f"""
        select source, median(duration_ms) as ms from fetch_log
        where not_modified = false and error is null
        {('and run_date >= ' + repr(since)) if since else ''}
        group by source order by ms desc, source limit {TOP_PAIRS * 2}""").fetchall()
    return Section("Feed latency", "Median time to fetch a changed feed.",
                   charts.bars([r[0] for r in rows], [float(r[1]) for r in rows],
                               xlabel="milliseconds") if rows else None)


SECTIONS: tuple[Callable, ...] = (mentions_over_time, co_mentions, relation_pairs,
                                  cluster_sizes, syndication_lag, feed_health, feed_latency)

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 2em; }
.note { color: #555; } .chart svg { width: 100%; height: auto; }
.empty { color: #999; font-style: italic; } table { border-collapse: collapse; }
td { padding: 0 1em 0 0; }
"""
# Records where each chart was drawn on the page (data-drawn="X,Y,W,H"), so
# a test in a real browser can tell that every chart rendered.
_MEASURE = """
addEventListener("load", () => document.querySelectorAll(".chart svg").forEach(svg => {
  const box = svg.getBoundingClientRect();
  svg.parentElement.dataset.drawn = [box.left + scrollX, box.top + scrollY, box.width,
                                     box.height].map(Math.round).join(",");
}));
"""


def totals(con) -> list[tuple[str, int]]:
    return [(name, con.execute(f"select count(*) from {name}").fetchone()[0])
            for name in ("stories", "entities", "relations", "quotes", "fetch_log",
                         "dead_letters")]


def render(output: str, since: Optional[str] = None) -> str:
    con = connect(output)
    sections = [build(con, since) for build in SECTIONS]
    counts = "".join(f"<tr><td>{name}</td><td>{n:,}</td></tr>" for name, n in totals(con))
    body = []
    for section in sections:
        chart = (f'<div class="chart">{section.chart}</div>' if section.chart
                 else '<p class="empty">No data yet.</p>')
        body.append(f"<h2>{html.escape(section.title)}</h2>"
                    f'<p class="note">{html.escape(section.note)}</p>{chart}')
    made = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    scope = f" since {html.escape(since)}" if since else ""
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>wirestream report</title><style>{_STYLE}</style></head><body>"
            f"<h1>wirestream: what {html.escape(output)} holds{scope}</h1>"
            f'<p class="note">Made {made} from the current snapshot of each table.</p>'
            f"<table>{counts}</table>{''.join(body)}"
            f"<script>{_MEASURE}</script></body></html>")
