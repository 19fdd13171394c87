-- pgbench script for bench/ceiling.sh: the writes one ping makes, in one transaction.
-- Update the check (count, last ping, status, next deadline) and insert the ping row, as
-- the service's ping path does, against the service's own schema. Variables first_id and
-- last_id are passed with -D.
\set id random(:first_id, :last_id)
begin;
update checks set n_pings = n_pings + 1, last_ping = now(), status = 'up',
    alert_after = now() + interval '25 hours'
    where id = :id returning n_pings \gset
insert into pings (check_id, n, created, kind, exit_status, rid, remote_addr, scheme, method, ua, body, duration_ms)
    values (:id, :n_pings, now(), 'success', null, null, '127.0.0.1', 'http', 'GET', '', null, null);
commit;
