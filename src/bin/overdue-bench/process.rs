//! Timing a process's start-up to its first healthy answer, and a silent TCP port.

use anyhow::{Context, bail};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `http://host:port/path` split into the address and the path.
fn split_url(url: &str) -> anyhow::Result<(SocketAddr, String)> {
    let rest = url
        .strip_prefix("http://")
        .context("the URL must start with http://")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    Ok((
        host.parse().context("the URL's host must be ip:port")?,
        path,
    ))
}

/// One GET over a fresh connection; whether it answered 200.
fn get_ok(addr: SocketAddr, path: &str) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if s.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    let mut got = 0;
    while got < head.len() {
        match s.read(&mut head[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
    }
    head.starts_with(b"HTTP/1.1 200") || head.starts_with(b"HTTP/1.0 200")
}

fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

pub fn startup(
    url: &str,
    timeout_s: u64,
    log: Option<PathBuf>,
    command: &[String],
) -> anyhow::Result<()> {
    let (addr, path) = split_url(url)?;
    if get_ok(addr, &path) {
        bail!("{url} already answers before the command started");
    }
    let stderr = match &log {
        Some(p) => Stdio::from(std::fs::File::create(p)?),
        None => Stdio::inherit(),
    };
    let started = Instant::now();
    let mut child = Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .with_context(|| format!("starting {}", command[0]))?;
    let pid = child.id();
    let deadline = started + Duration::from_secs(timeout_s);
    let mut ready = None;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait()? {
            bail!("the command exited with {status} before {url} answered");
        }
        if get_ok(addr, &path) {
            ready = Some(started.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let rss_kb = proc_status_kb(pid, "VmRSS:");
    // Stop it gracefully, then for sure.
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let stop_by = Instant::now() + Duration::from_secs(20);
    while child.try_wait()?.is_none() {
        if Instant::now() > stop_by {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some(ready) = ready else {
        bail!("{url} did not answer 200 within {timeout_s} s");
    };
    println!(
        "{}",
        json!({
            "startup_ms": ready.as_secs_f64() * 1000.0,
            "rss_kb": rss_kb,
        })
    );
    Ok(())
}

pub fn blackhole(seconds: u64) -> anyhow::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    println!("{}", listener.local_addr()?.port());
    std::io::stdout().flush()?;
    // Never accept: the kernel completes handshakes into the backlog and nobody answers.
    std::thread::sleep(Duration::from_secs(seconds));
    drop(listener);
    Ok(())
}
