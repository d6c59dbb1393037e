-- 通报 (issue 17, item 4): drafted by a supervisor, leader or admin from a period's data,
-- edited while a draft, then published to every signed-in user (server/src/api/bulletins/).

create table bulletins (
    id            bigint generated always as identity primary key,
    -- `2026-12`, `2026-Q4` or `2026-W49` (`duyan_shared::assessment::Period`).
    period        text not null,
    status        text not null default 'draft' check (status in ('draft', 'published')),
    -- The issue number (第N期) within the year of publishing, given when published.
    number        integer,
    title         text not null,
    summary       text not null,
    requirements  text not null,
    -- `Vec<duyan_shared::api::BulletinUnit>` as JSON: the units named, their items and remarks.
    criticised    jsonb not null default '[]',
    praised       jsonb not null default '[]',
    created_by    text not null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    published_at  timestamptz,
    published_by  text,
    check ((status = 'published') = (published_at is not null and number is not null))
);

-- The list: newest first; the 考核 reads the published ones.
create index bulletins_by_created on bulletins (created_at desc);
create index bulletins_published on bulletins (period) where status = 'published';
-- One number per year of publishing.
create unique index bulletins_number on bulletins
    ((extract(year from published_at at time zone 'Asia/Shanghai')), number)
    where status = 'published';
