//! A declarative settings schema: one table of [`Setting`]s drives both the
//! schema a plugin describes in `info` ([`specs`]) and the validation and
//! normalisation of `configure` ([`configure`]), so the two cannot drift.
//!
//! ```
//! use connect_plugin_sdk::{Setting, SettingKind};
//! const SETTINGS: &[Setting] = &[
//!     Setting { key: "api_url", label: "API URL", kind: SettingKind::Url, required: true, ..Setting::DEFAULT },
//!     Setting { key: "page_size", label: "Page size", kind: SettingKind::Integer,
//!               default: Some("50"), min: Some(1), max: Some(500), unit: "items", ..Setting::DEFAULT },
//! ];
//! ```
//!
//! `configure` never does I/O: it checks every field, reports every problem
//! at once (each naming its key), and answers the settings as they should be
//! stored, in schema order: values trimmed (secrets kept exactly as typed),
//! defaults filled in, booleans as `true`/`false`, choices in their canonical
//! spelling, integers without padding.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{FieldError, PluginError, SettingKind, SettingSpec};

/// A setting's own validation: the trimmed value in, the value to store
/// or the operator's message out.
pub type Normalise = fn(&str) -> Result<String, String>;

/// One setting of a schema. Build it as a struct literal ending in
/// `..Setting::DEFAULT` (usable in a `const` table) or `..Default::default()`.
#[derive(Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: SettingKind,
    pub required: bool,
    /// Secret although not a `Password` (passwords always are).
    pub secret: bool,
    /// Stored when the operator leaves the setting empty.
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// Allowed values of a `Choice` or `MultiChoice`, in canonical spelling.
    pub choices: &'static [&'static str],
    /// Bounds of an `Integer`.
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// What one value counts or names, for messages: `minutes` (an
    /// `Integer`), `product type kind` (a `MultiChoice`).
    pub unit: &'static str,
    /// The message when a required setting is missing (else a generic one).
    pub missing: Option<&'static str>,
    /// Validates and normalises the (trimmed, non-empty) value instead of
    /// the kind's own rules; `Err` is the message for the operator.
    pub normalise: Option<Normalise>,
}

impl Setting {
    /// Every optional part left out: an optional text setting.
    pub const DEFAULT: Setting = Setting {
        key: "",
        label: "",
        kind: SettingKind::Text,
        required: false,
        secret: false,
        default: None,
        help: "",
        choices: &[],
        min: None,
        max: None,
        unit: "",
        missing: None,
        normalise: None,
    };

    pub fn is_secret(&self) -> bool {
        self.secret || self.kind == SettingKind::Password
    }

    /// The setting as the contract describes it.
    pub fn spec(&self) -> SettingSpec {
        SettingSpec {
            key: self.key.to_string(),
            label: self.label.to_string(),
            kind: self.kind,
            required: self.required,
            secret: self.is_secret(),
            default_value: self.default.map(str::to_string),
            help: self.help.to_string(),
            choices: self.choices.iter().map(|c| c.to_string()).collect(),
            min: self.min,
            max: self.max,
        }
    }
}

impl Default for Setting {
    fn default() -> Self {
        Setting::DEFAULT
    }
}

/// The schema as `info().settings`.
pub fn specs(schema: &[Setting]) -> Vec<SettingSpec> {
    schema.iter().map(Setting::spec).collect()
}

/// Validated, normalised settings, in schema order.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Values(Vec<(String, String)>);

