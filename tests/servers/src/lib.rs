//! Real servers for the tests, started by the tests themselves: a process
//! on a free loopback port with its files in a temporary directory, killed
//! when its handle drops. Never a mock: the point is to test against the
//! real thing.
//!
//! A server whose binary is missing fails the test with a message saying
//! what to install (`.ci/run` installs it), rather than skipping silently.
//!
//! [`RedisServer`] and [`PostgresServer`]; cluster tests start several.

mod postgres;
mod redis;

pub use postgres::PostgresServer;
pub use redis::RedisServer;

use std::path::{Path, PathBuf};
use std::process::Child;
use std::time::{Duration, Instant};

/// The executable `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A loopback port free right now (the OS picked it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free loopback port")
}

/// Waits until the server's own log says `ready` (not a probe of the port:
/// another server may hold it), within `within`; polls every `every`. On
/// failure the child is killed and the error says why (its log if it
/// exited).
pub(crate) fn wait_ready(
    mut child: Child,
    log: &Path,
    ready: &str,
    port: u16,
    within: Duration,
    every: Duration,
) -> Result<Child, String> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("it exited ({status}): {log}"));
        }
        if std::fs::read_to_string(log).is_ok_and(|l| l.contains(ready)) {
            return Ok(child);
        }
        std::thread::sleep(every);
    }
    let _ = child.kill();
    let _ = child.wait();
    Err(format!(
        "no answer on port {port} within {} s",
        within.as_secs()
    ))
}
