-- What the records list needs to stay fast at 100,000 rows (BENCHMARKS.md, "The records list
-- and the projection"): two columns computed from the row's own columns, so PostgreSQL can
-- estimate and index the two filters it could not, and the light filter as range conditions.
-- The projection code writes neither column: PostgreSQL keeps them, at every insert and update.
--
-- Adding stored columns rewrites the table once (seconds per 100,000 rows, at startup).

-- Everyone the record names: creator, handlers and supervisors (督办事项), lead and members
-- (调研记录). `mine=true` is `named @> array[me]`: one condition whose selectivity the array
-- statistics estimate per person, so a caller named in 50 rows gets an index lookup and a sort,
-- and one named in 50,000 a walk of the deadline index that stops after a page. The five
-- conditions ORed together were estimated at about 1% whoever asked, so the walk was chosen
-- even for a caller named in none (reading every row).
alter table records add column named text[] generated always as (
    array_remove(
        array[created_by, research_lead] || handlers || supervisors || research_members,
        null)
) stored;

create index records_named on records using gin (named);
-- Nothing searches `handlers` alone with an index-able operator; `named` covers it.
drop index records_handlers;

-- The instant after which an open item is yellow (unless already red): the earlier of
-- * the last instant before its deadline is "due soon": the start, in Asia/Shanghai, of the day
--   3 days (`derived::DUE_SOON_DAYS`) before the deadline's date, less one microsecond (the
--   smallest step of a timestamptz), and
-- * `attention_at` (a milestone, the first response or the periodic report due).
-- So at `now` an open item is red when `deadline < now`, else yellow when `yellow_after < now`,
-- else green: exactly `record_light` (0005) and `derived::light`. Every function here is
-- immutable (a date in a named zone, date arithmetic), as a generated column requires.
alter table records add column yellow_after timestamptz generated always as (
    least(
        (((deadline at time zone 'Asia/Shanghai')::date - 3)::timestamp
            - interval '1 microsecond') at time zone 'Asia/Shanghai',
        attention_at)
) stored;

-- Whether a row has `light` at `now_ts`, as conditions on columns with statistics and on the
-- list's sort key `coalesce(deadline, 'infinity')`: a yellow or green filter starts the walk of
-- `records_by_deadline` at `now_ts` instead of passing every overdue row first, and the planner
-- estimates how many rows match instead of guessing. The same answer as
-- `record_light(...) = light`; inlined by the planner, and with `light` known when the
-- statement is planned the `case` reduces to its one branch.
create function record_light_is(
    light text, is_open boolean, deadline timestamptz, yellow_after timestamptz,
    now_ts timestamptz
)
returns boolean
language sql immutable
as $$
    select is_open and case light
        when 'red' then coalesce(deadline, 'infinity') < now_ts
        when 'yellow' then coalesce(deadline, 'infinity') >= now_ts and yellow_after < now_ts
        when 'green' then coalesce(deadline, 'infinity') >= now_ts
                          and (yellow_after is null or yellow_after >= now_ts)
        else false end
$$;
