-- The projection: one queryable row per document that holds a record (or is damaged), kept
-- in step by the document task after every stored change (server/src/projection/) and
-- rebuilt from the documents by `duyan reindex`. The documents stay the truth; this table
-- can always be thrown away and rebuilt.
--
-- Lights are not stored: they depend on "now". What they are computed from is stored
-- (`is_open`, `deadline`, `attention_at`), so a query can compute them exactly for any now.

create extension if not exists pg_trgm;

create table records (
    id                text primary key,
    -- `duban` or `research`; null for a damaged document (it cannot be told).
    kind              text,
    title             text,
    status            text,
    -- Whether the status is an open one (lights apply): assigned, in_progress, closing_requested.
    is_open           boolean not null default false,
    level             text,
    urgency           text,
    is_major          boolean,
    lead_unit         text,
    co_units          text[] not null default '{}',
    handlers          text[] not null default '{}',
    supervisors       text[] not null default '{}',
    created_by        text,
    -- The user who first stored the document (`document_owners`).
    owner             text,
    research_lead     text,
    research_members  text[] not null default '{}',
    research_unit     text,
    created_at        timestamptz,
    assigned_at       timestamptz,
    deadline          timestamptz,
    closed_at         timestamptz,
    feedback_cycle    text,
    last_feedback     timestamptz,
    -- The earliest instant after which an open item is yellow for being behind (a milestone
    -- not done, the 24-hour first response or the periodic report late), independent of the
    -- deadline: min(open milestone dues, first response due while no progress, next feedback
    -- due). Null when nothing is scheduled.
    attention_at      timestamptz,
    progress_count    integer not null default 0,
    urge_count        integer not null default 0,
    review_count      integer not null default 0,
    extension_count   integer not null default 0,
    instruction_count integer not null default 0,
    site_check_count  integer not null default 0,
    visit_count       integer not null default 0,
    finding_count     integer not null default 0,
    -- Title, detail and the texts of entries, findings and report, for `q=` (ILIKE).
    search            text not null default '',
    -- Why the document cannot be read as a record; null when it can.
    damaged           text,
    updated_at        timestamptz not null default now()
);

-- The list's order and keyset: deadline (none last), then id.
create index records_by_deadline on records ((coalesce(deadline, 'infinity'::timestamptz)), id);
create index records_search on records using gin (search gin_trgm_ops);
create index records_by_status on records (kind, status);
create index records_handlers on records using gin (handlers);
create index records_units on records (lead_unit);
