//! Faults of the database underneath: a full disk, a database that stops answering, a
//! connection lost after COMMIT, a server that is down. Pings and the API answer 503
//! quickly, `/healthz` tells the truth, nothing is stored twice, and the service
//! recovers without a restart.

use crate::helpers::proxy::Proxy;
use crate::helpers::{Backend, TestApp, TestDb};
use overdue::store::Db;
use overdue::store::checks::Check;
use overdue::store::intake::{AutoCreateLimit, PingJob, PingWriter, Target};
use std::time::Duration;

/// Longer than any answer the service should take; a request still waiting then hangs.
const HANG: Duration = Duration::from_secs(30);

async fn get_bounded(app: &TestApp, path: &str, key: Option<&str>) -> (u16, String) {
    let mut request = app.http.get(app.url(path));
    if let Some(key) = key {
        request = request.header("X-Api-Key", key);
    }
    let response = tokio::time::timeout(HANG, request.send())
        .await
        .unwrap_or_else(|_| panic!("GET {path} hung"))
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn ping_path(check: &Check) -> String {
    format!("/ping/{}", check.uuid)
}

/// The PostgreSQL server the test database lives on, as `host:port`.
fn upstream(url: &str) -> String {
    let parsed = url::Url::parse(url).unwrap();
    format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    )
}

/// The app on PostgreSQL through a proxy the test controls, with a one-second bound on
/// database waits.
async fn behind_proxy() -> (TestApp, Proxy) {
    let test_db = TestDb::new(Backend::Postgres).await;
    let proxy = Proxy::start(upstream(&test_db.url)).await;
    let db = Db::connect_with_timeout(&proxy.url_for(&test_db.url), 4, Duration::from_secs(1))
        .await
        .unwrap();
    let app = TestApp::spawn_on(test_db, db, |c| c.db_timeout = 1).await;
    (app, proxy)
}

/// Pings until one is answered 200, for at most `HANG`.
async fn ping_until_ok(app: &TestApp, check: &Check) {
    let started = std::time::Instant::now();
    loop {
        let (status, _) = get_bounded(app, &ping_path(check), None).await;
        if status == 200 {
            return;
        }
        assert!(started.elapsed() < HANG, "pings never recovered: {status}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_database_gives_quick_503s_and_the_service_recovers_with_it() {
    let (app, proxy) = behind_proxy().await;
    let (project, check) = app.one_check().await;
    assert_eq!(get_bounded(&app, &ping_path(&check), None).await.0, 200);

    proxy.freeze();
    let (status, body) = get_bounded(&app, &ping_path(&check), None).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("retry later"), "{body}");
    let (status, body) = get_bounded(&app, "/healthz", None).await;
    assert_eq!(status, 503, "{body}");
    let (status, body) = get_bounded(&app, "/api/v3/checks/", Some(&project.api_key)).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("database is unavailable"), "{body}");

    proxy.pass();
    ping_until_ok(&app, &check).await;
    assert_eq!(get_bounded(&app, "/healthz", None).await.0, 200);
    assert_eq!(
        get_bounded(&app, "/api/v3/checks/", Some(&project.api_key))
            .await
            .0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_is_down_gives_503_not_500_and_the_service_recovers() {
    let (app, proxy) = behind_proxy().await;
    let (project, check) = app.one_check().await;

    proxy.refuse();
    for path in ["/api/v3/checks/", "/api/v3/status/", "/api/v1/checks/"] {
        let (status, body) = get_bounded(&app, path, Some(&project.api_key)).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert!(body.contains("try again"), "{path}: {body}");
    }
    assert_eq!(get_bounded(&app, &ping_path(&check), None).await.0, 503);

    proxy.pass();
    ping_until_ok(&app, &check).await;
    assert_eq!(app.pings(&check).await.len(), 1);
}

/// A batch whose COMMIT reached the server but whose answer was lost is looked up, not
/// written again: every ping is answered 200 and stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_whose_commit_answer_is_lost_are_stored_once() {
    let (app, proxy) = behind_proxy().await;
    let (_, check) = app.one_check().await;
    let limit = AutoCreateLimit {
        max_owned_checks: 10,
        per_minute: 10,
    };
    // A writer of its own, so the test sends a batch of many pings at once.
    let writer = PingWriter::start(app.db().clone(), 1, limit, Duration::from_secs(5));
    let job = PingJob {
        target: Target::Uuid(check.uuid.to_string()),
        action: overdue::domain::ping::PingAction::Success,
        method: "GET".into(),
        body: Default::default(),
        rid: None,
        remote_addr: None,
        scheme: "http".into(),
        ua: String::new(),
        now: app.now(),
    };
    proxy.cut_after_next_commit();
    let sends: Vec<_> = (0..20)
        .map(|_| {
            let writer = writer.clone();
            let job = job.clone();
            tokio::spawn(async move { writer.record(job).await })
        })
        .collect();
    let mut answered = 0;
    for send in sends {
        let result = send.await.unwrap();
        assert!(result.is_ok(), "a ping was refused: {result:?}");
        answered += 1;
    }
    assert!(proxy.cut_done(), "no COMMIT went through the proxy");
    assert_eq!(app.pings(&check).await.len(), answered);
    assert_eq!(app.reload(&check).await.n_pings, 20);
}

/// A tmpfs of `size` mounted for the test, removed when dropped.
struct SmallDisk {
    path: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let path = std::env::temp_dir().join(format!("overdue-small-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&path).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (the disk-full test runs as root in CI)"
        );
        SmallDisk { path }
    }

    /// Fills what is left with a file; returns its path.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path.join("filler");
        let mut file = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.write_all(&[0u8; 512]);
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
        let _ = std::fs::remove_dir(&self.path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_writer_recovers_after_the_disk_fills_and_is_freed() {
    let disk = SmallDisk::mount("8m");
    let test_db = TestDb::new_in(Backend::Sqlite, &disk.path).await;
    let db = test_db.db.clone();
    let app = TestApp::spawn_on(test_db, db, |_| {}).await;
    let (_, check) = app.one_check().await;
    assert_eq!(get_bounded(&app, &ping_path(&check), None).await.0, 200);

    let filler = disk.fill();
    // Pings with bodies need pages the disk no longer has.
    let body = "x".repeat(60_000);
    let mut refused = 0;
    for _ in 0..40 {
        let response = tokio::time::timeout(
            HANG,
            app.http
                .post(app.url(&ping_path(&check)))
                .body(body.clone())
                .send(),
        )
        .await
        .expect("ping hung")
        .unwrap();
        if response.status() == 503 {
            refused += 1;
        } else {
            assert_eq!(response.status(), 200);
        }
    }
    assert!(refused > 0, "the full disk refused no ping");
    let (status, body_text) = get_bounded(&app, "/healthz", None).await;
    assert_eq!(status, 503, "/healthz must report the writer: {body_text}");
    assert!(body_text.contains("ping writer"), "{body_text}");

    std::fs::remove_file(filler).unwrap();
    ping_until_ok(&app, &check).await;
    assert_eq!(get_bounded(&app, "/healthz", None).await.0, 200);
    let stored_before = app.pings(&check).await.len();
    assert_eq!(get_bounded(&app, &ping_path(&check), None).await.0, 200);
    assert_eq!(app.pings(&check).await.len(), stored_before + 1);
    drop(app);
    drop(disk);
}
