//! `connect-host serve`: the storefront service.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::RuntimeArgs;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "CONNECT_LISTEN")]
    pub listen: SocketAddr,
    /// Directory of plugin components (`*.wasm`) to load.
    #[arg(long, default_value = "plugins", env = "CONNECT_PLUGINS_DIR")]
    pub plugins_dir: PathBuf,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let runtime = std::sync::Arc::new(args.runtime.runtime()?);
    runtime.load_dir(&args.plugins_dir).await?;
    connect_host::server::serve(runtime, args.listen).await?;
    Ok(ExitCode::SUCCESS)
}
