-- Settings the instance keeps for itself (the server secret that signs badge URLs), and
-- a row the ping writer rewrites to prove it can write again after a failure.
create table instance_settings (
    name text primary key,
    value text not null
);

-- Each ping batch leaves its id here in the same transaction, so a batch whose commit
-- outcome is unknown (the connection dropped after COMMIT was sent) can be looked up
-- instead of written twice. Pruned after a day.
create table ping_batches (
    id uuid primary key,
    created timestamptz not null
);
create index ping_batches_created on ping_batches (created);
