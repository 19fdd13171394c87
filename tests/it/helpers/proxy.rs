//! A TCP proxy between the app and PostgreSQL that a test can make misbehave: freeze
//! (connections stay open, nothing is answered), refuse (every connection is closed),
//! or drop the connection right after it carries a COMMIT, so the commit's answer is
//! lost although the server received it.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const PASS: u8 = 0;
const FREEZE: u8 = 1;
const REFUSE: u8 = 2;

struct Shared {
    mode: AtomicU8,
    /// Cut the next connection that sends a COMMIT, once.
    cut_after_commit: AtomicBool,
    /// Tells every relay to end (on refuse).
    kill: watch::Sender<u64>,
    relays: Mutex<Vec<JoinHandle<()>>>,
}

pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 to `upstream` (`host:port`).
    pub async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared {
            mode: AtomicU8::new(PASS),
            cut_after_commit: AtomicBool::new(false),
            kill: watch::channel(0).0,
            relays: Mutex::new(Vec::new()),
        });
        let accept = tokio::spawn({
            let shared = shared.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if shared.mode.load(Ordering::SeqCst) == REFUSE {
                        drop(client);
                        continue;
                    }
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        continue;
                    };
                    let relay = tokio::spawn(relay(client, server, shared.clone()));
                    shared.relays.lock().unwrap().push(relay);
                }
            }
        });
        Proxy {
            port,
            shared,
            accept,
        }
    }

    /// Rewrites a PostgreSQL URL to go through this proxy.
    pub fn url_for(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).unwrap();
        parsed.set_host(Some("127.0.0.1")).unwrap();
        parsed.set_port(Some(self.port)).unwrap();
        parsed.to_string()
    }

    /// Connections stay open but nothing more is relayed, either way.
    pub fn freeze(&self) {
        self.shared.mode.store(FREEZE, Ordering::SeqCst);
    }

    /// Closes every connection and refuses new ones, as a server that went down.
    pub fn refuse(&self) {
        self.shared.mode.store(REFUSE, Ordering::SeqCst);
        self.shared.kill.send_modify(|n| *n += 1);
    }

    /// Relays normally again (connections frozen meanwhile resume).
    pub fn pass(&self) {
        self.shared.mode.store(PASS, Ordering::SeqCst);
    }

    /// The next COMMIT to pass reaches the server, and its connection is then closed
    /// before the answer comes back.
    pub fn cut_after_next_commit(&self) {
        self.shared.cut_after_commit.store(true, Ordering::SeqCst);
    }

    /// Whether an armed cut has happened.
    pub fn cut_done(&self) -> bool {
        !self.shared.cut_after_commit.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        for relay in self.shared.relays.lock().unwrap().drain(..) {
            relay.abort();
        }
    }
}

async fn relay(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut kill = shared.kill.subscribe();
    tokio::select! {
        _ = pump(client_read, server_write, &shared, true) => {}
        _ = pump(server_read, client_write, &shared, false) => {}
        _ = kill.changed() => {}
    }
}

/// Copies one direction until either side closes (or a cut after COMMIT).
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    shared: &Shared,
    to_server: bool,
) -> Option<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf).await.ok().filter(|n| *n > 0)?;
        wait_while_frozen(shared).await;
        let chunk = &buf[..n];
        to.write_all(chunk).await.ok()?;
        if to_server
            && contains(chunk, b"COMMIT")
            && shared
                .cut_after_commit
                .compare_exchange(true, false, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            // Let the server read it, then end the connection unanswered.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return None;
        }
    }
}

async fn wait_while_frozen(shared: &Shared) {
    while shared.mode.load(Ordering::SeqCst) == FREEZE {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
