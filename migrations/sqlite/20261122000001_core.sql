-- Core tables: accounts, projects and keys, checks, pings, flips, channels and the
-- notification outbox. Instants are integer milliseconds since the Unix epoch.

create table users (
    id integer primary key,
    email text not null unique,
    password_hash text,
    tz text not null default 'UTC',
    created integer not null
);

create table projects (
    id integer primary key,
    uuid text not null unique,
    name text not null,
    owner_id integer not null references users (id),
    ping_key_hash text unique,
    badge_key text not null unique,
    created integer not null
);

create table memberships (
    user_id integer not null references users (id) on delete cascade,
    project_id integer not null references projects (id) on delete cascade,
    role text not null check (role in ('owner', 'manager', 'member', 'readonly')),
    primary key (user_id, project_id)
);

create table api_keys (
    id integer primary key,
    project_id integer not null references projects (id) on delete cascade,
    read_only boolean not null,
    key_hash text not null unique,
    created integer not null
);

create table checks (
    id integer primary key,
    uuid text not null unique,
    -- A stable public alias of the uuid for read-only API keys: sha1 of its first half.
    unique_key text not null,
    project_id integer not null references projects (id) on delete cascade,
    name text not null default '',
    slug text not null default '',
    tags text not null default '',
    descr text not null default '',
    kind text not null default 'simple' check (kind in ('simple', 'cron', 'oncalendar')),
    timeout integer not null default 86400,
    grace integer not null default 3600,
    schedule text not null default '* * * * *',
    tz text not null default 'UTC',
    methods text not null default '',
    manual_resume boolean not null default false,
    filter_subject boolean not null default false,
    filter_body boolean not null default false,
    filter_http_body boolean not null default false,
    filter_default_fail boolean not null default false,
    start_kw text not null default '',
    success_kw text not null default '',
    failure_kw text not null default '',
    status text not null default 'new' check (status in ('new', 'up', 'down', 'paused')),
    alert_after integer,
    last_ping integer,
    last_start integer,
    last_start_rid text,
    last_duration_ms integer,
    n_pings integer not null default 0,
    pruned_through integer not null default 0,
    badge_key text not null unique,
    created integer not null
);

create index checks_alert_after on checks (alert_after) where alert_after is not null;
create index checks_project_slug on checks (project_id, slug);
create index checks_project_unique_key on checks (project_id, unique_key);

create table pings (
    id integer primary key,
    check_id integer not null references checks (id) on delete cascade,
    n integer not null,
    created integer not null,
    kind text not null check (kind in ('success', 'start', 'fail', 'log', 'ign')),
    exit_status integer,
    rid text,
    remote_addr text,
    scheme text not null,
    method text not null,
    ua text not null,
    body blob,
    duration_ms integer,
    unique (check_id, n)
);

create table flips (
    id integer primary key,
    check_id integer not null references checks (id) on delete cascade,
    created integer not null,
    old_status text not null,
    new_status text not null,
    reason text not null
);

create index flips_check_created on flips (check_id, created);

create table channels (
    id integer primary key,
    uuid text not null unique,
    project_id integer not null references projects (id) on delete cascade,
    kind text not null,
    name text not null default '',
    config text not null default '{}',
    notify_up boolean not null default true,
    notify_down boolean not null default true,
    disabled boolean not null default false,
    last_error text,
    created integer not null
);

create table check_channels (
    check_id integer not null references checks (id) on delete cascade,
    channel_id integer not null references channels (id) on delete cascade,
    primary key (check_id, channel_id)
);

create index check_channels_channel on check_channels (channel_id);

-- The outbox: one row per (flip, channel), written in the flip's transaction and
-- drained by the delivery workers.
create table notifications (
    id integer primary key,
    check_id integer not null references checks (id) on delete cascade,
    channel_id integer not null references channels (id) on delete cascade,
    flip_id integer not null references flips (id) on delete cascade,
    status text not null,
    created integer not null,
    due_at integer not null,
    attempts integer not null default 0,
    leased_until integer,
    done_at integer,
    last_error text
);

create index notifications_pending on notifications (due_at) where done_at is null;