impl std::fmt::Debug for Values {
    // Values may hold secrets: print the keys only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl Values {
    /// The value of `key`, when set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The text of `key` (empty when unset).
    pub fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_string()
    }

    /// An `Integer` (0 when unset).
    pub fn integer(&self, key: &str) -> i64 {
        self.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    /// A `Boolean` (false when unset).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key) == Some("true")
    }

    /// The items of a `MultiChoice`.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| v.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }

    /// The values as the connector's own settings type `T`, a struct whose
    /// field names are the schema's keys: `Integer` settings as numbers,
    /// `Boolean` as `bool`, `MultiChoice` as a list, the rest as text; an
    /// unset setting is absent (an `Option` field is `None`).
    pub fn parse<T: DeserializeOwned>(&self, schema: &[Setting]) -> Result<T, PluginError> {
        let mut fields = serde_json::Map::new();
        for s in schema {
            let Some(v) = self.get(s.key) else { continue };
            let value = match s.kind {
                SettingKind::Integer => v.parse::<i64>().map_or_else(|_| v.into(), Value::from),
                SettingKind::Boolean => Value::Bool(v == "true"),
                SettingKind::MultiChoice => self.list(s.key).into(),
                _ => v.into(),
            };
            fields.insert(s.key.to_string(), value);
        }
        serde_json::from_value(Value::Object(fields)).map_err(|e| {
            PluginError::Internal(format!(
                "the stored settings do not fit the connector's settings type ({e})"
            ))
        })
    }
}

/// Validate and normalise raw settings against `schema`, reporting every
/// problem at once.
pub fn configure(
    schema: &[Setting],
    input: &[(String, String)],
) -> Result<Values, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut err = |key: &str, message: String| {
        errors.push(FieldError {
            key: key.to_string(),
            message,
        })
    };

    let mut seen: Vec<&str> = Vec::new();
    for (key, _) in input {
        if !schema.iter().any(|s| s.key == key) {
            let known: Vec<&str> = schema.iter().map(|s| s.key).collect();
            err(
                key,
                format!(
                    "unknown setting `{key}`; remove it (known settings: {})",
                    known.join(", ")
                ),
            );
        } else if seen.contains(&key.as_str()) {
            err(
                key,
                format!("`{key}` is given more than once; keep one value"),
            );
        } else {
            seen.push(key);
        }
    }

    let mut out = Vec::with_capacity(schema.len());
    for s in schema {
        let raw = input
            .iter()
            .find(|(k, _)| k == s.key)
            .map(|(_, v)| v.as_str());
        let value = if s.is_secret() {
            // Secrets are kept exactly as typed (spaces may be part of
            // them); an optional one that is blank counts as unset.
            raw.filter(|v| {
                if s.required {
                    !v.is_empty()
                } else {
                    !v.trim().is_empty()
                }
            })
        } else {
            raw.map(str::trim).filter(|v| !v.is_empty())
        };
        let normalised = match value {
            None if s.required => Err(s
                .missing
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} is required", s.label))),
            None => match s.default {
                Some(d) => Ok(d.to_string()),
                None => continue,
            },
            Some(v) => match s.normalise {
                Some(f) => f(v),
                None => by_kind(s, v),
            },
        };
        match normalised {
            Ok(v) => out.push((s.key.to_string(), v)),
            Err(m) => err(s.key, m),
        }
    }
    if errors.is_empty() {
        Ok(Values(out))
    } else {
        Err(errors)
    }
}

/// Stored settings for `init`: every field problem becomes one
/// configuration error.
pub fn for_init(
    validated: Result<Vec<(String, String)>, Vec<FieldError>>,
) -> Result<Values, PluginError> {
    validated.map(Values).map_err(|errs| {
        let list: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.key, e.message))
            .collect();
        PluginError::Configuration(format!(
            "the stored settings are invalid; fix them in the plugin settings: {}",
            list.join("; ")
        ))
    })
}

