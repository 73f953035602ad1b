//! Fault injection: what can go wrong, where, and how often.
//!
//! Every random decision comes from one seeded generator, and a draw is only
//! taken when the fault it decides has a non-zero share, so enabling one
//! fault does not shift the decisions of a run that never enabled it.

use serde::{Deserialize, Serialize};
pub use sim_kit::faults::{BodyFault, Disruption, malform, truncate};
use sim_kit::faults::{Dice, check_share, squash_key};
use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::Duration;

/// The canonical names of the API endpoints, as fault keys and in the call
/// log. Keys are matched case-insensitively.
pub const ENDPOINTS: &[&str] = &[
    "authentication/GenerateAPIToken",
    "customers",
    "producttypes",
    "products",
    "EstRequest/{id}/Example",
    "estrequest",
    "estimates",
    "stockitems",
    "orders/submit",
    "orders",
    "job/createfromestimate",
    "jobs",
    "webhooks/subscriptions",
    "webhooks/subscriptions/{id}",
];

/// The canonical spelling of an endpoint name, if it is one.
pub fn canonical_endpoint(name: &str) -> Option<&'static str> {
    let name = name.trim().trim_matches('/');
    ENDPOINTS
        .iter()
        .copied()
        .find(|e| e.eq_ignore_ascii_case(name))
}

/// Faults for one scope (global, or one endpoint). A field left out falls
/// back to the global value, and from there to "off".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// Added latency before answering, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Share (0..=1) of calls answered with HTTP 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_error_rate: Option<f64>,
    /// Share of calls held open for `HangSecs` without an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hang_rate: Option<f64>,
    /// Share of calls answered with syntactically broken JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed_json_rate: Option<f64>,
    /// Share of calls whose JSON body is cut in half.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_json_rate: Option<f64>,
    /// Share of calls answered with HTTP 429 and `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_rate: Option<f64>,
    /// Share of estimate requests answered `Success: false` although the
    /// estimate was created (only `estrequest` honours it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_false_rate: Option<f64>,
}

impl FaultSpec {
    fn rates(&self) -> [(&'static str, Option<f64>); 6] {
        [
            ("ServerErrorRate", self.server_error_rate),
            ("HangRate", self.hang_rate),
            ("MalformedJsonRate", self.malformed_json_rate),
            ("TruncatedJsonRate", self.truncated_json_rate),
            ("RateLimitRate", self.rate_limit_rate),
            ("SuccessFalseRate", self.success_false_rate),
        ]
    }

    /// Field by field: self where set, else `fallback`.
    fn or(&self, fallback: &FaultSpec) -> FaultSpec {
        FaultSpec {
            latency_ms: self.latency_ms.or(fallback.latency_ms),
            server_error_rate: self.server_error_rate.or(fallback.server_error_rate),
            hang_rate: self.hang_rate.or(fallback.hang_rate),
            malformed_json_rate: self.malformed_json_rate.or(fallback.malformed_json_rate),
            truncated_json_rate: self.truncated_json_rate.or(fallback.truncated_json_rate),
            rate_limit_rate: self.rate_limit_rate.or(fallback.rate_limit_rate),
            success_false_rate: self.success_false_rate.or(fallback.success_false_rate),
        }
    }

    /// Sets one field from a `kebab-case` or `PascalCase` name, as CLI flags
    /// and `--fault` give them.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let squashed = squash_key(key);
        let rate = || {
            value
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("{key}: '{value}' is not a number"))
        };
        match squashed.as_str() {
            "latencyms" | "latency" => {
                self.latency_ms = Some(
                    value
                        .trim()
                        .parse()
                        .map_err(|_| format!("{key}: '{value}' is not a whole number"))?,
                )
            }
            "servererrorrate" | "errorrate" | "5xxrate" => self.server_error_rate = Some(rate()?),
            "hangrate" => self.hang_rate = Some(rate()?),
            "malformedjsonrate" | "malformedrate" => self.malformed_json_rate = Some(rate()?),
            "truncatedjsonrate" | "truncatedrate" => self.truncated_json_rate = Some(rate()?),
            "ratelimitrate" | "429rate" => self.rate_limit_rate = Some(rate()?),
            "successfalserate" => self.success_false_rate = Some(rate()?),
            _ => return Err(format!("unknown fault '{key}'")),
        }
        Ok(())
    }
}

/// The whole fault configuration, as `GET/PUT /_sim/faults` show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FaultConfig {
    /// Applies to every endpoint.
    #[serde(default)]
    pub global: FaultSpec,
    /// Per endpoint (keys from [`ENDPOINTS`]), overriding `Global` field by field.
    #[serde(default)]
    pub endpoints: BTreeMap<String, FaultSpec>,
    /// Overrides the token lifetime (seconds), so tokens expire quickly.
    /// Applies to tokens already issued too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime_secs: Option<u64>,
    /// How long a hanging call is held open (default 3600 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hang_secs: Option<u64>,
    /// `Retry-After` value of a 429 (default 1 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

pub use sim_kit::faults::DEFAULT_HANG_SECS;
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 1;

