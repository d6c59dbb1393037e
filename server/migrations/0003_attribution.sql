-- Who first stored each document: its owner while it holds no record yet (automerge-repo
-- creates documents with an empty change), after which the record's own fields decide
-- access. Actor ids are bound to users in `actors` (0002).

create table document_owners (
    document_id  text primary key,
    user_id      text not null references users (id),
    created_at   timestamptz not null default now()
);
