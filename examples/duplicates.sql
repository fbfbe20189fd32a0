-- The duplicates view: copies of one story across outlets, with syndication lag.
--
-- DuckDB. {stories} stands for the stories table of an output folder: the
-- view `wirestream query` and `python examples/show_tables.py DIR --duplicates`
-- give it (its current Delta snapshot), or, while no file has been replaced
-- (see the README's "Reading it"),
--     read_parquet('DIR/stories/**/*.parquet', hive_partitioning=true)
--
-- Every copy of a story has the same cluster_id, which is the
-- story_id of its canonical copy (duplicate_of is null there). A story's time
-- is published_at, else fetched_at for undated items. The lag of a copy is its
-- time minus the canonical's: 0 for the canonical itself, and negative when a
-- copy dated earlier joined a cluster stored by an earlier run (stored
-- clusters never move).

-- 1. One row per cluster with more than one copy, members in time order.
with copies as (
    select story_id, cluster_id, source, url, title,
           coalesce(published_at, fetched_at) as seen_at
    from {stories}
)
select c.cluster_id,
       c.title as canonical_title,
       c.source as canonical_source,
       list({'story_id': m.story_id, 'source': m.source, 'url': m.url,
             'lag': m.seen_at - c.seen_at,
             'lag_seconds': epoch(m.seen_at - c.seen_at)}
            order by m.seen_at, m.story_id) as members,
       count(*) as copies,
       count(distinct m.source) as sources,
       min(m.seen_at) as first_seen,
       max(m.seen_at) as last_seen
from copies m
join copies c on c.story_id = m.cluster_id
group by c.cluster_id, c.title, c.source
having count(*) > 1
order by copies desc, first_seen, c.cluster_id;

-- 2. Per outlet: copies it republished and their lag in minutes.
--    A copy is a row with duplicate_of set, its lag is behind the canonical.
with copies as (
    select story_id, duplicate_of, source,
           coalesce(published_at, fetched_at) as seen_at
    from {stories}
)
select m.source,
       count(*) as copies,
       round(median(epoch(m.seen_at - c.seen_at)) / 60, 1) as median_lag_minutes,
       round(avg(epoch(m.seen_at - c.seen_at)) / 60, 1) as avg_lag_minutes
from copies m
join copies c on c.story_id = m.duplicate_of
group by m.source
order by copies desc, m.source;
