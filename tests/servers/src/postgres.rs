//! PostgreSQL (`initdb` + `postgres`) on a free loopback port, its data
//! directory in a temp dir, trust authentication for one user.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running PostgreSQL server; killed when dropped.
pub struct PostgresServer {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// The user the tests connect as (trusted: no password on loopback).
const USER: &str = "connect";

impl PostgresServer {
    /// Starts a server, or panics saying what is missing.
    pub fn start() -> Self {
        let bin = bin_dir().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's initdb is not under /usr/lib/postgresql/*/bin nor on PATH: the \
                 PostgreSQL store tests run against a real server. Install it \
                 (`apt-get install -y postgresql`; .ci/run does)."
            )
        });
        let dir = tempfile::tempdir().expect("a temporary directory for PostgreSQL");
        let data = dir.path().join("data");
        // PostgreSQL refuses to run as root: then it runs as `postgres`.
        if as_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(dir.path()));
        }
        run(user_command(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"]));
        let mut server = Self {
            child: None,
            port: 0,
            dir,
            bin,
        };
        let mut last = String::new();
        for _ in 0..5 {
            server.port = super::free_port();
            match server.spawn() {
                Ok(()) => return server,
                Err(e) => last = e,
            }
        }
        panic!("postgres did not start: {last}");
    }

    /// `postgres://connect@127.0.0.1:<port>/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/postgres", self.port)
    }

    /// A fresh, empty database on this server; its URL.
    pub fn new_database(&self, name: &str) -> String {
        run(user_command(&self.bin.join("createdb")).args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            USER,
            name,
        ]));
        format!("postgres://{USER}@127.0.0.1:{}/{name}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (SIGKILL): an outage.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn spawn(&mut self) -> Result<(), String> {
        let log = self.dir.path().join("postgres.log");
        let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        if as_root() {
            run(Command::new("chown").arg("postgres:").arg(&log));
        }
        let child = user_command(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
            ])
            .arg("-k")
            .arg(self.dir.path())
            // A test server: durability is not what is tested here.
            .args(["-c", "fsync=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("running postgres: {e}"))?;
        let ready = "ready to accept connections";
        let within = Duration::from_secs(30);
        self.child = Some(super::wait_ready(
            child,
            &log,
            ready,
            self.port,
            within,
            Duration::from_millis(50),
        )?);
        Ok(())
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The directory holding `initdb` and `postgres` (newest version first).
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    versions.sort();
    versions.pop().or_else(|| {
        super::find_on_path("initdb")?
            .parent()
            .map(Path::to_path_buf)
    })
}

fn as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `program`, run as `postgres` when this process is root.
fn user_command(program: &Path) -> Command {
    if as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
