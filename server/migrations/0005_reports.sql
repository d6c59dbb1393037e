-- What the dashboard, the weekly report and the ledger need beyond 0004, and the access and
-- light rules as SQL functions, so that the list, the dashboard, the reports and the ledger
-- share one definition of each instead of copies that could drift apart.
--
-- Rows written before this migration have the new columns empty until their document next
-- changes; `duyan reindex` fills them at once.

alter table records
    -- 文号, for the ledger.
    add column doc_no        text,
    -- When the next periodic report is due (`derived::next_feedback_due`), so "feedback late"
    -- is `is_open and feedback_due < now`, exactly `derived::is_feedback_late`.
    add column feedback_due  timestamptz,
    -- The instants of the progress entries, so the weekly report can tell which items
    -- progressed in a given week (`last_feedback` only tells the latest).
    add column progress_ats  timestamptz[] not null default '{}';

-- The rows `reader` may read: `sync::access::may_read` over the projection's columns. The roles
-- that read everything see every row; anyone else the rows they created or first stored, are
-- named in, or that belong to one of `reader_units` (their unit and the units below it,
-- computed from the directory). A damaged row names nobody, so only its owner and those who
-- read everything see it.
--
-- A plain SQL function with one `select`: the planner inlines it into the calling query, so
-- the caller's filters and the indexes of `records` apply as if the condition were written
-- there. The body is parsed at each call, so `*` follows later changes of the table.
create function readable_records(reader text, reads_all boolean, reader_units text[])
returns setof records
language sql stable
as $$
    select r.*
    from records r
    where reads_all
       or r.created_by = reader or r.owner = reader
       or reader = any(r.handlers) or reader = any(r.supervisors)
       or r.research_lead = reader or reader = any(r.research_members)
       or r.lead_unit = any(reader_units) or r.co_units && reader_units
       or r.research_unit = any(reader_units)
$$;

-- The light of a row at `now_ts`, exactly as `derived::light`: none when not open; red when
-- past the deadline; yellow when the deadline is before `soon_ts` (the start, in
-- Asia/Shanghai, of the fourth day after today) or `attention_at` has passed; green otherwise.
-- Inlined by the planner like any one-expression SQL function.
create function record_light(
    is_open boolean, deadline timestamptz, attention_at timestamptz,
    now_ts timestamptz, soon_ts timestamptz
)
returns text
language sql immutable
as $$
    select case when not is_open then null
                when deadline < now_ts then 'red'
                when deadline < soon_ts or attention_at < now_ts then 'yellow'
                else 'green' end
$$;

