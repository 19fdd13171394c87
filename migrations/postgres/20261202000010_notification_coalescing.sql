-- Coalescing: a check has at most one undelivered notification per channel waiting to
-- be sent, rewritten to its latest status when the check changes again. Queueing and
-- delivery look a check's notifications to a channel up by this index. Notifications
-- queued before, one per change, are closed here except the newest of each check and
-- channel, which goes out and tells the latest state.

create index notifications_check_channel on notifications (check_id, channel_id);

update notifications set state = 'failed', done_at = due_at, leased_until = null,
    last_error = 'superseded by a later status change'
where done_at is null and exists (
    select 1 from notifications w
    where w.check_id = notifications.check_id and w.channel_id = notifications.channel_id
    and w.done_at is null and w.id > notifications.id
);
