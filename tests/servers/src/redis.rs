//! `redis-server` on a free loopback port, no persistence, in a temp dir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`; killed when dropped.
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    binary: PathBuf,
    extra: Vec<String>,
}

impl RedisServer {
    /// Starts a server, or panics saying what is missing.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// With extra `redis-server` arguments (e.g. `["--requirepass", "x"]`).
    pub fn start_with(extra: &[&str]) -> Self {
        let binary = super::find_on_path("redis-server").unwrap_or_else(|| {
            panic!(
                "redis-server is not on PATH: the Redis cache tests run against a real \
                 server. Install it (`apt-get install -y redis-server`; .ci/run does)."
            )
        });
        let mut server = Self {
            child: None,
            port: 0,
            dir: tempfile::tempdir().expect("a temporary directory for redis-server"),
            binary,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        // Another process may take the free port first: try a few.
        let mut last = String::new();
        for _ in 0..5 {
            server.port = super::free_port();
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("redis-server did not start: {last}");
    }

    /// `redis://127.0.0.1:<port>/0`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL): what a crash or an outage looks like.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port (empty: no persistence).
    pub fn restart(&mut self) {
        self.kill();
        let started = Instant::now();
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(e) if started.elapsed() > Duration::from_secs(10) => {
                    panic!("redis-server did not restart on port {}: {e}", self.port)
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let log = self.dir.path().join("redis.log");
        let _ = std::fs::remove_file(&log); // a restart must not read the last run's
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .arg("--logfile")
            .arg(&log)
            .args(&self.extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("running {}: {e}", self.binary.display()))?;
        let ready = "Ready to accept connections";
        let within = Duration::from_secs(10);
        self.child = Some(super::wait_ready(
            child,
            &log,
            ready,
            self.port,
            within,
            Duration::from_millis(20),
        )?);
        Ok(())
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
