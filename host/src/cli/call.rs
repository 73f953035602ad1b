//! `connect-host call`: run one export for one tenant and print the answer.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use connect_runtime::call::PluginCall;
use connect_runtime::capabilities::http::Origin;
use connect_runtime::error::CallError;
use connect_runtime::tenant::TenantSpec;

use super::RuntimeArgs;

/// Exit code when the plugin answered with an error.
const EXIT_PLUGIN_ERROR: u8 = 1;
/// Exit code when the settings are invalid.
const EXIT_INVALID_SETTINGS: u8 = 2;

#[derive(Args, Debug)]
#[command(after_help = "\
Functions: info, configure, check-connection, price, stock, submit-order,
order-status, refresh-catalogue, products, handle-webhook.

Settings are validated with the plugin's `configure` first; every field error
is printed and the command exits with 2. `configure` itself prints the
normalised settings.

Examples:
  connect-host call tharstern.wasm --tenant demo \\
      --setting api_url=http://127.0.0.1:8090 --setting email=api@example.com \\
      --setting password=secret --setting application_id=DEMO01 \\
      --setting customer_code=WEBSHOP check-connection
  connect-host call tharstern.wasm --tenant demo --setting ... price \\
      '{\"product\":{\"product_ref\":\"1\",\"overrides\":[],\"advanced_json\":null},
        \"quantity\":500,\"customer\":{\"department_code\":null,\"email\":null,\"name\":null},
        \"attributes\":[]}'")]
pub struct CallArgs {
    /// The plugin component (`.wasm`).
    pub plugin: PathBuf,
    /// The export to run.
    pub function: String,
    /// The export's arguments as JSON (an object or array, as the export
    /// takes them).
    pub args: Option<String>,
    /// The tenant (storefront) id the call runs for: scopes the cache.
    #[arg(long, default_value = "cli")]
    pub tenant: String,
    /// A setting, as `key=value`. Repeat for each setting.
    #[arg(long = "setting", short = 's', value_name = "KEY=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, String)>,
    /// Allow outgoing HTTP only to this origin (`scheme://host:port`),
    /// instead of the origin of the plugin's endpoint setting. Repeatable.
    #[arg(long = "allow", value_name = "ORIGIN")]
    pub allow: Vec<String>,
    /// Let the plugin reach loopback and private-network addresses (a back
    /// office on this network); refused by default.
    #[arg(long)]
    pub allow_private_networks: bool,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

fn parse_setting(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}

pub async fn run(args: CallArgs) -> anyhow::Result<ExitCode> {
    connect_runtime::plugin::validate_id(&args.tenant).context("--tenant")?;
    let call_args = args
        .args
        .as_deref()
        .map(serde_json::from_str::<serde_json::Value>)
        .transpose()
        .context("the arguments are not valid JSON")?;
    let runtime = args.runtime.runtime()?;
    let plugin = runtime.load_plugin(&args.plugin).await?;
    let id = plugin.info.id.clone();

    let settings = match runtime.configure(&id, args.settings.clone()).await {
        Ok(settings) => settings,
        Err(CallError::InvalidSettings { fields }) => {
            eprintln!(
                "error: invalid settings ({} problem{}):",
                fields.len(),
                if fields.len() == 1 { "" } else { "s" }
            );
            for field in fields {
                eprintln!("  {}: {}", field.key, field.message);
            }
            return Ok(ExitCode::from(EXIT_INVALID_SETTINGS));
        }
        Err(err) => return Ok(report(err)),
    };
    if args.function == "configure" {
        let object: serde_json::Map<String, serde_json::Value> = settings
            .into_iter()
            .map(|(k, v)| {
                let secret = plugin.info.settings.iter().any(|s| s.key == k && s.secret);
                (k, if secret { "(set)".into() } else { v.into() })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&object)?);
        return Ok(ExitCode::SUCCESS);
    }

    let call = PluginCall::from_json(&args.function, call_args).map_err(anyhow::Error::msg)?;
    let mut tenant = TenantSpec::new(args.tenant.as_str(), settings)
        .with_private_networks(args.allow_private_networks);
    if !args.allow.is_empty() {
        let origins = args
            .allow
            .iter()
            .map(|o| Origin::parse(o).map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<Vec<_>>>()
            .context("--allow")?;
        tenant = tenant.with_allowed(origins);
    }
    match call.run(&runtime, &tenant, &id).await {
        Ok(reply) => {
            println!("{}", serde_json::to_string_pretty(&reply)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(err) => Ok(report(err)),
    }
}

fn report(err: CallError) -> ExitCode {
    if let CallError::InvalidSettings { .. } = err {
        eprintln!("error: {err}");
        return ExitCode::from(EXIT_INVALID_SETTINGS);
    }
    eprintln!("error[{}]: {err}", err.kind());
    ExitCode::from(EXIT_PLUGIN_ERROR)
}
