//! Group commit must not change what a ping does: a batch written together leaves
//! exactly the state, log and flips that the same pings leave written one by one.

use crate::helpers::TestApp;
use bytes::Bytes;
use chrono::TimeDelta;
use overdue::domain::check::Status;
use overdue::domain::check_config::Methods;
use overdue::domain::ping::PingAction;
use overdue::store::checks::{CheckConfig, CheckRow};
use overdue::store::ping_writer::{OwnedTarget, PingJob};
use overdue::store::pings::{self, AutoCreateLimit, Recorded};

const RIDS: [&str; 2] = [
    "6a3c2d4e-1b7f-4c8a-9d0e-2f1a3b4c5d6e",
    "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
];

/// Three checks with different rules: plain, POST-only, and body keywords.
async fn checks(app: &TestApp) -> Vec<CheckRow> {
    let p = app.project().await;
    let mut out = Vec::new();
    for config in [
        CheckConfig {
            timeout: 60,
            grace: 30,
            ..CheckConfig::default()
        },
        CheckConfig {
            methods: Methods::Post,
            ..CheckConfig::default()
        },
        CheckConfig {
            filter_http_body: true,
            success_kw: "OK".into(),
            failure_kw: "ERR".into(),
            ..CheckConfig::default()
        },
    ] {
        out.push(app.check(&p, config).await);
    }
    out
}

/// A deterministic mix of pings over the checks (index `i` picks the check and the action).
fn jobs(checks: &[CheckRow], app: &TestApp) -> Vec<PingJob> {
    let actions = [
        PingAction::Start,
        PingAction::Success,
        PingAction::Fail,
        PingAction::Log,
        PingAction::Exit(0),
        PingAction::Exit(3),
    ];
    let mut seed: u64 = 42;
    (0..90)
        .map(|i| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pick = (seed >> 33) as usize;
            let check = &checks[pick % checks.len()];
            let target = if i == 45 {
                uuid::Uuid::new_v4().to_string()
            } else {
                check.uuid.clone()
            };
            PingJob {
                target: OwnedTarget::Uuid(target),
                action: actions[(pick / 3) % actions.len()],
                method: if pick.is_multiple_of(2) {
                    "POST".into()
                } else {
                    "GET".into()
                },
                body: Bytes::from(
                    ["", "all OK", "ERR: disk full", "\u{ff}\u{fe}bytes"][(pick / 7) % 4],
                ),
                rid: match (pick / 11) % 3 {
                    0 => None,
                    k => Some(RIDS[k - 1].parse().unwrap()),
                },
                remote_addr: Some("10.1.2.3".into()),
                scheme: "https".into(),
                ua: "curl/8".into(),
                now: app.now() + TimeDelta::milliseconds(i * 700),
            }
        })
        .collect()
}

/// Points each job at the matching check of another set.
fn retarget(jobs: &[PingJob], from: &[CheckRow], to: &[CheckRow]) -> Vec<PingJob> {
    jobs.iter()
        .map(|j| {
            let mut j = j.clone();
            if let OwnedTarget::Uuid(u) = &j.target
                && let Some(i) = from.iter().position(|c| &c.uuid == u)
            {
                j.target = OwnedTarget::Uuid(to[i].uuid.clone());
            }
            j
        })
        .collect()
}

fn kinds(results: &[Recorded]) -> Vec<String> {
    results
        .iter()
        .map(|r| match r {
            Recorded::Stored { kind, queued, .. } => format!("{}:{queued}", kind.as_str()),
            other => format!("{other:?}"),
        })
        .collect()
}

