-- Who is quoted most, with one of their quotes.
select speaker, count(*) as quotes, any_value(quote order by length(quote) desc) as longest
from quotes
where speaker is not null
group by speaker
order by quotes desc, speaker
limit 20;
