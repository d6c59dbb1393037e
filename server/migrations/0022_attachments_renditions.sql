-- Photos as documents hold them (about 800 px on the long side, upright, PNG: what docx-rs
-- embeds), made once per photo when its upload finishes and kept, so that a document of a record
-- with 50 photos no longer decodes and scales 50 full-size photos on every download
-- (`server/src/blobs/renditions.rs`; BENCHMARKS.md, "Documents").
--
-- Attachments (PDF, Word, Excel, WPS, ODF, text) need no table of their own: they are blobs
-- like photos (`blobs`, `blob_parts`), referenced in `record_photos` like photos, and read by
-- the same rule (`may_read_blob`).
create table blob_renditions (
    blob_id  bigint primary key references blobs (id) on delete cascade,
    width    integer not null check (width > 0),
    height   integer not null check (height > 0),
    data     bytea not null
);
-- PNG is compressed already.
alter table blob_renditions alter column data set storage external;
