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

use std::path::PathBuf;

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
