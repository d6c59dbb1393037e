-- Notifications (`server/src/notify/`): what happened to a record or is coming due, who is
-- told in the app (the inbox), and what is sent to outside channels (the outbox).
--
-- Every event has a unique `key` (record id, kind and the entry or occasion it is about), and
-- every row derived from it is unique per addressee or channel, so a change reviewed by two
-- processes, a restart or a second run of the reminder job never produces anything twice:
-- writers insert with `on conflict do nothing`.

create table notify_events (
    id         bigserial primary key,
    -- `<record id>:<kind>:<entry id or occasion>`: the idempotency key.
    key        text not null unique,
    -- `notify::EventKind`: urged, returned, instructed, ..., reminder_deadline_today, ...
    kind       text not null,
    record_id  text not null,
    record_kind text not null,
    -- The user whose change it was; null for reminders.
    actor      text,
    -- The record as it was when the event happened, for the message.
    title      text not null,
    doc_no     text,
    deadline   timestamptz,
    -- Lead and co-operating units (research: its unit), for routing to channels.
    units      text[] not null default '{}',
    -- The message in Chinese, e.g. 李督办催办（催办）：请本周内反馈.
    text       text not null,
    at         timestamptz not null default now()
);
create index notify_events_at on notify_events (at);

-- One entry per addressee. Who may still read the record is decided when the inbox is read
-- (`readable_records`), so a handler taken off an item loses its entries at once.
create table inbox_entries (
    id       bigserial primary key,
    event_id bigint not null references notify_events (id) on delete cascade,
    user_id  text not null references users (id) on delete cascade,
    read_at  timestamptz,
    unique (event_id, user_id)
);
create index inbox_entries_user on inbox_entries (user_id, id desc);
create index inbox_entries_unread on inbox_entries (user_id) where read_at is null;

-- Outbound channels, set by admins: group robots of 企业微信 / 钉钉 / 飞书 and generic webhooks.
create table notify_channels (
    id         bigserial primary key,
    kind       text not null check (kind in ('wecom', 'dingtalk', 'feishu', 'webhook')),
    name       text not null check (name <> ''),
    url        text not null,
    -- The robot's signing secret or the webhook's HMAC key. Never answered by the API.
    secret     text,
    -- Only events of these units (empty: all units) and of these kinds (empty: all kinds).
    units      text[] not null default '{}',
    events     text[] not null default '{}',
    -- Daily digest at this local time (Asia/Shanghai, 'HH:MM'), or none.
    digest_at  text,
    created_by text,
    created_at timestamptz not null default now(),
    -- Deleted channels stay for the delivery log; nothing new is queued for them.
    deleted_at timestamptz
);

-- The durable outbox: one message per event and channel. Any process claims a due message
-- with `for update skip locked` and holds the row lock while it sends, so exactly one process
-- sends it at a time; a process killed mid-send releases the lock with its connection and the
-- message is sent again (with the same idempotency key, so the receiver can drop the repeat).
create table notify_outbox (
    id          bigserial primary key,
    -- `<event key>@<channel id>`, or `digest:<channel id>:<date>`: sent as the idempotency key.
    key         text not null unique,
    channel_id  bigint not null references notify_channels (id) on delete cascade,
    event_id    bigint references notify_events (id) on delete cascade,
    -- For digests: the rendered summary (Chinese text).
    digest      text,
    status      text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
    attempts    integer not null default 0,
    next_at     timestamptz not null default now(),
    last_error  text,
    created_at  timestamptz not null default now(),
    sent_at     timestamptz
);
create index notify_outbox_due on notify_outbox (next_at) where status = 'pending';

-- Every attempt at delivery, for admins.
create table notify_deliveries (
    id          bigserial primary key,
    outbox_id   bigint not null references notify_outbox (id) on delete cascade,
    channel_id  bigint not null references notify_channels (id) on delete cascade,
    at          timestamptz not null default now(),
    ok          boolean not null,
    http_status integer,
    error       text,
    millis      integer not null
);
create index notify_deliveries_channel on notify_deliveries (channel_id, id desc);
