-- People named in the same stories, strongest pairs first.
with people as (
    select distinct story_id, entity_id, canonical from entities where label = 'PERSON'
)
select a.canonical as person, b.canonical as with_person, count(*) as stories
from people a join people b on a.story_id = b.story_id and a.entity_id < b.entity_id
group by person, with_person
order by stories desc, person, with_person
limit 20;