impl FaultConfig {
    /// Checks the shares and endpoint names, and spells endpoint keys
    /// canonically.
    pub fn validated(self) -> Result<FaultConfig, Vec<String>> {
        let mut problems = Vec::new();
        let check = |scope: &str, spec: &FaultSpec, problems: &mut Vec<String>| {
            for (name, rate) in spec.rates() {
                check_share(scope, name, rate, problems);
            }
        };
        check("Global", &self.global, &mut problems);
        let mut endpoints = BTreeMap::new();
        for (name, spec) in self.endpoints {
            check(&name, &spec, &mut problems);
            match canonical_endpoint(&name) {
                Some(canon) => {
                    endpoints.insert(canon.to_string(), spec);
                }
                None => problems.push(format!(
                    "unknown endpoint '{name}'; known: {}",
                    ENDPOINTS.join(", ")
                )),
            }
        }
        if problems.is_empty() {
            Ok(FaultConfig { endpoints, ..self })
        } else {
            Err(problems)
        }
    }

    /// The faults in force for one endpoint.
    pub fn effective(&self, endpoint: &str) -> FaultSpec {
        match self.endpoints.get(endpoint) {
            Some(spec) => spec.or(&self.global),
            None => self.global.clone(),
        }
    }
}

/// The live fault configuration plus the seeded generator behind it.
#[derive(Debug)]
pub struct Faults {
    config: RwLock<FaultConfig>,
    dice: Dice,
}

impl Faults {
    pub fn new(config: FaultConfig, seed: u64) -> Self {
        Self {
            config: RwLock::new(config),
            dice: Dice::new(seed),
        }
    }

    pub fn config(&self) -> FaultConfig {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
    }

    pub fn token_lifetime_override(&self) -> Option<Duration> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .token_lifetime_secs
            .map(Duration::from_secs)
    }

    /// Decides, before the handler runs, the added latency and whether the
    /// call is disrupted. Hang wins over 500, which wins over 429.
    pub fn before(&self, endpoint: &str) -> (Duration, Option<Disruption>) {
        let (spec, hang_secs, retry_after_secs) = {
            let c = self.config.read().unwrap_or_else(|e| e.into_inner());
            (
                c.effective(endpoint),
                c.hang_secs.unwrap_or(DEFAULT_HANG_SECS),
                c.retry_after_secs.unwrap_or(DEFAULT_RETRY_AFTER_SECS),
            )
        };
        let latency = Duration::from_millis(spec.latency_ms.unwrap_or(0));
        let disruption = self.dice.disruption(
            spec.hang_rate,
            spec.server_error_rate,
            spec.rate_limit_rate,
            Duration::from_secs(hang_secs),
            retry_after_secs,
        );
        (latency, disruption)
    }

    /// Decides whether the body of a normal answer gets spoilt.
    pub fn body_fault(&self, endpoint: &str) -> Option<BodyFault> {
        let spec = self.spec(endpoint);
        self.dice
            .body_fault(spec.malformed_json_rate, spec.truncated_json_rate)
    }

    /// Decides the "Success: false although created" quirk.
    pub fn success_false(&self, endpoint: &str) -> bool {
        let spec = self.spec(endpoint);
        self.dice.roll(spec.success_false_rate)
    }

    fn spec(&self, endpoint: &str) -> FaultSpec {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .effective(endpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_overrides_global_field_by_field() {
        let mut cfg = FaultConfig::default();
        cfg.global.latency_ms = Some(5);
        cfg.global.hang_rate = Some(0.5);
        cfg.endpoints.insert(
            "ESTREQUEST".into(),
            FaultSpec {
                hang_rate: Some(0.0),
                ..Default::default()
            },
        );
        let cfg = cfg.validated().expect("valid");
        let e = cfg.effective("estrequest");
        assert_eq!(e.latency_ms, Some(5));
        assert_eq!(e.hang_rate, Some(0.0));
        assert_eq!(cfg.effective("products").hang_rate, Some(0.5));
    }

    #[test]
    fn rejects_bad_rates_and_unknown_endpoints() {
        let mut cfg = FaultConfig::default();
        cfg.global.server_error_rate = Some(1.5);
        cfg.endpoints.insert("nope".into(), FaultSpec::default());
        let problems = cfg.validated().expect_err("invalid");
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn spoilt_bodies_do_not_parse() {
        let body = br#"{"Status":{"Success":true},"Details":{"Items":[]}}"#;
        assert!(serde_json::from_slice::<serde_json::Value>(&malform(body)).is_err());
        assert!(serde_json::from_slice::<serde_json::Value>(&truncate(body)).is_err());
    }

    #[test]
    fn same_seed_same_decisions() {
        let mut cfg = FaultConfig::default();
        cfg.global.server_error_rate = Some(0.5);
        let a = Faults::new(cfg.clone(), 42);
        let b = Faults::new(cfg, 42);
        let run = |f: &Faults| (0..50).map(|_| f.before("products").1).collect::<Vec<_>>();
        assert_eq!(run(&a), run(&b));
    }
}
