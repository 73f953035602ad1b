//! `connect-host serve`: the storefront service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use connect_host::service::{Config, Service};

#[derive(Args, Debug)]
#[command(after_help = "\
Configuration: embedded defaults, then the TOML file (--config), then
environment variables CONNECT_<SECTION>_<KEY> (e.g. CONNECT_SERVER_LISTEN,
CONNECT_AUTH_TOKEN, CONNECT_OUTBOX_MAX_ATTEMPTS), then these flags. Every
option is documented in host/SERVICE.md; --print-config shows the result.

With no configuration at all it keeps everything in ./data: the SQLite
database, the secret key (created 0600), the admin token (created 0600, in
data/admin-token), the plugin cache, precompiled plugins, and data/plugins
(seeded with the bundled Tharstern connector when empty).

Examples:
  connect-host serve
  connect-host serve --config /etc/connect/connect.toml
  CONNECT_AUTH_TOKEN=... connect-host serve --listen 0.0.0.0:8080 --data-dir /var/lib/connect")]
pub struct ServeArgs {
    /// The TOML configuration file.
    #[arg(long, short, env = "CONNECT_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (overrides `server.listen`).
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory (overrides `storage.data_dir`).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Plugins directory (overrides `plugins.dir`).
    #[arg(long, value_name = "DIR")]
    pub plugins_dir: Option<PathBuf>,
    /// Print the effective configuration (secrets redacted) and exit.
    #[arg(long)]
    pub print_config: bool,
}

impl ServeArgs {
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref())?;
        if let Some(listen) = self.listen {
            config.server.listen = listen;
        }
        if let Some(dir) = &self.data_dir {
            config.storage.data_dir = dir.clone();
        }
        if let Some(dir) = &self.plugins_dir {
            config.plugins.dir = dir.clone();
        }
        Ok(config)
    }
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    if args.print_config {
        print!("{}", config.redacted_toml());
        return Ok(ExitCode::SUCCESS);
    }
    let listener = connect_host::service::http::server::bind(config.server.listen).await?;
    let svc = Service::open(config).await?;
    let url = svc.config.public_url();
    println!("connect-host serving on {url}");
    println!("  admin pages: {url}/admin");
    println!("  API:         {url}/api/v1 (OpenAPI: {url}/api/v1/openapi.json)");
    if svc.config.auth.token.is_empty() {
        println!(
            "  admin token: in {}",
            svc.config.admin_token_path().display()
        );
    }
    connect_host::service::http::server::serve(
        svc,
        listener,
        connect_host::service::http::server::shutdown_signal(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}
