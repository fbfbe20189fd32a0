-- The most mentioned entities of each publication day (top 3 a day).
select published_date, canonical, label, mentions
from (
    select published_date, entity_id, any_value(canonical) as canonical,
           any_value(label) as label, count(*) as mentions,
           row_number() over (partition by published_date
                              order by count(*) desc, entity_id) as rank
    from entities
    group by published_date, entity_id
)
where rank <= 3
order by published_date desc, mentions desc, canonical;
