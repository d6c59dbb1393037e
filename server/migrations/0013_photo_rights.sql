-- Photos by right, not by hash (issue 14): naming a photo's SHA-256 in a record grants nothing
-- by itself. A user reads a photo if they uploaded it, or if they may read a record in which
-- someone who could read the photo referenced it: its uploader, or a reader of the photo at
-- the time (see `server/src/access/photos.rs`).

-- Who made each reference, and whether they could read the photo when they made it. Written
-- by the projection from the sync layer's review, which knows the author of every change; a
-- reference whose author is not known (yet) has `referenced_by` null and grants nothing.
alter table record_photos
    add column referenced_by text,
    add column granted       boolean not null default false;

-- Whether `reader` (with `reads_all` and `reader_units` as for `readable_records`) may read
-- the photo `name`: they finished its upload, or they may read a record holding a reference
-- to it that grants (`granted`, or made by the photo's uploader: a phone records a photo
-- before it uploads it, so that is decided when the photo is read). One SQL expression,
-- inlined by the planner into the query that calls it.
create function may_read_blob(reader text, reads_all boolean, reader_units text[], name text)
returns boolean
language sql stable
as $$
    select exists (select 1 from blobs b
                   where b.sha256 = name and b.complete and b.uploaded_by = reader)
        or exists (select 1
                   from record_photos p
                   join readable_records(reader, reads_all, reader_units) r on r.id = p.record_id
                   where p.sha256 = name
                     and (p.granted
                          or exists (select 1 from blobs b
                                     where b.sha256 = name and b.complete
                                       and b.uploaded_by = p.referenced_by)))
$$;

-- Existing references: who made them is not recorded, so the uploader is taken as their
-- author where the record names the uploader (creator, owner, handler, supervisor, lead,
-- member): the way photos get into records (a phone records and uploads its own photo). Such
-- a reference goes on granting the record's readers, as before this migration. A reference to
-- a photo not uploaded yet keeps granting too (`granted`), since its author is unknown and
-- today it would grant once the upload finishes. The rest (a record naming a photo whose
-- uploader it does not name: the hole this closes) grants nothing.
update record_photos p
set referenced_by = b.uploaded_by, granted = false
from blobs b, records r
where b.sha256 = p.sha256 and b.complete and r.id = p.record_id
  and (b.uploaded_by = r.created_by or b.uploaded_by = r.owner
       or b.uploaded_by = any(r.handlers) or b.uploaded_by = any(r.supervisors)
       or b.uploaded_by = r.research_lead or b.uploaded_by = any(r.research_members));

update record_photos p
set granted = true
where not exists (select 1 from blobs b where b.sha256 = p.sha256 and b.complete);
