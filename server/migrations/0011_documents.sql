-- Documents (督办单, 催办通知单, 调研报告): the office's settings for them.

-- The office's settings for its documents: one row at most (`id` is always true). Without a row
-- the documents use the default heading (documents::settings::DEFAULT_ISSUER).
create table document_settings (
    id          boolean primary key default true check (id),
    -- The issuing body's name, printed in red at the top of every document (红头).
    issuer      text not null check (length(issuer) between 1 and 40),
    updated_by  text not null,
    updated_at  timestamptz not null default now()
);
