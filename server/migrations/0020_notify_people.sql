-- Notifications that address people, not groups (`server/src/notify/push.rs`,
-- `api/notifications.rs`): each user's preferences and quiet hours, their devices' Web Push
-- subscriptions, and the outbox of push messages.

-- Which event kinds reach a user outside the app, and when not. No row: every kind, no quiet
-- hours. The app's inbox always shows everything; group robots are per unit and filtered by
-- their channel's own `events`, not by anyone's preferences.
create table notify_preferences (
    user_id    text primary key references users (id) on delete cascade,
    -- Kinds (`notify::EventKind`) the user turned off; new kinds are on until turned off.
    muted      text[] not null default '{}',
    -- Quiet hours, 'HH:MM' in Asia/Shanghai; both or neither. Messages due inside them are held
    -- until they end, never dropped.
    quiet_from text,
    quiet_to   text,
    updated_at timestamptz not null default now(),
    check ((quiet_from is null) = (quiet_to is null))
);

-- One browser's Web Push subscription. An endpoint belongs to one device: subscribing it again
-- (another user signed in on that browser) moves it to the new user.
create table push_subscriptions (
    id         bigserial primary key,
    user_id    text not null references users (id) on delete cascade,
    -- The push service's URL for this device, checked like channel URLs.
    endpoint   text not null unique,
    -- The browser's P-256 public key and auth secret (base64url), for RFC 8291 encryption.
    p256dh     text not null,
    auth       text not null,
    created_at timestamptz not null default now()
);
create index push_subscriptions_user on push_subscriptions (user_id);

-- One push message per event and subscription, claimed and sent like `notify_outbox`
-- (`for update skip locked`, the row lock held while sending). Quiet hours move `next_at` to
-- their end without counting an attempt.
create table push_outbox (
    id              bigserial primary key,
    -- `<event key>@push:<subscription id>`: unique, so an event is queued once per device.
    key             text not null unique,
    subscription_id bigint not null references push_subscriptions (id) on delete cascade,
    event_id        bigint not null references notify_events (id) on delete cascade,
    status          text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
    attempts        integer not null default 0,
    next_at         timestamptz not null default now(),
    last_error      text,
    created_at      timestamptz not null default now(),
    sent_at         timestamptz
);
create index push_outbox_due on push_outbox (next_at) where status = 'pending';
