//! The scheduler and the pruner, driven by moving the test clock and calling their ticks.

use crate::helpers::TestApp;
use chrono::{TimeDelta, TimeZone, Utc};
use overdue::domain::check::Status;
use overdue::domain::ids::CheckId;
use overdue::domain::schedule::ScheduleKind;
use overdue::jobs::scheduler::Scheduler;
use overdue::store::checks::{self, CheckConfig};
use overdue::store::{Db, Ts};

fn secs(n: i64) -> TimeDelta {
    TimeDelta::seconds(n)
}

/// Runs one statement with two instants bound as `$1` and `$2` and an id as `$3`.
async fn exec(app: &TestApp, sql: &'static str, a: Option<Ts>, b: Option<Ts>, id: CheckId) {
    on_raw!(app.raw().await, p => {
        sqlx::query(sql).bind(a).bind(b).bind(id).execute(&p).await.expect("statement");
    });
}

on_both_backends! {
    async fn simple_check_goes_late_then_down_at_the_exact_deadline(app) {
        // The row the scheduler queued is the subject; delivering it is not.
        app.expect_undelivered_notifications();
        let (project, check) = app.one_check().await;
        let channel = app.channel_for(&project, &check).await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        let pinged = app.now();

        app.advance(86_400 + 3_599);
        assert_eq!(app.tick().await.flipped, 0, "still within the grace time");
        assert_eq!(app.reload(&check).await.status, Status::Up);

        app.advance(30);
        assert_eq!(app.tick().await.flipped, 1);
        let row = app.reload(&check).await;
        assert_eq!((row.status.as_str(), row.alert_after), ("down", None));
        let flip = app.flips(&check).await.pop().unwrap();
        assert_eq!((flip.old_status.as_str(), flip.new_status.as_str(), flip.reason.as_str()), ("up", "down", "timeout"));
        assert_eq!(flip.created, pinged + secs(86_400 + 3_600), "dated at the deadline, not when noticed");
        let outbox = app.outbox(&check).await;
        assert_eq!(outbox.len(), 1);
        assert_eq!((outbox[0].channel_id, outbox[0].status.as_str(), outbox[0].flip_id), (channel, "down", flip.id));

        assert_eq!(app.tick().await.flipped, 0, "a down check is not flipped again");
        assert_eq!(app.outbox(&check).await.len(), 1);
    }

    async fn cron_check_is_due_at_the_next_firing_plus_grace(app) {
        let project = app.project().await;
        let spec = CheckConfig { kind: ScheduleKind::Cron, schedule: "0 * * * *".into(), grace: 300, ..CheckConfig::default() };
        let check = app.check(&project, spec).await;
        app.clock.set(Utc.with_ymd_and_hms(2026, 3, 2, 10, 30, 0).unwrap());
        app.get(&format!("/ping/{}", check.uuid)).await;
        let deadline = Utc.with_ymd_and_hms(2026, 3, 2, 11, 5, 0).unwrap();
        assert_eq!(app.reload(&check).await.alert_after.unwrap(), deadline);

        app.clock.set(deadline - secs(1));
        assert_eq!(app.tick().await.flipped, 0);
        app.clock.set(deadline + secs(1));
        assert_eq!(app.tick().await.flipped, 1);
        assert_eq!(app.flips(&check).await.pop().unwrap().created, deadline);
    }

    async fn cron_check_in_riga_follows_local_nine_oclock_across_dst(app) {
        let project = app.project().await;
        let spec = CheckConfig {
            kind: ScheduleKind::Cron, schedule: "0 9 * * *".into(), tz: "Europe/Riga".into(), grace: 60,
            ..CheckConfig::default()
        };
        let check = app.check(&project, spec).await;
        // Pinged the evening before clocks go forward (2026-03-29, UTC+2 -> UTC+3).
        app.clock.set(Utc.with_ymd_and_hms(2026, 3, 28, 18, 0, 0).unwrap());
        app.get(&format!("/ping/{}", check.uuid)).await;
        let row = app.reload(&check).await;
        assert_eq!(row.alert_after.unwrap(), Utc.with_ymd_and_hms(2026, 3, 29, 6, 1, 0).unwrap());
    }

    async fn run_that_outlasts_its_grace_goes_down_whatever_the_status(app) {
        let project = app.project().await;
        for start_from in ["new", "up", "paused"] {
            let check = app.check(&project, CheckConfig { grace: 60, ..CheckConfig::default() }).await;
            match start_from {
                "up" => { app.get(&format!("/ping/{}", check.uuid)).await; }
                "paused" => { checks::pause(app.db(), &check.uuid, app.now()).await.unwrap(); }
                _ => {}
            }
            app.get(&format!("/ping/{}/start", check.uuid)).await;
            let started = app.now();
            app.advance(59);
            app.tick().await;
            assert_eq!(app.reload(&check).await.status.as_str(), start_from);
            app.advance(2);
            app.tick().await;
            assert_eq!(app.reload(&check).await.status, Status::Down, "from {start_from}");
            let flip = app.flips(&check).await.pop().unwrap();
            assert_eq!((flip.old_status.as_str(), flip.reason.as_str()), (start_from, "timeout"));
            assert_eq!(flip.created, started + secs(60));
        }
    }

    async fn stale_deadline_is_recomputed_not_flipped(app) {
        let (_, check) = app.one_check().await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        let correct = app.reload(&check).await.alert_after;
        exec(&app, "update checks set alert_after = $1 where id = $3 and $2 is null", Some(Ts(app.now())), None, check.id).await;
        let report = app.tick().await;
        assert_eq!((report.flipped, report.skipped), (0, 1));
        let row = app.reload(&check).await;
        assert_eq!((row.status.as_str(), row.alert_after), ("up", correct));
    }

    async fn ping_that_lands_before_the_tick_keeps_the_check_up(app) {
        let (_, check) = app.one_check().await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        app.advance(86_400 + 3_600 + 5);
        app.get(&format!("/ping/{}", check.uuid)).await;
        assert_eq!(app.tick().await.flipped, 0);
        assert_eq!(app.reload(&check).await.status, Status::Up);
    }

    async fn tick_handles_every_due_check_and_only_those(app) {
        let project = app.project().await;
        for i in 0..1_200 {
            let check = app.check(&project, CheckConfig::default()).await;
            // Even ones last pinged two days ago (due), odd ones just now (not due).
            let last_ping = if i % 2 == 0 { app.now() - secs(2 * 86_400) } else { app.now() };
            let deadline = last_ping + secs(86_400 + 3_600);
            exec(&app, "update checks set status = 'up', last_ping = $1, alert_after = $2 where id = $3",
                Some(Ts(last_ping)), Some(Ts(deadline)), check.id).await;
        }
        let report = app.tick().await;
        assert_eq!((report.flipped, report.skipped), (600, 0));
        assert_eq!(app.tick().await.flipped, 0);
    }

    async fn pause_records_a_silent_flip_and_resume_forgets_the_last_ping(app) {
        let (project, check) = app.one_check().await;
        app.channel_for(&project, &check).await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        let paused = checks::pause(app.db(), &check.uuid, app.now()).await.unwrap().unwrap();
        assert_eq!((paused.status.as_str(), paused.alert_after), ("paused", None));
        assert_eq!(checks::pause(app.db(), &check.uuid, app.now()).await.unwrap().unwrap().status, Status::Paused);
        let resumed = checks::resume(app.db(), &check.uuid, app.now()).await.unwrap().unwrap().unwrap();
        assert_eq!((resumed.status.as_str(), resumed.last_ping), ("new", None));
        assert!(checks::resume(app.db(), &check.uuid, app.now()).await.unwrap().unwrap().is_err());
        let flips: Vec<(String, String)> = app.flips(&check).await.into_iter().map(|f| (f.old_status.as_str().to_string(), f.new_status.as_str().to_string())).collect();
        assert_eq!(flips, [("new".into(), "up".into()), ("up".into(), "paused".into()), ("paused".into(), "new".into())]);
        assert!(app.outbox(&check).await.is_empty());
    }

    async fn run_loop_flips_a_due_check_without_being_ticked_by_hand(app) {
        let project = app.project().await;
        let check = app.check(&project, CheckConfig { timeout: 60, grace: 60, ..CheckConfig::default() }).await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        let cancel = tokio_util::sync::CancellationToken::new();
        let job = tokio::spawn(Scheduler::new(&app.state).run(cancel.clone()));
        app.advance(121);
        // The loop polls at least once a second; give it ample time on a loaded machine.
        let mut status = Status::New;
        for _ in 0..100 {
            status = app.reload(&check).await.status;
            if status == Status::Down {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(status, Status::Down);
        cancel.cancel();
        job.await.expect("scheduler loop stops when cancelled");
    }

    async fn pruner_keeps_the_newest_pings_and_all_flips(app) {
        let (_, check) = app.one_check().await;
        for i in 0..130 {
            let suffix = if i % 10 == 0 { "/fail" } else { "" };
            app.get(&format!("/ping/{}{suffix}", check.uuid)).await;
            app.advance(1); // within the check's ping allowance
        }
        let flips_before = app.flips(&check).await.len();
        let state = app.state.with_config(overdue::config::Config { ping_log_limit: 20, ..(*app.state.config).clone() }).unwrap();
        assert_eq!(overdue::jobs::pruner::tick(&state).await.unwrap(), 1);
        let ns: Vec<i64> = app.pings(&check).await.into_iter().map(|p| p.n).collect();
        assert_eq!(ns, (111..=130).rev().collect::<Vec<_>>());
        assert_eq!(app.flips(&check).await.len(), flips_before);
        assert_eq!(overdue::jobs::pruner::tick(&state).await.unwrap(), 0, "nothing left to prune");
    }
}

/// Two schedulers over one PostgreSQL database, racing over the same due checks: each
/// check flips exactly once and queues exactly one notification.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_schedulers_on_one_postgres_flip_each_check_exactly_once() {
    let app = TestApp::spawn(crate::helpers::Backend::Postgres).await;
    // Counting the queued rows is the point; the 3,000 of them are not delivered.
    app.expect_undelivered_notifications();
    let project = app.project().await;
    let channel = app.channel(&project).await;
    let crate::helpers::RawPool::Postgres(pool) = app.raw().await else {
        unreachable!()
    };
    let n: i64 = 3_000;
    let mut tx = app.db().begin_write().await.unwrap();
    for _ in 0..n {
        checks::create(
            &mut tx,
            project.id,
            &CheckConfig::default(),
            false,
            app.now(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query(
        "update checks set status = 'up', last_ping = $1, alert_after = $2 where project_id = $3",
    )
    .bind(Ts(app.now() - secs(90_000)))
    .bind(Ts(app.now() - secs(10)))
    .bind(project.id)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("insert into check_channels (check_id, channel_id) select id, $1 from checks where project_id = $2")
        .bind(channel).bind(project.id).execute(&pool).await.unwrap();

    // A second process: its own pool on the same database.
    let other_db = Db::connect(&app.test_db.url, 8)
        .await
        .expect("second connection pool");
    let other_state = app.state.with_db(other_db).unwrap();
    let (first, second) = (Scheduler::new(&app.state), Scheduler::new(&other_state));
    let (a, b) = tokio::join!(first.tick(), second.tick());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        i64::try_from(a.flipped + b.flipped).unwrap(),
        n,
        "every check flipped once in all: {a:?} {b:?}"
    );

    let flips: i64 = sqlx::query_scalar("select count(*) from flips")
        .fetch_one(&pool)
        .await
        .unwrap();
    let per_check: i64 = sqlx::query_scalar("select count(distinct check_id) from flips")
        .fetch_one(&pool)
        .await
        .unwrap();
    let outbox: i64 = sqlx::query_scalar("select count(*) from notifications")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((flips, per_check, outbox), (n, n, n));
}
