//! The real `connect-host serve` binary as a child process, so tests can
//! SIGKILL it, restart it on the same data directory, and read its memory
//! from `/proc`.

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::TOKEN;

/// An `[outbox]` section for tests: quick retries, so faults cost little time.
pub const FAST_OUTBOX: &str =
    "[outbox]\nconcurrency = 1\ninitial_backoff_ms = 50\nmax_backoff_ms = 200\npoll_ms = 50\n";

pub struct ServiceProcess {
    pub dir: tempfile::TempDir,
    pub config_file: PathBuf,
    pub url: String,
    pub db: PathBuf,
    /// Where the service's log (stderr) goes, if captured; else inherited.
    pub log_file: Option<PathBuf>,
    child: Option<Child>,
}

impl ServiceProcess {
    /// Writes a configuration on a free port in a new temp dir; `sections`
    /// is appended TOML (e.g. [`FAST_OUTBOX`]). Does not start it.
    pub fn new(sections: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let config_file = dir.path().join("connect.toml");
        std::fs::write(
            &config_file,
            format!(
                "[server]\nlisten = \"127.0.0.1:{port}\"\n\
                 [storage]\ndata_dir = {data:?}\n\
                 [plugins]\nprecompiled_dir = {pre:?}\n\
                 [auth]\ntoken = \"{TOKEN}\"\n\
                 [catalogue]\ncheck_secs = 0\n{sections}",
                data = dir.path().join("data"),
                pre = connect_artifacts::PRECOMPILED_DIR,
            ),
        )
        .expect("writing the config");
        let db = dir.path().join("data/connect.sqlite");
        Self {
            dir,
            config_file,
            url: format!("http://127.0.0.1:{port}"),
            db,
            log_file: None,
            child: None,
        }
    }

    /// Sends the service's log to `service.log` in its temp dir (appended
    /// across restarts) instead of the test's stderr; answers the path.
    pub fn capture_log(&mut self) -> PathBuf {
        let path = self.dir.path().join("service.log");
        self.log_file = Some(path.clone());
        path
    }

    /// Spawns `connect-host serve` with extra environment variables
    /// (`RUST_LOG` defaults to `warn`), without waiting for it.
    pub fn spawn(&mut self, env: &[(&str, &str)]) {
        assert!(self.child.is_none(), "the service is already running");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_connect-host"));
        cmd.args(["serve", "--config"])
            .arg(&self.config_file)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        match &self.log_file {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .expect("opening the service log");
                cmd.stderr(file)
            }
            None => cmd.stderr(Stdio::inherit()),
        };
        for (k, v) in env {
            cmd.env(k, v);
        }
        self.child = Some(cmd.spawn().expect("spawning connect-host serve"));
    }

    /// Spawns it and waits until `/healthz` answers.
    pub async fn start(&mut self, env: &[(&str, &str)]) {
        self.spawn(env);
        self.wait_healthy().await;
    }

    pub async fn wait_healthy(&mut self) {
        let until = Instant::now() + Duration::from_secs(120);
        let http = reqwest::Client::new();
        loop {
            if let Ok(r) = http.get(format!("{}/healthz", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            if let Some(exit) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("the service exited while starting: {exit:?}");
            }
            assert!(
                Instant::now() < until,
                "the service did not come up at {}",
                self.url
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL, then reap it.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaping the service");
    }

    /// SIGTERM (a graceful stop), then the exit status.
    pub async fn terminate(&mut self) -> ExitStatus {
        let pid = self.pid().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success(), "kill -TERM {pid}");
        self.wait_exit(30).await
    }

    /// Waits for the process to exit by itself.
    pub async fn wait_exit(&mut self, secs: u64) -> ExitStatus {
        let until = Instant::now() + Duration::from_secs(secs);
        let child = self.child.as_mut().expect("running");
        loop {
            if let Some(exit) = child.try_wait().unwrap() {
                self.child = None;
                return exit;
            }
            assert!(Instant::now() < until, "no exit within {secs} s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Resident memory of the service process, in KiB (`VmRSS`).
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.pid()).expect("VmRSS of the service")
    }

    /// (order id, outbox state) of every order, read from the database
    /// (SQLite in WAL mode lets another process read while it runs).
    pub fn states(&self) -> Vec<(String, String)> {
        states(&self.db)
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether an exit was `std::process::abort()` (SIGABRT).
pub fn aborted(exit: &ExitStatus) -> bool {
    exit.signal() == Some(6)
}

pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

pub fn states(db: &Path) -> Vec<(String, String)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, state FROM orders ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// An order as the service stored it.
#[derive(Debug)]
pub struct StoredOrder {
    pub id: String,
    pub state: String,
    pub backend_order_id: Option<String>,
    /// Why the last delivery attempt failed, if one did.
    pub last_error: Option<String>,
}

pub fn stored_orders(db: &Path) -> Vec<StoredOrder> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, state, backend_order_id, last_error FROM orders ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| {
        Ok(StoredOrder {
            id: r.get(0)?,
            state: r.get(1)?,
            backend_order_id: r.get(2)?,
            last_error: r.get(3)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}
