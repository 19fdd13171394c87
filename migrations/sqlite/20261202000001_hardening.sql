-- Settings the instance keeps for itself (the server secret that signs badge URLs), and
-- a row the ping writer rewrites to prove it can write again after a failure.
create table instance_settings (
    name text primary key,
    value text not null
);

-- Each ping batch on PostgreSQL leaves its id here in the same transaction, so a batch
-- whose commit outcome is unknown can be looked up instead of written twice. SQLite's
-- commits are local and never in doubt; the table is kept for the same schema.
create table ping_batches (
    id text primary key,
    created integer not null
);
create index ping_batches_created on ping_batches (created);
