-- Identity: units (departments, a tree), users with roles, sign-in sessions (one per device)
-- and their refresh tokens, and the binding of Automerge actor ids to users. See the
-- "Identity" section of docs/ARCHITECTURE.md.

create table units (
    id          text primary key check (id <> ''),
    name        text not null check (name <> ''),
    parent_id   text references units (id),
    created_at  timestamptz not null default now(),
    check (parent_id is distinct from id)
);

create table users (
    -- A UUID string; `system` for the server itself (below).
    id                    text primary key default gen_random_uuid()::text,
    -- Stored lowercased: sign-in is case-insensitive, and lower() in the check keeps a
    -- second spelling from ever being inserted by hand.
    username              text not null unique check (username <> '' and username = lower(username)),
    display_name          text not null,
    -- An Argon2id PHC string; `!` never matches anything.
    password_hash         text not null,
    -- The strings of `duyan_shared::rules::Role`.
    roles                 text[] not null default '{}'
        check (roles <@ array['admin', 'leader', 'supervisor', 'handler', 'researcher', 'viewer']::text[]),
    unit_id               text references units (id),
    disabled              boolean not null default false,
    must_change_password  boolean not null default false,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now()
);

-- The server itself: the sync layer attributes its own changes (e.g. seeded records) to it.
-- Disabled and with a hash that never verifies, so nobody can sign in as it.
insert into users (id, username, display_name, password_hash, roles, disabled)
values ('system', 'system', '服务器 (system)', '!', '{}', true);

-- One row per sign-in, which is one device. Revoking it ends the device's refresh tokens at
-- once and its access token within the directory's reload (about a second).
create table sessions (
    id            text primary key default gen_random_uuid()::text,
    user_id       text not null references users (id),
    -- The label the client gave at sign-in, e.g. "张三的手机"; for people, not for decisions.
    device        text,
    created_at    timestamptz not null default now(),
    last_seen_at  timestamptz not null default now(),
    revoked_at    timestamptz
);

create index sessions_open_by_user on sessions (user_id) where revoked_at is null;
-- The directory loads the recently revoked sessions every time it reloads.
create index sessions_revoked on sessions (revoked_at) where revoked_at is not null;

-- Only the SHA-256 of a refresh token is stored: a copy of this table signs nobody in.
-- Tokens are single use (rotated on every refresh); `used_at` is kept so that a second use,
-- which means a copy of the token is in someone else's hands, can be recognised.
create table refresh_tokens (
    token_hash  bytea primary key,
    session_id  text not null references sessions (id),
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz
);

create index refresh_tokens_by_session on refresh_tokens (session_id);

-- Automerge actor ids and the user (and device) they belong to, bound by the sync layer.
create table actors (
    actor       bytea primary key,
    user_id     text not null references users (id),
    session_id  text references sessions (id),
    bound_at    timestamptz not null default now()
);

-- A counter bumped by every change the in-memory directory depends on, so each server process
-- can tell with one tiny query per second whether to reload it (the CLI changes users from
-- another process).
create table directory_version (
    id       boolean primary key default true check (id),
    version  bigint not null
);

insert into directory_version (version) values (1);

create function bump_directory_version() returns trigger
language plpgsql as $$
begin
    update directory_version set version = version + 1;
    return null;
end
$$;

create trigger users_bump_directory
    after insert or update or delete on users
    for each statement execute function bump_directory_version();

create trigger units_bump_directory
    after insert or update or delete on units
    for each statement execute function bump_directory_version();

-- Only revocations matter to the directory: sign-ins and `last_seen_at` updates are frequent
-- and must not make every process reload.
create trigger sessions_revoked_bump_directory
    after update of revoked_at on sessions
    for each row when (old.revoked_at is distinct from new.revoked_at)
    execute function bump_directory_version();
