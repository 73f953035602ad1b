//! Environment overrides of the configuration file: `CONNECT_<SECTION>_<KEY>`.

use anyhow::Context as _;

use super::{Config, ENV_PREFIX};

/// Applies `CONNECT_<SECTION>_<KEY>=value` for every option of the default
/// configuration (e.g. `CONNECT_SERVER_LISTEN`, `CONNECT_AUTH_TOKEN`,
/// `CONNECT_OUTBOX_MAX_ATTEMPTS`). Values are typed like the default.
/// Other `CONNECT_` variables are left alone (some belong to other commands).
pub(super) fn apply_env(
    table: &mut toml::Table,
    vars: impl Iterator<Item = (String, String)>,
) -> anyhow::Result<()> {
    let defaults = toml::Table::try_from(Config::default()).context("default config")?;
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let rest = rest.to_ascii_lowercase();
        for (section, options) in &defaults {
            let Some(key) = rest
                .strip_prefix(section.as_str())
                .and_then(|r| r.strip_prefix('_'))
            else {
                continue;
            };
            let Some(default) = options.as_table().and_then(|t| t.get(key)) else {
                continue;
            };
            let typed = match default {
                toml::Value::Integer(_) => toml::Value::Integer(
                    value
                        .trim()
                        .parse()
                        .with_context(|| format!("{name} must be an integer"))?,
                ),
                toml::Value::Boolean(_) => toml::Value::Boolean(
                    value
                        .trim()
                        .parse()
                        .with_context(|| format!("{name} must be true or false"))?,
                ),
                toml::Value::Array(_) => toml::Value::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(|v| toml::Value::String(v.to_string()))
                        .collect(),
                ),
                _ => toml::Value::String(value.clone()),
            };
            table
                .entry(section.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .with_context(|| format!("[{section}] in the config file must be a table"))?
                .insert(key.to_string(), typed);
        }
    }
    Ok(())
}
