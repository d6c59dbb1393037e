-- Several server processes on one database share the state that limits abuse.

-- Sign-in attempts (auth/limiter.rs). A row is an attempt in flight until it is settled; a
-- settled row, or one left unsettled for longer than the limiter's in-flight time (its
-- process died), is a failure. Successful attempts are deleted. Rows older than the window
-- are deleted as new attempts come in.
create table signin_attempts (
    id           bigserial primary key,
    username     text not null,
    address      text not null,
    started_at   timestamptz not null default now(),
    settled      boolean not null default false,
    -- A later success of the username: no longer counted for it, still for the address.
    name_cleared boolean not null default false
);
create index signin_attempts_username on signin_attempts (username, started_at);
create index signin_attempts_address on signin_attempts (address, started_at);
create index signin_attempts_started on signin_attempts (started_at);

-- Photo uploads running (blobs/mod.rs), per user across processes. A lease is renewed while
-- its upload runs and released when it ends; one left by a process that died expires.
create table upload_leases (
    id         bigserial primary key,
    user_id    text not null,
    expires_at timestamptz not null
);
create index upload_leases_user on upload_leases (user_id, expires_at);

-- Directory changes reach every process at once, not at its next poll.
create or replace function bump_directory_version() returns trigger
language plpgsql as $$
begin
    update directory_version set version = version + 1;
    perform pg_notify('duyan_directory', '');
    return null;
end
$$;