on_both_backends! {
    async fn a_batch_leaves_what_the_same_pings_leave_one_by_one(app) {
        let batched = checks(&app).await;
        let single = checks(&app).await;
        let batch_jobs = jobs(&batched, &app);
        let single_jobs = retarget(&batch_jobs, &batched, &single);

        let mut tx = app.db().begin_write().await.unwrap();
        let targets: Vec<(&str, &PingJob)> = batch_jobs
            .iter()
            .map(|j| match &j.target { OwnedTarget::Uuid(u) => (u.as_str(), j), OwnedTarget::Slug { .. } => unreachable!() })
            .collect();
        let batch_results = overdue::store::ping_batch::record_by_uuid(&mut tx, &targets, None).await.unwrap().results;
        tx.commit().await.unwrap();

        let limit = AutoCreateLimit { max_owned_checks: 100 };
        let mut single_results = Vec::new();
        for j in &single_jobs {
            let OwnedTarget::Uuid(u) = &j.target else { unreachable!() };
            let incoming = pings::Incoming {
                action: j.action, method: &j.method, body: &j.body, rid: j.rid,
                remote_addr: j.remote_addr.clone(), scheme: &j.scheme, ua: &j.ua,
            };
            single_results.push(pings::record(app.db(), pings::Target::Uuid(u), &incoming, limit, j.now).await.unwrap());
        }
        assert_eq!(kinds(&batch_results), kinds(&single_results));

        for (b, s) in batched.iter().zip(&single) {
            let (b, s) = (app.reload(b).await, app.reload(s).await);
            assert_eq!(
                (&b.status, b.last_ping, b.last_start, &b.last_start_rid, b.last_duration_ms, b.alert_after, b.n_pings),
                (&s.status, s.last_ping, s.last_start, &s.last_start_rid, s.last_duration_ms, s.alert_after, s.n_pings),
            );
            let log = |rows: Vec<overdue::store::pings::LoggedPing>| {
                rows.into_iter().map(|p| (p.n, p.created, p.kind, p.exit_status, p.rid, p.body, p.duration_ms, p.method)).collect::<Vec<_>>()
            };
            assert_eq!(log(app.pings(&b).await), log(app.pings(&s).await));
            let flips = |rows: Vec<overdue::store::flips::RecordedFlip>| {
                rows.into_iter().map(|f| (f.created, f.old_status, f.new_status, f.reason)).collect::<Vec<_>>()
            };
            assert_eq!(flips(app.flips(&b).await), flips(app.flips(&s).await));
        }
        assert!(batch_results.iter().any(|r| matches!(r, Recorded::NotFound)));
    }

    async fn concurrent_pings_are_all_stored_in_order(app) {
        let (_, check) = app.one_check().await;
        let url = app.url(&format!("/ping/{}", check.uuid));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..200 {
            let (http, url) = (app.http.clone(), url.clone());
            tasks.spawn(async move { http.post(url).body(format!("{i}")).send().await.unwrap().status().as_u16() });
        }
        let mut ok = 0;
        while let Some(status) = tasks.join_next().await {
            assert_eq!(status.unwrap(), 200);
            ok += 1;
        }
        assert_eq!(ok, 200);
        let row = app.reload(&check).await;
        assert_eq!(row.n_pings, 200);
        let mut ns: Vec<i64> = app.pings(&check).await.into_iter().map(|p| p.n).collect();
        ns.sort();
        assert_eq!(ns, (1..=200).collect::<Vec<_>>(), "one row per ping, numbered without gaps");
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
        let last_ping = row.last_ping.unwrap().0;
        assert_eq!(last_ping, app.now());
        assert_eq!(row.alert_after.unwrap().0, last_ping + TimeDelta::seconds(3600 + 60));
    }

    async fn pings_by_slug_and_by_uuid_in_one_batch_apply_in_arrival_order(app) {
        let project = app.project().await;
        let check = app.check(&project, CheckConfig { slug: "backup".into(), ..CheckConfig::default() }).await;
        let by_uuid = OwnedTarget::Uuid(check.uuid.clone());
        let by_slug = OwnedTarget::Slug { ping_key: project.ping_key.clone(), slug: "backup".into(), create: None };
        let job = |target: &OwnedTarget, action, secs| PingJob {
            target: target.clone(),
            action,
            method: "GET".into(),
            body: Bytes::new(),
            rid: None,
            remote_addr: None,
            scheme: "http".into(),
            ua: String::new(),
            now: app.now() + TimeDelta::seconds(secs),
        };
        // A run started by uuid and finished by slug, then one started by slug and
        // finished by uuid, all in one batch.
        let jobs = [
            job(&by_uuid, PingAction::Start, 0),
            job(&by_slug, PingAction::Success, 5),
            job(&by_slug, PingAction::Start, 10),
            job(&by_uuid, PingAction::Fail, 17),
        ];
        let refs: Vec<&PingJob> = jobs.iter().collect();
        let limit = AutoCreateLimit { max_owned_checks: 100 };
        let results = overdue::store::ping_writer::write_together(app.db(), &refs, limit, None).await.unwrap();
        assert_eq!(kinds(&results), ["start:0", "success:0", "start:0", "fail:0"]);
        let pings = app.pings(&check).await;
        let mut logged: Vec<(i64, String, Option<i64>)> =
            pings.into_iter().map(|p| (p.n, p.kind.as_str().to_string(), p.duration_ms)).collect();
        logged.sort();
        assert_eq!(
            logged,
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
}
