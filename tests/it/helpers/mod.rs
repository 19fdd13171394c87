//! The integration-test harness: the real app on a random port, against its own fresh
//! database (a SQLite file, or a PostgreSQL schema), with a clock the test moves.

#[macro_use]
mod db;
pub mod proxy;
pub mod receiver;
pub mod smtp;

pub use db::{Backend, RawPool, TestDb};

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use overdue::clock::TestClock;
use overdue::config::Config;
use overdue::domain::channel_config::ChannelKind;
use overdue::domain::ids::ChannelId;
use overdue::jobs::notifier::Notifier;
use overdue::jobs::scheduler::{Scheduler, TickReport};
use overdue::server::{self, Roles, Running};
use overdue::state::AppState;
use overdue::store::checks::{self, Check, CheckConfig};
use overdue::store::flips::{self, QueuedNotification, RecordedFlip};
use overdue::store::pings::{self, LoggedPing};
use overdue::store::projects::{self, CreatedProject};
use overdue::store::{Db, channels, users};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// An address no other test uses.
pub fn unique_address(label: &str) -> String {
    format!("{label}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Runs each test once on SQLite and once on PostgreSQL, as `<name>::sqlite` and
/// `<name>::postgres`. Two forms:
///
/// - `on_both_backends! { async fn name(app) { … } … }`: the body gets `app`, a
///   `TestApp` with default settings.
/// - `on_both_backends!(fn(Backend): name, …)`: each `name` is an `async fn(Backend)`
///   that starts what it needs itself (settings of its own, a receiver, a mail sink).
///   Attributes written before a name apply to both of its tests.
macro_rules! on_both_backends {
    ($(async fn $name:ident($app:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await;
                    $body
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await;
                    $body
                }
            }
        )*
    };
    (fn(Backend): $($(#[$meta:meta])* $name:ident),* $(,)?) => {
        $(
            mod $name {
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 30, 0).unwrap()
}

pub struct TestApp {
    pub base: String,
    pub clock: TestClock,
    pub state: AppState,
    pub http: reqwest::Client,
    /// Whether the test means to end with notifications still queued.
    undelivered_expected: AtomicBool,
    running: Option<Running>,
    // Dropped last: the server closes before its database goes.
    pub test_db: TestDb,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts the app with settings changed by `configure`. The test drives the jobs.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> TestApp {
        let test_db = TestDb::new(backend).await;
        let db = test_db.db.clone();
        Self::spawn_on(test_db, db, configure).await
    }

    /// Starts the app on `db`, a pool of the test database `test_db` (one that goes
    /// through a [`proxy::Proxy`], say, or lives on a small filesystem).
    pub async fn spawn_on(test_db: TestDb, db: Db, configure: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::from_sources("", "", |_| None).expect("default config");
        config.database_url = test_db.url.clone();
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.min_timeout = 1;
        // Test receivers listen on loopback; one test turns the guard back on.
        config.allow_private_targets = true;
        configure(&mut config);
        let clock = TestClock::new(t0());
        let state = AppState::new(db, config, Arc::new(clock.clone())).expect("app state");
        let running = server::start(
            state.clone(),
            Roles {
                http: true,
                jobs: false,
            },
        )
        .await
        .expect("start app");
        let base = format!("http://{}", running.addr.expect("bound address"));
        overdue::notify::net::install_crypto_provider();
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        TestApp {
            base,
            clock,
            state,
            http,
            undelivered_expected: AtomicBool::new(false),
            running: Some(running),
            test_db,
        }
    }

    /// Says that the test ends with notifications still queued (neither sent nor given
    /// up) on purpose. Without it, dropping the app fails the test when any are left.
    pub fn expect_undelivered_notifications(&self) {
        self.undelivered_expected.store(true, Ordering::Relaxed);
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// A pool of the test's own on the app's database (see [`RawPool`]).
    pub async fn raw(&self) -> RawPool {
        let url = &self.test_db.url;
        if url.starts_with("sqlite:") {
            RawPool::Sqlite(
                sqlx::SqlitePool::connect(url)
                    .await
                    .expect("raw SQLite pool"),
            )
        } else {
            RawPool::Postgres(
                sqlx::PgPool::connect(url)
                    .await
                    .expect("raw PostgreSQL pool"),
            )
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        use overdue::clock::Clock;
        self.clock.now()
    }

    pub fn advance(&self, secs: i64) {
        self.clock.advance(TimeDelta::seconds(secs));
    }

    /// A user and a project of theirs.
    pub async fn project(&self) -> CreatedProject {
        let email = format!("{}@example.com", uuid::Uuid::new_v4().simple());
        let user = users::create(self.db(), &email, None, self.now())
            .await
            .unwrap();
        projects::create(self.db(), user, "Test project", self.now())
            .await
            .unwrap()
    }

    pub async fn check(&self, project: &CreatedProject, spec: CheckConfig) -> Check {
        let mut tx = self.db().begin_write().await.unwrap();
        let row = checks::create(&mut tx, project.id, &spec, false, self.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        row
    }

    /// A project with one default check (period 1 day, grace 1 hour).
    pub async fn one_check(&self) -> (CreatedProject, Check) {
        let project = self.project().await;
        let check = self.check(&project, CheckConfig::default()).await;
        (project, check)
    }

    /// Creates a check through the Management API (v3) with the project's read-write key;
    /// returns its JSON.
    pub async fn create_check(
        &self,
        project: &CreatedProject,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let r = self
            .http
            .post(self.url("/api/v3/checks/"))
            .header("X-Api-Key", &project.api_key)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    /// Pings a check given by its API JSON; `action` is `""`, `/fail`, `/start`…
    pub async fn ping_check(&self, check: &serde_json::Value, action: &str) {
        let uuid = check["uuid"].as_str().unwrap();
        assert_eq!(
            self.get(&format!("/ping/{uuid}{action}")).await.status(),
            200
        );
    }

    /// A project owned by a new user with the given address.
    pub async fn project_owned_by(&self, owner: &str) -> CreatedProject {
        let user = users::create(self.db(), owner, None, self.now())
            .await
            .unwrap();
        projects::create(self.db(), user, "Backups", self.now())
            .await
            .unwrap()
    }

    /// A check with default settings and the given name.
    pub async fn named_check(&self, project: &CreatedProject, name: &str) -> Check {
        let spec = CheckConfig {
            name: name.into(),
            ..CheckConfig::default()
        };
        self.check(project, spec).await
    }

    /// A channel of `kind` in the project, notifying on down and up, assigned to nothing.
    pub async fn add_channel(
        &self,
        project: &CreatedProject,
        kind: &str,
        name: &str,
        config: serde_json::Value,
    ) -> channels::Channel {
        let fields = channels::ChannelFields {
            kind: ChannelKind::parse(kind).unwrap(),
            name: name.into(),
            config: config.to_string(),
            notify_up: true,
            notify_down: true,
        };
        channels::create(self.db(), project.id, &fields, self.now())
            .await
            .unwrap()
    }

    pub async fn assign(&self, check: &Check, channel: &channels::Channel) {
        channels::assign(self.db(), check.id, channel.id)
            .await
            .unwrap();
    }

    /// The channel as stored now.
    pub async fn reload_channel(&self, channel: &channels::Channel) -> channels::Channel {
        channels::find_by_uuid(self.db(), &channel.uuid)
            .await
            .unwrap()
            .expect("channel exists")
    }

    /// A webhook channel in the project.
    pub async fn channel(&self, project: &CreatedProject) -> ChannelId {
        let config = serde_json::json!({"url_down": "http://example.com/down"});
        self.add_channel(project, "webhook", "hook", config)
            .await
            .id
    }

    /// A webhook channel in the project, assigned to the check.
    pub async fn channel_for(&self, project: &CreatedProject, check: &Check) -> ChannelId {
        let channel = self.channel(project).await;
        channels::assign(self.db(), check.id, channel)
            .await
            .unwrap();
        channel
    }

    pub async fn reload(&self, check: &Check) -> Check {
        checks::find_by_uuid(self.db(), &check.uuid)
            .await
            .unwrap()
            .expect("check exists")
    }

    pub async fn pings(&self, check: &Check) -> Vec<LoggedPing> {
        pings::recent(self.db(), check.id, 10_000).await.unwrap()
    }

    pub async fn last_ping(&self, check: &Check) -> LoggedPing {
        self.pings(check)
            .await
            .into_iter()
            .next()
            .expect("a ping was stored")
    }

    pub async fn flips(&self, check: &Check) -> Vec<RecordedFlip> {
        flips::list(self.db(), check.id, DateTime::UNIX_EPOCH)
            .await
            .unwrap()
    }

    pub async fn outbox(&self, check: &Check) -> Vec<QueuedNotification> {
        flips::queued_for_check(self.db(), check.id).await.unwrap()
    }

    pub async fn tick(&self) -> TickReport {
        Scheduler::new(&self.state)
            .tick()
            .await
            .expect("scheduler tick")
    }

    /// Runs the delivery workers once over everything due.
    pub async fn deliver(&self) -> overdue::jobs::notifier::TickReport {
        Notifier::new(&self.state)
            .expect("notifier")
            .tick()
            .await
            .expect("notifier tick")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// A GET and its status and body text.
    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.cancel.cancel();
        }
        // A test that already failed has said why; panicking again would abort.
        if std::thread::panicking() || *self.undelivered_expected.get_mut() {
            return;
        }
        let left = self.test_db.undelivered_notifications();
        assert!(
            left.is_empty(),
            "{} notification(s) left queued and undelivered: deliver them (app.deliver()), \
             or call app.expect_undelivered_notifications() if the test means to leave them\n{}",
            left.len(),
            left.join("\n")
        );
    }
}
