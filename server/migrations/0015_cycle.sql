-- The office's cycle (issue 17): the 工作清单's structure, 批示 tracking and the 考核.
--
-- Rows written before this migration have the new columns empty until their document next
-- changes; `duyan reindex` fills them at once.

alter table records
    -- The item this one hangs under (`DubanItem::parent`), a record id; null at the top.
    add column parent           text,
    -- The latest progress entry's percent, for the parent's rollup.
    add column progress_percent smallint,
    -- The instants of the reviews that sent the item back (退回重办), for the 考核.
    add column returned_ats     timestamptz[] not null default '{}',
    -- The evaluation's rating and instant, for the 考核.
    add column rating           text,
    add column evaluated_at     timestamptz,
    -- The record and entry an item was made from (`source_ref`): a 批示 turned into an item.
    add column source_record    text,
    add column source_entry     text;

create index records_parent on records (parent) where parent is not null;
create index records_source on records (source_record) where source_record is not null;

-- Every 领导批示 of every record, written with the record's row (server/src/projection/), so
-- `GET /api/instructions` filters by leader and period without reading documents.
create table record_instructions (
    record_id text not null,
    entry_id  text not null,
    at        timestamptz not null,
    by_user   text not null,
    text      text not null,
    primary key (record_id, entry_id)
);
create index record_instructions_by_at on record_instructions (at);
create index record_instructions_by_leader on record_instructions (by_user, at);

-- The 考核 rules admins set (`duyan_shared::assessment::Rules` as JSON); one row at most, and
-- none means the defaults.
create table assessment_rules (
    only_row   boolean primary key default true check (only_row),
    rules      jsonb not null,
    updated_at timestamptz not null default now(),
    updated_by text not null
);

-- A period's 考核 once confirmed: the `Assessment` as computed then, answered from here ever
-- after so that recomputing a closed period gives the same result.
create table assessment_freezes (
    period    text primary key,
    result    jsonb not null,
    frozen_at timestamptz not null default now(),
    frozen_by text not null
);
