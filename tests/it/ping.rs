//! Ping intake over HTTP, as curl and healthchecks.io clients use it.

use crate::helpers::{Backend, TestApp};
use overdue::domain::check::Status;
use overdue::domain::check_config::Methods;
use overdue::store::checks::CheckConfig;

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

on_both_backends! {
    async fn success_ping_answers_ok_with_healthchecks_headers_and_brings_a_new_check_up(app) {
        let (_, check) = app.one_check().await;
        let r = app.get(&format!("/ping/{}", check.uuid)).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "access-control-allow-origin"), "*");
        assert_eq!(header(&r, "ping-body-limit"), "100000");
        assert!(header(&r, "cache-control").contains("no-cache"));
        assert_eq!(r.text().await.unwrap(), "OK");

        let check = app.reload(&check).await;
        assert_eq!(check.status, Status::Up);
        assert_eq!(check.n_pings, 1);
        assert_eq!(check.last_ping.unwrap(), app.now());
        // Next expected one period later; down after the grace time too.
        assert_eq!(check.alert_after.unwrap(), app.now() + chrono::TimeDelta::seconds(86_400 + 3_600));
        let flips = app.flips(&check).await;
        assert_eq!(flips.len(), 1);
        assert_eq!((flips[0].old_status.as_str(), flips[0].new_status.as_str()), ("new", "up"));
        assert!(app.outbox(&check).await.is_empty(), "new -> up notifies nobody");
    }

    async fn trailing_slash_pings_like_the_bare_url(app) {
        let (_, check) = app.one_check().await;
        assert_eq!(app.get_text(&format!("/ping/{}/", check.uuid)).await, (200, "OK".into()));
        assert_eq!(app.reload(&check).await.status, Status::Up);
    }

    async fn unknown_uppercase_or_dashless_uuid_is_not_found(app) {
        let (_, check) = app.one_check().await;
        let unknown = uuid::Uuid::new_v4();
        assert_eq!(app.get_text(&format!("/ping/{unknown}")).await, (404, "not found".into()));
        let upper = check.uuid.to_string().to_uppercase();
        assert_eq!(app.get_text(&format!("/ping/{upper}")).await.0, 404);
        let dashless = check.uuid.simple().to_string();
        assert_eq!(app.get_text(&format!("/ping/{dashless}")).await.0, 404);
        assert_eq!(app.reload(&check).await.n_pings, 0);
    }

    async fn any_method_counts_and_is_recorded(app) {
        let (_, check) = app.one_check().await;
        let url = app.url(&format!("/ping/{}", check.uuid));
        let r = app.http.head(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = app.http.put(&url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let methods: Vec<String> = app.pings(&check).await.into_iter().map(|p| p.method).collect();
        assert_eq!(methods, ["PUT", "HEAD"]);
    }

    async fn post_body_is_stored_byte_exact_and_capped_at_the_limit(app) {
        let (_, check) = app.one_check().await;
        app.post(&format!("/ping/{}", check.uuid), "hello world").await;
        let ping = app.last_ping(&check).await;
        assert_eq!(ping.method, "POST");
        assert_eq!(ping.body.as_deref(), Some(&b"hello world"[..]));

        let not_utf8 = vec![0xff, 0xfe, b'o', b'k'];
        app.post(&format!("/ping/{}", check.uuid), not_utf8.clone()).await;
        assert_eq!(app.last_ping(&check).await.body, Some(not_utf8));

        let big = vec![b'x'; 150_000];
        let r = app.post(&format!("/ping/{}", check.uuid), big).await;
        assert_eq!(r.status(), 200);
        assert_eq!(app.last_ping(&check).await.body.unwrap().len(), 100_000);
    }

    async fn body_past_the_request_cap_is_refused_and_not_counted(app) {
        let (_, check) = app.one_check().await;
        let huge = vec![b'x'; 3_000_000];
        let r = app.post(&format!("/ping/{}", check.uuid), huge).await;
        assert_eq!(r.status(), 413);
        assert_eq!(app.reload(&check).await.n_pings, 0);
    }

    async fn fail_on_up_check_goes_down_and_queues_one_notification_per_channel(app) {
        // The rows the flip queued are the subject; delivering them is not.
        app.expect_undelivered_notifications();
        let (project, check) = app.one_check().await;
        let channel = app.channel_for(&project, &check).await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        assert_eq!(app.get_text(&format!("/ping/{}/fail", check.uuid)).await, (200, "OK".into()));

        let row = app.reload(&check).await;
        assert_eq!(row.status, Status::Down);
        assert_eq!(row.alert_after, None);
        let flips = app.flips(&check).await;
        let last = flips.last().unwrap();
        assert_eq!((last.old_status.as_str(), last.new_status.as_str(), last.reason.as_str()), ("up", "down", "fail"));
        let outbox = app.outbox(&check).await;
        assert_eq!(outbox.len(), 1);
        assert_eq!((outbox[0].channel_id, outbox[0].status.as_str()), (channel, "down"));
        assert_eq!(outbox[0].flip_id, last.id);
    }

    async fn second_fail_while_down_makes_no_flip_and_no_notification(app) {
        app.expect_undelivered_notifications();
        let (project, check) = app.one_check().await;
        app.channel_for(&project, &check).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        assert_eq!(app.flips(&check).await.len(), 1);
        assert_eq!(app.outbox(&check).await.len(), 1);
        assert_eq!(app.reload(&check).await.n_pings, 2);
    }

    async fn success_on_down_check_comes_up_and_notifies_up(app) {
        app.expect_undelivered_notifications();
        let (project, check) = app.one_check().await;
        app.channel_for(&project, &check).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        app.advance(600);
        app.get(&format!("/ping/{}", check.uuid)).await;
        assert_eq!(app.reload(&check).await.status, Status::Up);
        let statuses: Vec<String> = app.outbox(&check).await.into_iter().map(|n| n.status).collect();
        // The down notification was still waiting: it now tells of the recovery.
        assert_eq!(statuses, ["up"]);
    }

    async fn channels_switched_off_for_a_direction_or_disabled_are_skipped(app) {
        app.expect_undelivered_notifications();
        let (project, check) = app.one_check().await;
        let quiet_on_down = app.channel_for(&project, &check).await;
        overdue::store::channels::set_flags(app.db(), quiet_on_down, true, false, false).await.unwrap();
        let disabled = app.channel_for(&project, &check).await;
        overdue::store::channels::set_flags(app.db(), disabled, true, true, true).await.unwrap();
        let loud = app.channel_for(&project, &check).await;
        app.get(&format!("/ping/{}/fail", check.uuid)).await;
        let channels: Vec<_> = app.outbox(&check).await.into_iter().map(|n| n.channel_id).collect();
        assert_eq!(channels, [loud]);
    }

    async fn start_on_new_check_marks_it_running_without_a_last_ping(app) {
        let (_, check) = app.one_check().await;
        assert_eq!(app.get_text(&format!("/ping/{}/start", check.uuid)).await.0, 200);
        let row = app.reload(&check).await;
        assert_eq!(row.status, Status::New);
        assert_eq!(row.last_start.unwrap(), app.now());
        assert_eq!(row.last_ping, None);
        assert_eq!(app.last_ping(&check).await.kind.as_str(), "start");
        // A run that never finishes goes down one grace time after it started.
        assert_eq!(row.alert_after.unwrap(), app.now() + chrono::TimeDelta::seconds(3_600));
    }

    async fn start_then_success_records_the_run_duration(app) {
        let (_, check) = app.one_check().await;
        app.get(&format!("/ping/{}/start", check.uuid)).await;
        app.clock.advance(chrono::TimeDelta::milliseconds(2_500));
        app.get(&format!("/ping/{}", check.uuid)).await;
        let row = app.reload(&check).await;
        assert_eq!(row.last_start, None);
        assert_eq!(row.last_duration_ms, Some(2_500));
        assert_eq!(app.last_ping(&check).await.duration_ms, Some(2_500));
    }

    async fn run_ids_pair_starts_with_their_own_completions(app) {
        let (_, check) = app.one_check().await;
        let a = "6a3c2d4e-1b7f-4c8a-9d0e-2f1a3b4c5d6e";
        let b = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
        app.get(&format!("/ping/{}/start?rid={a}", check.uuid)).await;
        app.advance(5);
        app.get(&format!("/ping/{}?rid={b}", check.uuid)).await;
        let row = app.reload(&check).await;
        assert!(row.last_start.is_some(), "another run's success leaves this one running");
        assert_eq!((row.status.as_str(), row.last_duration_ms), ("up", None));

        app.advance(5);
        app.get(&format!("/ping/{}?rid={a}", check.uuid)).await;
        let row = app.reload(&check).await;
        assert_eq!((row.last_start, row.last_duration_ms), (None, Some(10_000)));
        assert_eq!(app.last_ping(&check).await.rid.map(|r| r.to_string()).as_deref(), Some(a));
    }

    async fn fail_with_another_run_id_ends_the_run_without_a_duration(app) {
        let (_, check) = app.one_check().await;
        app.get(&format!("/ping/{}/start?rid=6a3c2d4e-1b7f-4c8a-9d0e-2f1a3b4c5d6e", check.uuid)).await;
        app.get(&format!("/ping/{}/fail?rid=0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e", check.uuid)).await;
        let row = app.reload(&check).await;
        assert_eq!((row.status.as_str(), row.last_start, row.last_duration_ms), ("down", None, None));
    }

    async fn exit_status_zero_succeeds_nonzero_fails_and_above_255_is_refused(app) {
        let (_, check) = app.one_check().await;
        assert_eq!(app.get_text(&format!("/ping/{}/0", check.uuid)).await.0, 200);
        let ping = app.last_ping(&check).await;
        assert_eq!((ping.kind.as_str(), ping.exit_status), ("success", Some(0)));
        assert_eq!(app.reload(&check).await.status, Status::Up);
        for code in [1, 255] {
            assert_eq!(app.get_text(&format!("/ping/{}/{code}", check.uuid)).await.0, 200);
            let ping = app.last_ping(&check).await;
            assert_eq!((ping.kind.as_str(), ping.exit_status), ("fail", Some(code)));
        }
        assert_eq!(app.reload(&check).await.status, Status::Down);
        assert_eq!(app.get_text(&format!("/ping/{}/256", check.uuid)).await, (400, "invalid url format".into()));
        assert_eq!(app.get_text(&format!("/ping/{}/abc", check.uuid)).await.0, 404);
        assert_eq!(app.reload(&check).await.n_pings, 3);
    }

    async fn log_ping_is_recorded_but_changes_nothing(app) {
        let (_, check) = app.one_check().await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        let before = app.reload(&check).await;
        app.advance(60);
        assert_eq!(app.post(&format!("/ping/{}/log", check.uuid), "x").await.status(), 200);
        let after = app.reload(&check).await;
        assert_eq!((after.status.as_str(), after.last_ping, after.alert_after), ("up", before.last_ping, before.alert_after));
        assert_eq!(app.last_ping(&check).await.kind.as_str(), "log");
        assert_eq!(app.flips(&check).await.len(), 1);
    }

    async fn bad_run_id_is_refused_and_uppercase_run_id_is_accepted(app) {
        let (_, check) = app.one_check().await;
        assert_eq!(app.get_text(&format!("/ping/{}?rid=12345", check.uuid)).await, (400, "invalid uuid format".into()));
        // Lookup comes first: an unknown check with a bad rid is simply not found.
        assert_eq!(app.get_text(&format!("/ping/{}?rid=12345", uuid::Uuid::new_v4())).await.0, 404);
        let upper = "6A3C2D4E-1B7F-4C8A-9D0E-2F1A3B4C5D6E";
        assert_eq!(app.get_text(&format!("/ping/{}/start?rid={upper}", check.uuid)).await.0, 200);
        assert_eq!(app.last_ping(&check).await.rid.unwrap().to_string(), upper.to_lowercase());
        assert_eq!(app.reload(&check).await.n_pings, 1);
    }

    async fn post_only_check_ignores_other_methods(app) {
        let project = app.project().await;
        let check = app.check(&project, CheckConfig { methods: Methods::Post, ..CheckConfig::default() }).await;
        assert_eq!(app.get_text(&format!("/ping/{}", check.uuid)).await, (200, "OK".into()));
        let row = app.reload(&check).await;
        assert_eq!((row.status.as_str(), row.last_ping), ("new", None));
        assert_eq!(app.last_ping(&check).await.kind.as_str(), "ign");
        app.post(&format!("/ping/{}", check.uuid), "").await;
        assert_eq!(app.reload(&check).await.status, Status::Up);
    }

    async fn paused_check_with_manual_resume_ignores_every_ping(app) {
        let project = app.project().await;
        let check = app.check(&project, CheckConfig { manual_resume: true, ..CheckConfig::default() }).await;
        overdue::store::checks::pause(app.db(), &check.uuid, app.now()).await.unwrap();
        for suffix in ["", "/fail", "/log", "/start"] {
            assert_eq!(app.get_text(&format!("/ping/{}{suffix}", check.uuid)).await.0, 200);
            assert_eq!(app.last_ping(&check).await.kind.as_str(), "ign");
        }
        let row = app.reload(&check).await;
        assert_eq!((row.status.as_str(), row.last_start), ("paused", None));
    }

    async fn paused_check_without_manual_resume_comes_up_silently(app) {
        let (project, check) = app.one_check().await;
        app.channel_for(&project, &check).await;
        overdue::store::checks::pause(app.db(), &check.uuid, app.now()).await.unwrap();
        app.get(&format!("/ping/{}", check.uuid)).await;
        assert_eq!(app.reload(&check).await.status, Status::Up);
        assert!(app.outbox(&check).await.is_empty());
    }

    async fn body_keywords_classify_the_ping(app) {
        let project = app.project().await;
        let spec = CheckConfig {
            filter_http_body: true,
            success_kw: "SUCCESS".into(),
            failure_kw: "FAIL, ERROR".into(),
            ..CheckConfig::default()
        };
        let check = app.check(&project, spec).await;
        let url = format!("/ping/{}", check.uuid);
        for (body, expected) in [
            (&b"hello"[..], "ign"),
            (b"SUCCESS!", "success"),
            (b"FAIL SUCCESS", "fail"),
            (b"an ERROR", "fail"),
            // Bytes that are not UTF-8 never fail the ping; what decodes still matches.
            (b"\xff\xfe SUCCESS \xc3", "success"),
        ] {
            app.post(&url, body).await;
            assert_eq!(app.last_ping(&check).await.kind.as_str(), expected, "body {body:?}");
        }
    }

    async fn default_fail_turns_unmatched_bodies_into_failures(app) {
        let project = app.project().await;
        let spec = CheckConfig {
            filter_http_body: true,
            filter_default_fail: true,
            success_kw: "SUCCESS".into(),
            ..CheckConfig::default()
        };
        let check = app.check(&project, spec).await;
        app.get(&format!("/ping/{}", check.uuid)).await;
        assert_eq!(app.last_ping(&check).await.kind.as_str(), "fail");
        assert_eq!(app.reload(&check).await.status, Status::Down);
    }

    async fn client_address_scheme_and_user_agent_are_recorded(app) {
        let (_, check) = app.one_check().await;
        let url = app.url(&format!("/ping/{}", check.uuid));
        // The test client connects from loopback, which is trusted by default: the
        // nearest hop the proxy did not vouch for is the client (the leftmost is
        // whatever the client claimed).
        app.http.get(&url).header("x-forwarded-for", "6.6.6.6, 1.1.1.1").header("x-forwarded-proto", "https")
            .send().await.unwrap();
        let ping = app.last_ping(&check).await;
        assert_eq!((ping.remote_addr.as_deref(), ping.scheme.as_str()), (Some("1.1.1.1"), "https"));

        app.http.get(&url).header("x-forwarded-for", "1.1.1.1:1234").send().await.unwrap();
        assert_eq!(app.last_ping(&check).await.remote_addr.as_deref(), Some("1.1.1.1"));

        app.http.get(&url).header("user-agent", "u".repeat(330)).send().await.unwrap();
        let ping = app.last_ping(&check).await;
        assert_eq!(ping.ua, "u".repeat(200));
        assert_eq!((ping.remote_addr.as_deref(), ping.scheme.as_str()), (Some("127.0.0.1"), "http"));
    }

    async fn slug_urls_ping_by_project_key_and_slug(app) {
        let project = app.project().await;
        let check = app.check(&project, CheckConfig { slug: "foo".into(), ..CheckConfig::default() }).await;
        let key = &project.ping_key;
        assert_eq!(app.get_text(&format!("/ping/{key}/foo")).await, (200, "OK".into()));
        assert_eq!(app.get_text(&format!("/ping/{key}/foo/fail")).await, (200, "OK".into()));
        assert_eq!(app.get_text(&format!("/ping/{key}/foo/7")).await.0, 200);
        assert_eq!(app.get_text(&format!("/ping/{key}/foo/start")).await.0, 200);
        assert_eq!(app.reload(&check).await.n_pings, 4);
        assert_eq!(app.get_text(&format!("/ping/{key}/bar")).await, (404, "not found".into()));
        assert_eq!(app.get_text(&format!("/ping/{}/foo", "k".repeat(22))).await, (404, "not found".into()));
        assert_eq!(app.get_text(&format!("/ping/{key}/Foo")).await, (400, "invalid url format".into()));
        assert_eq!(app.get_text(&format!("/ping/{key}/foo/")).await.0, 404);
        assert_eq!(app.get_text(&format!("/ping/{key}/foo/300")).await, (400, "invalid url format".into()));

        app.check(&project, CheckConfig { slug: "foo".into(), ..CheckConfig::default() }).await;
        assert_eq!(app.get_text(&format!("/ping/{key}/foo")).await, (409, "ambiguous slug".into()));
    }

    async fn create_param_provisions_a_check_with_all_channels_once(app) {
        let (project, existing) = app.one_check().await;
        let channel = app.channel_for(&project, &existing).await;
        let key = &project.ping_key;
        assert_eq!(app.get_text(&format!("/ping/{key}/new-job?create=1")).await, (201, "Created".into()));
        assert_eq!(app.get_text(&format!("/ping/{key}/new-job?create=1")).await, (200, "OK".into()));
        assert_eq!(app.get_text(&format!("/ping/{key}/other?create=yes")).await.0, 404);

        let ids = overdue::store::checks::ids_by_slug(app.db(), project.id, "new-job").await.unwrap();
        assert_eq!(ids.len(), 1);
        let created = overdue::store::checks::find_by_id(app.db(), ids[0]).await.unwrap().unwrap();
        assert_eq!((created.name.as_str(), created.slug.as_str(), created.n_pings), ("new-job", "new-job", 2));
        assert_eq!((created.timeout, created.grace), (86_400, 3_600));
        assert_eq!(overdue::store::checks::channel_ids(app.db(), created.id).await.unwrap(), [channel]);
    }
}

mod limits {
    use super::*;

    async fn forwarded_headers_are_ignored_from_untrusted_peers(backend: Backend) {
        let app = TestApp::spawn_with(backend, |c| c.trusted_proxies = Default::default()).await;
        let (_, check) = app.one_check().await;
        let url = app.url(&format!("/ping/{}", check.uuid));
        app.http
            .get(&url)
            .header("x-forwarded-for", "1.1.1.1")
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .unwrap();
        let ping = app.last_ping(&check).await;
        assert_eq!(
            (ping.remote_addr.as_deref(), ping.scheme.as_str()),
            (Some("127.0.0.1"), "http")
        );
    }

    /// `?create=1` creates at most `AUTO_CREATE_PER_MINUTE` checks a minute in a project;
    /// a ping that would create one more is refused with 429 and stores nothing.
    async fn create_param_is_rate_limited_per_project(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let project = app.project().await;
        let key = &project.ping_key;
        let allowance = overdue::state::AUTO_CREATE_PER_MINUTE;
        for n in 0..allowance {
            assert_eq!(
                app.get_text(&format!("/ping/{key}/job-{n}?create=1"))
                    .await
                    .0,
                201
            );
        }
        let (status, body) = app
            .get_text(&format!("/ping/{key}/one-more?create=1"))
            .await;
        assert_eq!(status, 429, "{body}");
        assert!(body.contains("try again in a minute"), "{body}");
        // Existing checks still take pings.
        assert_eq!(
            app.get_text(&format!("/ping/{key}/job-0?create=1")).await.0,
            200
        );
        app.advance(60);
        assert_eq!(
            app.get_text(&format!("/ping/{key}/one-more?create=1"))
                .await
                .0,
            201
        );
    }

    /// A check pinged faster than its allowance refuses pings that change nothing (429,
    /// not stored), and still takes every ping that changes its status.
    async fn a_flood_of_pings_is_capped_but_status_changes_are_kept(backend: Backend) {
        use overdue::domain::ping_rate::{BURST, PER_SECOND};
        let app = TestApp::spawn(backend).await;
        let (_, check) = app.one_check().await;
        let path = format!("/ping/{}", check.uuid);
        let mut refused = 0;
        for _ in 0..(usize::try_from(BURST).unwrap() + 20) {
            match app.get_text(&path).await {
                (200, _) => {}
                (429, body) => {
                    assert!(body.contains("was not stored"), "{body}");
                    refused += 1;
                }
                other => panic!("{other:?}"),
            }
        }
        // The first ping takes the check from new to up, a status change, so it does not
        // count against the allowance.
        assert_eq!(refused, 19);
        assert_eq!(
            app.pings(&check).await.len(),
            usize::try_from(BURST).unwrap() + 1
        );

        // Over the allowance, a failure still goes down, and the recovery comes back up.
        assert_eq!(app.get_text(&format!("{path}/fail")).await.0, 200);
        assert_eq!(app.reload(&check).await.status, Status::Down);
        assert_eq!(app.get_text(&path).await.0, 200);
        assert_eq!(app.reload(&check).await.status, Status::Up);
        assert_eq!(app.get_text(&path).await.0, 429);

        app.advance(1);
        let mut taken = 0;
        for _ in 0..20 {
            if app.get_text(&path).await.0 == 200 {
                taken += 1;
            }
        }
        assert_eq!(taken, usize::try_from(PER_SECOND).unwrap());
    }

    on_both_backends!(fn(Backend):
        a_flood_of_pings_is_capped_but_status_changes_are_kept,
        forwarded_headers_are_ignored_from_untrusted_peers,
        create_param_is_rate_limited_per_project,
    );

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn create_param_stops_at_the_check_limit() {
        for backend in [
            crate::helpers::Backend::Sqlite,
            crate::helpers::Backend::Postgres,
        ] {
            let app = TestApp::spawn_with(backend, |c| c.check_limit = 2).await;
            let (project, _) = app.one_check().await;
            let key = &project.ping_key;
            assert_eq!(
                app.get_text(&format!("/ping/{key}/second?create=1"))
                    .await
                    .0,
                201
            );
            assert_eq!(
                app.get_text(&format!("/ping/{key}/third?create=1")).await,
                (404, "not found".into())
            );
            assert!(
                overdue::store::checks::ids_by_slug(app.db(), project.id, "third")
                    .await
                    .unwrap()
                    .is_empty()
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ping_body_limit_setting_caps_storage_and_is_advertised() {
        for backend in [
            crate::helpers::Backend::Sqlite,
            crate::helpers::Backend::Postgres,
        ] {
            let app = TestApp::spawn_with(backend, |c| c.ping_body_limit = 10).await;
            let (_, check) = app.one_check().await;
            let r = app
                .post(&format!("/ping/{}", check.uuid), "0123456789abcdef")
                .await;
            assert_eq!(header(&r, "ping-body-limit"), "10");
            assert_eq!(
                app.last_ping(&check).await.body.as_deref(),
                Some(&b"0123456789"[..])
            );
        }
    }
}

on_both_backends! {
    async fn overlapping_runs_each_get_their_own_duration(app) {
        let (_, check) = app.one_check().await;
        let a = "6a3c2d4e-1b7f-4c8a-9d0e-2f1a3b4c5d6e";
        let b = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
        app.get(&format!("/ping/{}/start?rid={a}", check.uuid)).await;
        app.advance(10);
        app.get(&format!("/ping/{}/start?rid={b}", check.uuid)).await;
        app.advance(5);
        // Run A finishes while B is the check's latest start: still 15 s, from the log.
        app.get(&format!("/ping/{}?rid={a}", check.uuid)).await;
        assert_eq!(app.last_ping(&check).await.duration_ms, Some(15_000));
        app.advance(5);
        app.get(&format!("/ping/{}?rid={b}", check.uuid)).await;
        assert_eq!(app.last_ping(&check).await.duration_ms, Some(10_000));
        assert_eq!(app.reload(&check).await.last_duration_ms, Some(10_000));
        // A second completion of run A has no open start to pair with.
        app.get(&format!("/ping/{}?rid={a}", check.uuid)).await;
        assert_eq!(app.last_ping(&check).await.duration_ms, None);
    }
}

on_both_backends! {
    async fn create_param_takes_the_schedule_and_channels_from_the_url(app) {
        let (project, existing) = app.one_check().await;
        let ops = app.channel_for(&project, &existing).await;
        let key = &project.ping_key;
        let path = format!("/ping/{key}/nightly?create=1&schedule=0+3+*+*+*&tz=Europe%2FRiga&grace=600&channels=");
        assert_eq!(app.get_text(&path).await, (201, "Created".into()));
        let id = overdue::store::checks::ids_by_slug(app.db(), project.id, "nightly").await.unwrap()[0];
        let row = overdue::store::checks::find_by_id(app.db(), id).await.unwrap().unwrap();
        assert_eq!((row.kind.as_str(), row.schedule.as_str(), row.tz.as_str(), row.grace), ("cron", "0 3 * * *", "Europe/Riga", 600));
        assert!(overdue::store::checks::channel_ids(app.db(), id).await.unwrap().is_empty());

        let path = format!("/ping/{key}/daily?create=1&schedule=%40daily");
        assert_eq!(app.get_text(&path).await.0, 201, "a cron alias in the URL");
        let id = overdue::store::checks::ids_by_slug(app.db(), project.id, "daily").await.unwrap()[0];
        let row = overdue::store::checks::find_by_id(app.db(), id).await.unwrap().unwrap();
        assert_eq!((row.kind.as_str(), row.schedule.as_str()), ("cron", "@daily"));

        let path = format!("/ping/{key}/hourly?create=1&timeout=3600&channels=*");
        assert_eq!(app.get_text(&path).await.0, 201);
        let id = overdue::store::checks::ids_by_slug(app.db(), project.id, "hourly").await.unwrap()[0];
        let row = overdue::store::checks::find_by_id(app.db(), id).await.unwrap().unwrap();
        assert_eq!((row.kind.as_str(), row.timeout), ("simple", 3600));
        assert_eq!(overdue::store::checks::channel_ids(app.db(), id).await.unwrap(), [ops]);
    }

    async fn create_param_settings_are_validated_like_the_api(app) {
        let project = app.project().await;
        let key = &project.ping_key;
        for (query, message) in [
            ("timeout=abc", "json validation error: timeout is not a number"),
            ("grace=0", "json validation error: grace is too small"),
            ("schedule=not+cron", "json validation error: schedule is not a valid cron or OnCalendar expression"),
            ("tz=Mars%2FBase", "json validation error: tz is not a valid timezone"),
            ("channels=nope", "invalid channel identifier: nope"),
        ] {
            assert_eq!(app.get_text(&format!("/ping/{key}/job?create=1&{query}")).await, (400, message.into()), "{query}");
        }
        assert!(overdue::store::checks::ids_by_slug(app.db(), project.id, "job").await.unwrap().is_empty());
    }
}
