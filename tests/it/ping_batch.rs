//! Group commit must not change what a ping does: a batch written together leaves
//! exactly the state, log and flips that the same pings leave written one by one (each a
//! batch of its own), its pings apply in arrival order whether they name their check by
//! uuid or by slug, and a run's start and completion pair within a batch and across
//! batches.

use crate::helpers::TestApp;
use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use overdue::domain::check::Status;
use overdue::domain::check_config::Methods;
use overdue::domain::ping::PingAction;
use overdue::store::checks::{self, Check, CheckConfig};
use overdue::store::intake::{self, AutoCreate, AutoCreateLimit, PingJob, Recorded, Target};
use overdue::store::projects::CreatedProject;
use uuid::Uuid;

const RIDS: [&str; 3] = [
    "6a3c2d4e-1b7f-4c8a-9d0e-2f1a3b4c5d6e",
    "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
    "9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a",
];

const LIMIT: AutoCreateLimit = AutoCreateLimit {
    max_owned_checks: 100,
    per_minute: 100,
};

/// A slug no check has until a ping with `?create=1` makes it.
const AUTO_SLUG: &str = "made-by-ping";

fn job(target: &Target, action: PingAction, rid: Option<Uuid>, now: DateTime<Utc>) -> PingJob {
    PingJob {
        target: target.clone(),
        action,
        method: "GET".into(),
        body: Bytes::new(),
        rid,
        remote_addr: None,
        scheme: "http".into(),
        ua: String::new(),
        now,
    }
}

fn by_slug(project: &CreatedProject, slug: &str, create: bool) -> Target {
    Target::Slug {
        ping_key: project.ping_key.clone(),
        slug: slug.into(),
        create: create.then(|| {
            Box::new(AutoCreate {
                config: CheckConfig::default(),
                channels: "*".into(),
            })
        }),
    }
}

fn rid(i: usize) -> Option<Uuid> {
    Some(RIDS[i].parse().unwrap())
}

/// A project with three checks of different rules (plain, POST-only, body keywords),
/// each with a slug and a channel.
async fn fleet(app: &TestApp) -> (CreatedProject, Vec<Check>) {
    let p = app.project().await;
    let mut out = Vec::new();
    for config in [
        CheckConfig {
            slug: "plain".into(),
            timeout: 60,
            grace: 30,
            ..CheckConfig::default()
        },
        CheckConfig {
            slug: "post-only".into(),
            methods: Methods::Post,
            ..CheckConfig::default()
        },
        CheckConfig {
            slug: "keywords".into(),
            filter_http_body: true,
            success_kw: "OK".into(),
            failure_kw: "ERR".into(),
            ..CheckConfig::default()
        },
    ] {
        let check = app.check(&p, config).await;
        app.channel_for(&p, &check).await;
        out.push(check);
    }
    (p, out)
}

/// A deterministic mix of pings over a fleet's checks, by uuid and by slug, with and
/// without run ids, with one unknown uuid and a slug that a ping creates halfway.
fn mixed_jobs(app: &TestApp, project: &CreatedProject, checks: &[Check]) -> Vec<PingJob> {
    // Starts are frequent so that runs overlap, within a batch and across batches.
    let actions = [
        PingAction::Start,
        PingAction::Start,
        PingAction::Success,
        PingAction::Start,
        PingAction::Fail,
        PingAction::Log,
        PingAction::Exit(0),
        PingAction::Exit(3),
    ];
    let mut seed: u64 = 42;
    (0..150)
        .map(|i| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (seed >> 33) as usize;
            let check = &checks[pick % checks.len()];
            let target = match i {
                45 => Target::Uuid("00000000-0000-4000-8000-000000000000".into()),
                20 | 120 => by_slug(project, AUTO_SLUG, false),
                60 => by_slug(project, AUTO_SLUG, true),
                _ if pick.is_multiple_of(5) => by_slug(project, &check.slug, false),
                _ => Target::Uuid(check.uuid.to_string()),
            };
            PingJob {
                method: if pick.is_multiple_of(2) {
                    "POST"
                } else {
                    "GET"
                }
                .into(),
                body: Bytes::from(
                    ["", "all OK", "ERR: disk full", "\u{ff}\u{fe}bytes"][(pick / 7) % 4],
                ),
                remote_addr: Some("10.1.2.3".into()),
                scheme: "https".into(),
                ua: "curl/8".into(),
                ..job(
                    &target,
                    actions[(pick / 3) % actions.len()],
                    match (pick / 11) % 4 {
                        0 => None,
                        k => rid(k - 1),
                    },
                    app.now() + TimeDelta::milliseconds(i * 700),
                )
            }
        })
        .collect()
}

