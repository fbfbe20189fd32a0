-- Each story that was republished: its copies, who ran them and how long after.
select c.title, c.source as original_source, d.source as copied_by,
       round((epoch(d.published_at) - epoch(c.published_at)) / 3600.0, 1) as lag_hours
from stories d join stories c on d.duplicate_of = c.story_id
order by c.title, lag_hours, copied_by;
