-- Who first stored each document (its owner while it holds no record yet), and which user and
-- device each Automerge actor id belongs to: the base of per-document access and of the
-- history that names who made every change (痕迹管理).

create table document_owners (
    document_id  text primary key,
    user_id      text not null,
    created_at   timestamptz not null default now()
);

-- An actor id is bound to one user the first time the server sees it; a change by an actor
-- bound to someone else is refused. `session_id` is the sign-in session (one per device).
create table if not exists actors (
    actor       bytea primary key,
    user_id     text not null,
    session_id  text,
    bound_at    timestamptz not null default now()
);
