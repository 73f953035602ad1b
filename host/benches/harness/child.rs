//! Child processes: the harness re-executes itself to run the simulator out
//! of the measured process, and to measure memory in a process of its own
//! (so one figure's memory never pollutes another's).
//!
//! A child is this same program started with `CONNECT_BENCH_CHILD=<role>`
//! and its parameters as JSON in `CONNECT_BENCH_PARAMS`; it writes its
//! answer as one `@@result <json>` line on stdout.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};

use anyhow::{Context as _, anyhow, bail};
use serde_json::Value;

pub const ROLE_VAR: &str = "CONNECT_BENCH_CHILD";
pub const PARAMS_VAR: &str = "CONNECT_BENCH_PARAMS";
const RESULT_PREFIX: &str = "@@result ";
const SIM_PREFIX: &str = "@@sim ";

/// How to start this program again (the bench binary, or the smoke test's
/// binary with the arguments that select the smoke test).
#[derive(Clone, Debug)]
pub struct Relaunch {
    pub exe: PathBuf,
    pub args: Vec<String>,
}

impl Relaunch {
    fn command(&self, role: &str, params: &Value) -> Command {
        let mut cmd = Command::new(&self.exe);
        cmd.args(&self.args)
            .env(ROLE_VAR, role)
            .env(PARAMS_VAR, params.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        cmd
    }

    /// Runs a child to completion and answers its result.
    pub fn run(&self, role: &str, params: Value) -> anyhow::Result<Value> {
        let child = self
            .command(role, &params)
            .spawn()
            .with_context(|| format!("starting the `{role}` child"))?;
        let output = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let result = stdout
            .lines()
            .find_map(|l| after(l, RESULT_PREFIX))
            .map(serde_json::from_str::<Value>);
        match result {
            Some(Ok(value)) if output.status.success() => Ok(value),
            Some(Err(e)) => Err(anyhow!("the `{role}` child answered bad JSON: {e}")),
            _ => bail!(
                "the `{role}` child failed ({}); its stdout:\n{stdout}",
                output.status
            ),
        }
    }

    /// Starts the Tharstern simulator in a child process.
    pub fn sim(&self, products: usize) -> anyhow::Result<SimProcess> {
        self.start_sim("sim", serde_json::json!({ "products": products }))
    }

    /// Starts the printIQ simulator (demo data) in a child process.
    pub fn printiq_sim(&self) -> anyhow::Result<SimProcess> {
        self.start_sim("sim-printiq", Value::Null)
    }

    /// Starts a bare axum endpoint answering `body` to every POST (the
    /// REST figure's baseline) in a child process.
    pub fn bare(&self, body: &str) -> anyhow::Result<SimProcess> {
        self.start_sim("bare", serde_json::json!({ "body": body }))
    }

    fn start_sim(&self, role: &str, params: Value) -> anyhow::Result<SimProcess> {
        let mut child = self
            .command(role, &params)
            .spawn()
            .with_context(|| format!("starting the `{role}` child"))?;
        let stdout = child.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = after(&line, SIM_PREFIX) {
                        break addr.parse::<SocketAddr>()?;
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("the `{role}` child exited before listening");
                }
            }
        };
        // Keep draining its stdout so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(SimProcess {
            stdin: child.stdin.take(),
            child,
            addr,
        })
    }
}

/// The rest of a line after `marker` (a test harness may have printed
/// something before it on the same line).
fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).map(|i| line[i + marker.len()..].trim())
}

/// A simulator in a child process; stopped when dropped.
pub struct SimProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    pub addr: SocketAddr,
}

impl SimProcess {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        // Closing its stdin asks it to exit; kill it if it does not.
        drop(self.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The role this process was started for, if it is a child.
pub fn role() -> Option<(String, Value)> {
    let role = std::env::var(ROLE_VAR).ok()?;
    let params = std::env::var(PARAMS_VAR)
        .ok()
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or(Value::Null);
    Some((role, params))
}

/// Writes a child's result for its parent.
pub fn answer(value: &Value) {
    // Straight to the stdout handle: a test harness capturing `println!`
    // must not swallow it.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{RESULT_PREFIX}{value}");
    let _ = out.flush();
}

/// The `sim` role (Tharstern) and the `sim-printiq` role: serve until the
/// parent closes our stdin.
pub fn serve_sim(role: &str, params: &Value) -> anyhow::Result<()> {
    let products = params["products"].as_u64().unwrap_or(0) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        // Whichever runs, dropped (stopped) at the end.
        let (tharstern, printiq);
        let addr = if role == "sim-printiq" {
            printiq = printiq_sim::Simulator::builder()
                .demo_data()
                .start()
                .await?;
            printiq.addr()
        } else {
            tharstern = tharstern_sim::Simulator::builder()
                .demo_data()
                .products(products)
                .start()
                .await?;
            tharstern.addr()
        };
        serve_until_parent_closes(addr).await
    })
}

/// The `bare` role: the least an axum server can do for the price route
/// (read the body, answer fixed JSON bytes), on a multi-threaded runtime
/// like the service's, in a process of its own like the service.
pub fn serve_bare(params: &Value) -> anyhow::Result<()> {
    use axum::body::Bytes;
    use axum::http::header::CONTENT_TYPE;

    let body = Bytes::from(params["body"].as_str().unwrap_or("{}").to_owned());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let answer = move |_request: Bytes| {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body) }
        };
        let app = axum::Router::new().route(
            "/api/v1/storefronts/{sf}/price",
            axum::routing::post(answer),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        serve_until_parent_closes(addr).await
    })
}

/// Tells the parent where this child listens, then serves until the parent
/// closes our stdin (or dies).
async fn serve_until_parent_closes(addr: SocketAddr) -> anyhow::Result<()> {
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{SIM_PREFIX}{addr}")?;
        out.flush()?;
    }
    tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
            sink.clear();
        }
    })
    .await?;
    Ok(())
}