fn summary(results: &[Recorded]) -> Vec<String> {
    results
        .iter()
        .map(|r| match r {
            Recorded::Stored {
                kind,
                queued,
                created_check,
                ..
            } => format!("{}:{queued}:{created_check}", kind.as_str()),
            other => format!("{other:?}"),
        })
        .collect()
}

fn durations(rows: Vec<overdue::store::pings::LoggedPing>) -> Vec<(i64, String, Option<i64>)> {
    let mut out: Vec<_> = rows
        .into_iter()
        .map(|p| (p.n, p.kind.as_str().to_string(), p.duration_ms))
        .collect();
    out.sort();
    out
}

async fn auto_created(app: &TestApp, project: &CreatedProject) -> Check {
    let ids = checks::ids_by_slug(app.db(), project.id, AUTO_SLUG)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1, "the slug's check was created once");
    checks::find_by_id(app.db(), ids[0]).await.unwrap().unwrap()
}

on_both_backends! {
    async fn a_batch_leaves_what_the_same_pings_leave_one_by_one(app) {
        // The outbox rows each flip queued are compared, not delivered.
        app.expect_undelivered_notifications();
        // arrange: two identical fleets, the same pings for each
        let (batched_project, mut batched) = fleet(&app).await;
        let (single_project, mut single) = fleet(&app).await;
        let batch_jobs = mixed_jobs(&app, &batched_project, &batched);
        let single_jobs = mixed_jobs(&app, &single_project, &single);

        // act: all in one batch, and each as a batch of its own
        let batch_results = intake::write_together(app.db(), &batch_jobs, LIMIT).await.unwrap();
        let mut single_results = Vec::new();
        for j in single_jobs {
            single_results.extend(intake::write_together(app.db(), &[j], LIMIT).await.unwrap());
        }

        // assert
        assert_eq!(summary(&batch_results), summary(&single_results));
        assert!(batch_results.iter().any(|r| matches!(r, Recorded::NotFound)));
        assert!(batch_results.iter().any(|r| matches!(r, Recorded::Stored { created_check: true, .. })));
        batched.push(auto_created(&app, &batched_project).await);
        single.push(auto_created(&app, &single_project).await);
        let mut paired = 0;
        for (b, s) in batched.iter().zip(&single) {
            let (b, s) = (app.reload(b).await, app.reload(s).await);
            assert_eq!(
                (&b.status, b.last_ping, b.last_start, &b.last_start_rid, b.last_duration_ms, b.alert_after, b.n_pings),
                (&s.status, s.last_ping, s.last_start, &s.last_start_rid, s.last_duration_ms, s.alert_after, s.n_pings),
            );
            let log = |rows: Vec<overdue::store::pings::LoggedPing>| {
                rows.into_iter().map(|p| (p.n, p.created, p.kind, p.exit_status, p.rid, p.body, p.duration_ms, p.method)).collect::<Vec<_>>()
            };
            let (b_log, s_log) = (log(app.pings(&b).await), log(app.pings(&s).await));
            paired += b_log.iter().filter(|p| p.6.is_some()).count();
            assert_eq!(b_log, s_log);
            let flips = |rows: Vec<overdue::store::flips::RecordedFlip>| {
                rows.into_iter().map(|f| (f.created, f.old_status, f.new_status, f.reason)).collect::<Vec<_>>()
            };
            assert_eq!(flips(app.flips(&b).await), flips(app.flips(&s).await));
            assert_eq!(app.outbox(&b).await.len(), app.outbox(&s).await.len());
        }
        assert!(paired > 0, "the mix pairs some runs");
    }

    async fn a_start_and_its_completion_in_one_batch_give_the_run_duration(app) {
        // arrange: two overlapping runs with ids, then one without
        let (_, check) = app.one_check().await;
        let t = app.now();
        let by_uuid = Target::Uuid(check.uuid.to_string());
        let jobs = [
            job(&by_uuid, PingAction::Start, rid(0), t),
            job(&by_uuid, PingAction::Start, rid(1), t + TimeDelta::seconds(10)),
            job(&by_uuid, PingAction::Success, rid(0), t + TimeDelta::seconds(15)),
            job(&by_uuid, PingAction::Success, rid(1), t + TimeDelta::seconds(20)),
            job(&by_uuid, PingAction::Start, None, t + TimeDelta::seconds(30)),
            job(&by_uuid, PingAction::Fail, None, t + TimeDelta::milliseconds(32_500)),
        ];

        // act
        intake::write_together(app.db(), &jobs, LIMIT).await.unwrap();

        // assert
        let durations: Vec<Option<i64>> = durations(app.pings(&check).await).into_iter().map(|p| p.2).collect();
        assert_eq!(durations, [None, None, Some(15_000), Some(10_000), None, Some(2_500)]);
        let row = app.reload(&check).await;
        assert_eq!((row.status.as_str(), row.last_start, row.last_duration_ms), ("down", None, Some(2_500)));
    }

    async fn overlapping_runs_with_ids_pair_across_batches(app) {
        // arrange: run 0 and run 1 start on the first check; a later batch starts run 2
        // there and run 0 on the second check, whose run ids are its own
        let project = app.project().await;
        let first = app.check(&project, CheckConfig::default()).await;
        let second = app.check(&project, CheckConfig::default()).await;
        let (c1, c2) = (Target::Uuid(first.uuid.to_string()), Target::Uuid(second.uuid.to_string()));
        let t = |s: i64| app.now() + TimeDelta::seconds(s);
        let run2 = Some(Uuid::from_u128(2));
        let batches = [
            vec![job(&c1, PingAction::Start, rid(0), t(0)), job(&c1, PingAction::Start, rid(1), t(10))],
            vec![
                job(&c1, PingAction::Success, rid(0), t(15)),
                job(&c2, PingAction::Start, rid(0), t(16)),
                job(&c1, PingAction::Start, run2, t(17)),
            ],
            vec![
                job(&c1, PingAction::Success, rid(1), t(20)),
                job(&c1, PingAction::Success, rid(0), t(21)),
                job(&c2, PingAction::Success, rid(0), t(22)),
                job(&c1, PingAction::Fail, run2, t(25)),
            ],
        ];

        // act
        for batch in &batches {
            intake::write_together(app.db(), batch, LIMIT).await.unwrap();
        }

        // assert: run 0 from the log (15 s); run 1 from the log although run 2 is the
        // remembered start (10 s); run 0's second completion finds its run closed, and the
        // second check's run 0 is no match for it; run 2 from the remembered start (8 s)
        let first_log: Vec<Option<i64>> = durations(app.pings(&first).await).into_iter().map(|p| p.2).collect();
        assert_eq!(first_log, [None, None, Some(15_000), None, Some(10_000), None, Some(8_000)]);
        let second_log: Vec<Option<i64>> = durations(app.pings(&second).await).into_iter().map(|p| p.2).collect();
        assert_eq!(second_log, [None, Some(6_000)]);
        assert_eq!(app.reload(&first).await.last_duration_ms, Some(8_000));
    }

    async fn concurrent_pings_are_all_stored_in_order(app) {
        // As many as one check may take at once (its burst allowance).
        let n = i64::from(overdue::domain::ping_rate::BURST);
        let (_, check) = app.one_check().await;
        let url = app.url(&format!("/ping/{}", check.uuid));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let (http, url) = (app.http.clone(), url.clone());
            tasks.spawn(async move { http.post(url).body(format!("{i}")).send().await.unwrap().status().as_u16() });
        }
        let mut ok = 0;
        while let Some(status) = tasks.join_next().await {
            assert_eq!(status.unwrap(), 200);
            ok += 1;
        }
        assert_eq!(ok, n);
        let row = app.reload(&check).await;
        assert_eq!(row.n_pings, n);
        let mut ns: Vec<i64> = app.pings(&check).await.into_iter().map(|p| p.n).collect();
        ns.sort();
        assert_eq!(ns, (1..=n).collect::<Vec<_>>(), "one row per ping, numbered without gaps");
    }

    async fn a_ping_after_another_writer_changed_the_check_uses_the_new_settings(app) {
        let project = app.project().await;
        let check = app.check(&project, CheckConfig { timeout: 60, grace: 60, ..CheckConfig::default() }).await;
        let ping = format!("/ping/{}", check.uuid);
        assert_eq!(app.get(&ping).await.status(), 200);
        // The API writes on another connection than the ping writer.
        let r = app
            .http
            .post(app.url(&format!("/api/v3/checks/{}", check.uuid)))
            .header("X-Api-Key", &project.api_key)
            .body(r#"{"timeout": 3600}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        app.advance(10);
        assert_eq!(app.get(&ping).await.status(), 200);
        let row = app.reload(&check).await;
        assert_eq!(row.n_pings, 2);
        assert_eq!(row.timeout, 3600);
        let last_ping = row.last_ping.unwrap();
        assert_eq!(last_ping, app.now());
        assert_eq!(row.alert_after.unwrap(), last_ping + TimeDelta::seconds(3600 + 60));
    }

    async fn pings_by_slug_and_by_uuid_in_one_batch_apply_in_arrival_order(app) {
        let project = app.project().await;
        let check = app.check(&project, CheckConfig { slug: "backup".into(), ..CheckConfig::default() }).await;
        let by_uuid = Target::Uuid(check.uuid.to_string());
        let slug = by_slug(&project, "backup", false);
        let t = |s: i64| app.now() + TimeDelta::seconds(s);
        // A run started by uuid and finished by slug, then one started by slug and
        // finished by uuid, all in one batch.
        let jobs = [
            job(&by_uuid, PingAction::Start, None, t(0)),
            job(&slug, PingAction::Success, None, t(5)),
            job(&slug, PingAction::Start, None, t(10)),
            job(&by_uuid, PingAction::Fail, None, t(17)),
        ];
        let results = intake::write_together(app.db(), &jobs, LIMIT).await.unwrap();
        assert_eq!(summary(&results), ["start:0:false", "success:0:false", "start:0:false", "fail:0:false"]);
        assert_eq!(
            durations(app.pings(&check).await),
            [
                (1, "start".to_string(), None),
                (2, "success".to_string(), Some(5_000)),
                (3, "start".to_string(), None),
                (4, "fail".to_string(), Some(7_000)),
            ]
        );
        let row = app.reload(&check).await;
        assert_eq!(row.status, Status::Down);
        assert_eq!(row.last_duration_ms, Some(7_000));
    }

    async fn a_check_created_by_a_slug_ping_takes_the_later_pings_of_its_batch(app) {
        let project = app.project().await;
        let t = |s: i64| app.now() + TimeDelta::seconds(s);
        let jobs = [
            job(&by_slug(&project, AUTO_SLUG, false), PingAction::Success, None, t(0)),
            job(&by_slug(&project, AUTO_SLUG, true), PingAction::Start, None, t(1)),
            job(&by_slug(&project, AUTO_SLUG, false), PingAction::Success, None, t(4)),
            job(&by_slug(&project, AUTO_SLUG, true), PingAction::Log, None, t(5)),
        ];
        let results = intake::write_together(app.db(), &jobs, LIMIT).await.unwrap();
        assert_eq!(summary(&results), ["NotFound", "start:0:true", "success:0:false", "log:0:false"]);
        let check = auto_created(&app, &project).await;
        assert_eq!(
            durations(app.pings(&check).await),
            [
                (1, "start".to_string(), None),
                (2, "success".to_string(), Some(3_000)),
                (3, "log".to_string(), None),
            ]
        );
        assert_eq!((check.status.as_str(), check.n_pings), ("up", 3));
    }
}