fn by_kind(s: &Setting, v: &str) -> Result<String, String> {
    match s.kind {
        SettingKind::Text => {
            if v.chars().any(|c| c.is_control()) {
                Err("contains control characters (e.g. a line break); remove them".into())
            } else if v.len() > 200 {
                Err("is too long (at most 200 characters)".into())
            } else {
                Ok(v.to_string())
            }
        }
        SettingKind::Url => match v.split_once("://") {
            Some((scheme, rest))
                if (scheme.eq_ignore_ascii_case("http")
                    || scheme.eq_ignore_ascii_case("https"))
                    && !rest.is_empty()
                    && !v.chars().any(|c| c.is_whitespace() || c.is_control()) =>
            {
                Ok(v.to_string())
            }
            _ => Err(format!(
                "`{v}` is not a URL; enter it in full, starting with http:// or https://"
            )),
        },
        SettingKind::Email if looks_like_email(v) => Ok(v.to_string()),
        SettingKind::Email => Err("not a valid email address, e.g. name@example.com".into()),
        SettingKind::Password => Ok(v.to_string()),
        SettingKind::Integer => integer(s, v),
        SettingKind::Boolean => match v.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            other => Err(format!("`{other}` is not a boolean; enter true or false")),
        },
        SettingKind::Choice => s
            .choices
            .iter()
            .find(|c| squashed_eq(c, v))
            .map(|c| c.to_string())
            .ok_or_else(|| {
                format!(
                    "`{v}` is not a choice; choose one of: {}",
                    s.choices.join(", ")
                )
            }),
        SettingKind::MultiChoice => multi_choice(s, v),
        SettingKind::Json => serde_json::from_str::<serde_json::Value>(v)
            .map(|_| v.to_string())
            .map_err(|e| format!("is not valid JSON ({e})")),
    }
}

/// Lower-case ASCII letters and digits only (`In Production` ->
/// `inproduction`): words compared as [`Setting`] choices are, also for a
/// back office's status texts and event names.
pub fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Lower-case letters and digits only: `With logic` = `with_logic`.
/// Equal once spaces, punctuation and case are ignored ("with logic" is
/// "With Logic"), without allocating: `init` checks every stored setting on
/// each new instance.
fn squashed_eq(a: &str, b: &str) -> bool {
    fn letters(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
    }
    letters(a).eq(letters(b))
}

fn integer(s: &Setting, v: &str) -> Result<String, String> {
    let (min, max, unit) = (s.min.unwrap_or(i64::MIN), s.max.unwrap_or(i64::MAX), s.unit);
    match v.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
        Ok(n) => Err(format!(
            "{n} is out of range; enter a whole number of {unit} from {min} to {max}"
        )),
        Err(_) if s.min.is_some() && s.max.is_some() => Err(format!(
            "`{v}` is not a whole number; enter {unit} from {min} to {max}"
        )),
        Err(_) => Err(format!("`{v}` is not a whole number")),
    }
}

fn multi_choice(s: &Setting, v: &str) -> Result<String, String> {
    let mut chosen = vec![false; s.choices.len()];
    let mut bad = Vec::new();
    for item in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match s.choices.iter().position(|k| k.eq_ignore_ascii_case(item)) {
            Some(i) => chosen[i] = true,
            None => bad.push(item),
        }
    }
    let unit = if s.unit.is_empty() { "choice" } else { s.unit };
    if !bad.is_empty() {
        Err(format!(
            "unknown {unit}(s) {}; choose among {} (comma-separated)",
            bad.join(", "),
            s.choices.join(", ")
        ))
    } else if !chosen.contains(&true) {
        Err(format!("choose at least one of {}", s.choices.join(", ")))
    } else {
        let picked: Vec<&str> = s
            .choices
            .iter()
            .zip(chosen)
            .filter(|(_, c)| *c)
            .map(|(k, _)| *k)
            .collect();
        Ok(picked.join(","))
    }
}

/// A `normalise` hook for an ISO 4217 currency code: three letters, upper
/// case.
pub fn currency_code(v: &str) -> Result<String, String> {
    if v.len() == 3 && v.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(v.to_ascii_uppercase())
    } else {
        Err(format!(
            "`{v}` is not an ISO 4217 currency code; enter three letters, e.g. GBP, EUR or USD"
        ))
    }
}

/// A plausible email address (one `@`, a dotted domain, no spaces).
pub fn looks_like_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.contains('.')
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests;
