-- Notification delivery: each outbox row's outcome, every attempt, per-target rate
-- windows shared by all processes, a secret per channel for unsubscribe links, and an
-- index for the pruner.

alter table notifications add column state text not null default 'pending'
    check (state in ('pending', 'sent', 'failed'));

create table notification_attempts (
    id integer primary key,
    notification_id integer not null references notifications (id) on delete cascade,
    started integer not null,
    duration_ms integer not null,
    ok boolean not null,
    error text
);

create index notification_attempts_notification on notification_attempts (notification_id);

create table rate_windows (
    key text not null,
    window_start integer not null,
    count integer not null,
    primary key (key, window_start)
);

alter table channels add column token text not null default '';
update channels set token = lower(hex(randomblob(16)));
alter table channels add column last_notify integer;

-- The pruner looks for checks holding more pings than they keep: an index on how many
-- pings a check holds beyond its last prune keeps that lookup off the whole table.
create index checks_unpruned on checks ((n_pings - pruned_through));
