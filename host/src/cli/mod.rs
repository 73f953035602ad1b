//! Command-line interface of `connect-host`.

mod call;
#[cfg(feature = "demo")]
mod demo;
mod inspect;
mod refresh;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use connect_runtime::runtime::{Runtime, RuntimeConfig};

/// Runs connect plugins (WebAssembly components) for storefronts, each
/// storefront in its own sandbox.
#[derive(Parser, Debug)]
#[command(name = "connect-host", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Log filter (tracing `EnvFilter` syntax, e.g. `info` or
    /// `connect_host=debug,plugin=trace`). `RUST_LOG` overrides it.
    #[arg(long, global = true, default_value = "warn")]
    pub log: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Print a plugin's self-description: id, version, capabilities and
    /// settings schema.
    Inspect(inspect::InspectArgs),
    /// Run one export of a plugin in a sandbox for one tenant and print the
    /// result (the plugin author's dev loop).
    Call(call::CallArgs),
    /// Run the storefront service: REST API, admin pages, order outbox,
    /// catalogue refreshes.
    Serve(serve::ServeArgs),
    /// Refresh storefront catalogues now, through a running service.
    Refresh(refresh::RefreshArgs),
    /// Read a password from standard input and print its Argon2id hash, for
    /// `auth.password_hash` (the password then never sits in the config).
    HashPassword,
    /// Run both simulators and the service with a demo storefront on each.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
}

/// Options shared by commands that run plugins.
#[derive(Args, Debug, Clone)]
pub struct RuntimeArgs {
    /// Directory for precompiled plugins, so each plugin is compiled once.
    /// Defaults to `$XDG_CACHE_HOME/connect-host/precompiled` (or
    /// `~/.cache/...`).
    #[arg(long, env = "CONNECT_PRECOMPILED_DIR")]
    pub precompiled_dir: Option<PathBuf>,

    /// Compile plugins on every start; keep no precompiled artifacts.
    #[arg(long, conflicts_with = "precompiled_dir")]
    pub no_precompiled: bool,

    /// Guest execution time allowed per call, in milliseconds (time spent
    /// waiting for the backend does not count).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
    pub deadline_ms: u64,

    /// Wall-clock time allowed per call, backend I/O included, in
    /// milliseconds.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,

    /// Memory cap of each plugin instance, in MiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub memory_mib: u64,
}

impl RuntimeArgs {
    pub fn runtime(&self) -> anyhow::Result<Runtime> {
        let mut config = RuntimeConfig::default();
        config.limits.deadline = std::time::Duration::from_millis(self.deadline_ms);
        config.limits.call_timeout = std::time::Duration::from_millis(self.timeout_ms);
        config.limits.memory_bytes = (self.memory_mib as usize) << 20;
        config.engine.max_memory_bytes = config
            .engine
            .max_memory_bytes
            .max(config.limits.memory_bytes);
        config.artifacts_dir = if self.no_precompiled {
            None
        } else {
            self.precompiled_dir
                .clone()
                .or_else(default_precompiled_dir)
        };
        Runtime::new(config)
    }
}

fn default_precompiled_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("connect-host").join("precompiled"))
}

pub fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(filter))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colours only on a terminal: a log file or journald gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Inspect(args) => inspect::run(args).await,
        Command::Call(args) => call::run(args).await,
        Command::Serve(args) => serve::run(args).await,
        Command::Refresh(args) => refresh::run(args).await,
        Command::HashPassword => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            anyhow::ensure!(!password.is_empty(), "type the password on standard input");
            println!(
                "{}",
                connect_host::service::http::auth::hash_secret(password)?
            );
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::run(args).await,
    }
}
