//! `connect-host inspect`: a plugin's self-description.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use connect_runtime::contract::SettingKind;
use connect_runtime::plugin::Plugin;

use super::RuntimeArgs;

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The plugin component (`.wasm`).
    pub plugin: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
}

pub async fn run(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let runtime = args.runtime.runtime()?;
    let plugin = runtime.load_plugin(&args.plugin).await?;
    if args.json {
        let mut value = serde_json::to_value(&plugin.info)?;
        value["sha256"] = plugin.digest.clone().into();
        value["contract"] = format!("connect:plugin@{}", plugin.contract).into();
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print!("{}", describe(&plugin));
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(plugin: &Plugin) -> String {
    let (info, digest) = (&plugin.info, &plugin.digest);
    let mut out = String::new();
    let caps: Vec<String> = info
        .capabilities
        .iter()
        .map(|c| {
            serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_lowercase))
                .unwrap_or_default()
        })
        .collect();
    let _ = writeln!(out, "{} ({} {})", info.name, info.id, info.version);
    if !info.description.is_empty() {
        let _ = writeln!(out, "{}", info.description);
    }
    let _ = writeln!(out, "contract: connect:plugin@{}", plugin.contract);
    let _ = writeln!(out, "capabilities: {}", caps.join(", "));
    let _ = writeln!(
        out,
        "endpoint setting: {}",
        info.endpoint_setting.as_deref().unwrap_or("(none)")
    );
    let _ = writeln!(out, "sha256: {digest}");
    let _ = writeln!(out, "\nsettings:");
    for s in &info.settings {
        let mut flags = vec![kind_name(s.kind).to_string()];
        if s.required {
            flags.push("required".into());
        }
        if s.secret {
            flags.push("secret".into());
        }
        if let Some(d) = &s.default_value {
            flags.push(format!("default {d:?}"));
        }
        if !s.choices.is_empty() {
            flags.push(format!("one of {}", s.choices.join(" | ")));
        }
        match (s.min, s.max) {
            (Some(min), Some(max)) => flags.push(format!("{min}..={max}")),
            (Some(min), None) => flags.push(format!(">= {min}")),
            (None, Some(max)) => flags.push(format!("<= {max}")),
            (None, None) => {}
        }
        let _ = writeln!(out, "  {:<34} {} [{}]", s.key, s.label, flags.join(", "));
        if !s.help.is_empty() {
            let _ = writeln!(out, "  {:<34} {}", "", s.help);
        }
    }
    out
}

fn kind_name(kind: SettingKind) -> &'static str {
    match kind {
        SettingKind::Text => "text",
        SettingKind::Url => "url",
        SettingKind::Email => "email",
        SettingKind::Password => "password",
        SettingKind::Integer => "integer",
        SettingKind::Boolean => "boolean",
        SettingKind::Choice => "choice",
        SettingKind::MultiChoice => "multi-choice",
        SettingKind::Json => "json",
    }
}
