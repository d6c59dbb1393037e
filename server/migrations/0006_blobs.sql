-- Photos: content-addressed blobs, uploaded in parts (resumable), and which records reference
-- which photo (for access and for the cleanup of photos nobody references).
--
-- A row of `blobs` is either an unfinished upload (one per photo and uploader, so two people
-- uploading the same photo never mix their bytes) or a finished, verified blob (one per
-- SHA-256). Finishing flips `complete`; the bytes stay where they are, nothing is copied.

create table blobs (
    id           bigint generated always as identity primary key,
    -- Lowercase hex SHA-256 of the bytes: the photo's name, verified before `complete`.
    sha256       text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    -- From the file's magic bytes, never from what the client says.
    mime         text not null,
    -- The whole size, announced by the first part (Content-Range total or Content-Length).
    bytes        bigint not null check (bytes > 0),
    -- Bytes stored so far, contiguous from 0: where the next part must start.
    received     bigint not null default 0,
    complete     boolean not null default false,
    -- The user whose upload this is (for a finished blob: who finished it first).
    uploaded_by  text not null,
    started_at   timestamptz not null default now(),
    -- When the last part was stored: stale unfinished uploads are removed after a week.
    touched_at   timestamptz not null default now(),
    -- When it was finished.
    uploaded_at  timestamptz,
    -- The last time a record stopped referencing it (set by the trigger below); photos no
    -- record references are removed 30 days after the later of this and `uploaded_at`.
    released_at  timestamptz,
    check (received <= bytes),
    check (not complete or (received = bytes and uploaded_at is not null))
);

create unique index blobs_by_sha256 on blobs (sha256) where complete;
create unique index blobs_uploads on blobs (sha256, uploaded_by) where not complete;
create index blobs_stale_uploads on blobs (touched_at) where not complete;

-- The bytes, in the order they arrived, each part at most a few hundred KiB: written one part
-- per statement while a request streams, read back one part at a time.
create table blob_parts (
    blob_id  bigint not null references blobs (id) on delete cascade,
    -- Offset of the part's first byte in the blob.
    start    bigint not null check (start >= 0),
    data     bytea not null,
    primary key (blob_id, start)
);
-- Photos are compressed already: store them out of line without trying to compress again.
alter table blob_parts alter column data set storage external;

-- Thumbnails (JPEG, about 320 px), made on first request and kept.
create table blob_thumbs (
    blob_id  bigint primary key references blobs (id) on delete cascade,
    data     bytea not null
);
alter table blob_thumbs alter column data set storage external;

-- Every photo (PhotoRef) a record references, anywhere in it: kept in step with `records` by
-- the projection (in the same transaction as the record's row) and rebuilt by `duyan reindex`.
-- No foreign keys: a record may reference a photo not uploaded yet (phones upload after they
-- record), and `records` stays a table that can be truncated and rebuilt on its own.
create table record_photos (
    record_id  text not null,
    sha256     text not null,
    primary key (record_id, sha256)
);
create index record_photos_by_sha256 on record_photos (sha256);

-- A reference going away (an edit, a record deleted, the projection rebuilt) starts the
-- 30 days after which an unreferenced photo is removed.
create function blob_released() returns trigger
language plpgsql
as $$
begin
    update blobs set released_at = now() where sha256 = old.sha256 and complete;
    return null;
end
$$;

create trigger record_photos_released
    after delete on record_photos
    for each row execute function blob_released();
