-- Feeds whose last fetch failed, with how many of their fetches failed.
select feed_url, source, count(*) filter (where error is not null) as failures,
       count(*) as fetches, arg_max(error, fetched_at) as last_error,
       max(fetched_at) as last_fetch
from fetch_log
group by feed_url, source
having arg_max(error, fetched_at) is not null
order by failures desc, feed_url;
