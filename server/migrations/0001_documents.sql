-- Automerge documents, stored as automerge-repo does on disk: one compacted snapshot plus
-- incremental chunks appended since. Increments are idempotent (loading a change twice is a
-- no-op), so several server processes may append to the same document without coordination;
-- only compaction takes the row lock (see server/src/storage/postgres.rs).

create table documents (
    id          text primary key,
    -- `Automerge::save()` output; empty until the first compaction of an appended-to doc.
    snapshot    bytea not null default ''::bytea,
    -- Bumped by each compaction, so a process that compacts from an older view notices.
    generation  bigint not null default 0,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

create table document_increments (
    id           bigserial primary key,
    document_id  text not null references documents (id) on delete cascade,
    data         bytea not null,
    created_at   timestamptz not null default now()
);

create index document_increments_by_document on document_increments (document_id, id);

-- Facts about this installation that must survive restarts, e.g. the storage id that
-- clients use to tell whether this server holds their changes.
create table server_meta (
    key    text primary key,
    value  text not null
);
