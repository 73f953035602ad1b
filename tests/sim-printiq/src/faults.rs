//! Fault injection for the printIQ simulator: which faults exist, per
//! endpoint, decided by `sim-kit`'s seeded dice.

use serde::{Deserialize, Serialize};
use sim_kit::faults::{BodyFault, Dice, check_share, squash_key};
use std::collections::BTreeMap;
use std::sync::RwLock;
use std::time::Duration;

pub use sim_kit::faults::DEFAULT_HANG_SECS;

/// The canonical endpoint names, as fault keys and in the call log
/// (matched case-insensitively).
pub const ENDPOINTS: &[&str] = &[
    "GetApplicationLogInToken",
    "GetTreeNodes",
    "GetFilters",
    "GetPrice",
    "CreateQuoteWithDelivery",
    "AcceptQuote",
    "GetQuoteDetails",
    "GetAcceptanceDetails",
    "AddExternalConsignment",
    "customerbycode/{code}",
    "inventoryitems/{IICode}",
    "inventorytransactions",
];

/// The canonical spelling of an endpoint name, if it is one.
pub fn canonical_endpoint(name: &str) -> Option<&'static str> {
    let name = name.trim().trim_matches('/');
    ENDPOINTS
        .iter()
        .copied()
        .find(|e| e.eq_ignore_ascii_case(name))
}

/// Faults of one scope (global, or one endpoint). A field left out falls
/// back to the global value, and from there to "off".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// Added latency before answering, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Share (0..=1) of calls answered HTTP 500 (an HTML error page);
    /// nothing is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_error_rate: Option<f64>,
    /// Share of calls held open for `HangSecs`, then answered 503; nothing
    /// is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hang_rate: Option<f64>,
    /// Share of answers with broken JSON (the work is done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed_json_rate: Option<f64>,
    /// Share of answers cut in half (the work is done).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_json_rate: Option<f64>,
    /// Share of calls answered HTTP 200 `IsError: true` before any work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error_rate: Option<f64>,
    /// Share of calls answered HTTP 200 `IsError: true` although the work
    /// was done (the quote, job or movement exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_error_after_work_rate: Option<f64>,
    /// Share of QuoteProcess calls whose login token expires just before
    /// the call (answered "Invalid login token"; the token stays invalid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_token_rate: Option<f64>,
    /// Share of calls whose work is done but whose answer is held back for
    /// `HangSecs` (the client times out: the job exists, the answer comes
    /// too late or never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_after_work_rate: Option<f64>,
}

impl FaultSpec {
    fn rates(&self) -> [(&'static str, Option<f64>); 8] {
        [
            ("ServerErrorRate", self.server_error_rate),
            ("HangRate", self.hang_rate),
            ("MalformedJsonRate", self.malformed_json_rate),
            ("TruncatedJsonRate", self.truncated_json_rate),
            ("IsErrorRate", self.is_error_rate),
            ("IsErrorAfterWorkRate", self.is_error_after_work_rate),
            ("ExpiredTokenRate", self.expired_token_rate),
            ("TimeoutAfterWorkRate", self.timeout_after_work_rate),
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
            is_error_rate: self.is_error_rate.or(fallback.is_error_rate),
            is_error_after_work_rate: self
                .is_error_after_work_rate
                .or(fallback.is_error_after_work_rate),
            expired_token_rate: self.expired_token_rate.or(fallback.expired_token_rate),
            timeout_after_work_rate: self
                .timeout_after_work_rate
                .or(fallback.timeout_after_work_rate),
        }
    }

    /// Sets one field from a `kebab-case` or `PascalCase` name, as CLI flags
    /// and `--fault` give them.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let rate = || {
            value
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("{key}: '{value}' is not a number"))
        };
        match squash_key(key).as_str() {
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
            "iserrorrate" => self.is_error_rate = Some(rate()?),
            "iserrorafterworkrate" => self.is_error_after_work_rate = Some(rate()?),
            "expiredtokenrate" => self.expired_token_rate = Some(rate()?),
            "timeoutafterworkrate" => self.timeout_after_work_rate = Some(rate()?),
            _ => return Err(format!("unknown fault '{key}'")),
        }
        Ok(())
    }
}

/// The whole fault configuration, as `GET/PUT /_sim/faults` show it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct FaultConfig {
    #[serde(default)]
    pub global: FaultSpec,
    /// Per endpoint (keys from [`ENDPOINTS`]), overriding `Global` field by
    /// field.
    #[serde(default)]
    pub endpoints: BTreeMap<String, FaultSpec>,
    /// Overrides the token lifetime (seconds); applies to tokens already
    /// issued (0 expires them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_lifetime_secs: Option<u64>,
    /// How long a hanging or held-back answer waits (default 3600 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hang_secs: Option<u64>,
    /// Share of successful webhook deliveries delivered once more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_duplicate_rate: Option<f64>,
}

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
        check_share(
            "Config",
            "WebhookDuplicateRate",
            self.webhook_duplicate_rate,
            &mut problems,
        );
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

/// What a call does instead of answering normally, decided before the
/// handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    Hang(Duration),
    ServerError,
    ExpiredToken,
    IsError,
}

/// What happens to an answer after the handler did the work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    IsError,
    HoldBack(Duration),
    Body(BodyFault),
}

/// The live configuration plus the seeded dice.
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

    fn spec(&self, endpoint: &str) -> (FaultSpec, Duration) {
        let c = self.config.read().unwrap_or_else(|e| e.into_inner());
        (
            c.effective(endpoint),
            Duration::from_secs(c.hang_secs.unwrap_or(DEFAULT_HANG_SECS)),
        )
    }

    pub fn token_lifetime_override(&self) -> Option<Duration> {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .token_lifetime_secs
            .map(Duration::from_secs)
    }

    /// Latency, then hang > 500 > expired token (QuoteProcess calls but the
    /// login only) > `IsError`.
    pub fn before(&self, endpoint: &str, uses_token: bool) -> (Duration, Option<Before>) {
        let (spec, hang) = self.spec(endpoint);
        let latency = Duration::from_millis(spec.latency_ms.unwrap_or(0));
        let before =
            match self
                .dice
                .disruption(spec.hang_rate, spec.server_error_rate, None, hang, 0)
            {
                Some(sim_kit::faults::Disruption::Hang(d)) => Some(Before::Hang(d)),
                Some(_) => Some(Before::ServerError),
                None if uses_token && self.dice.roll(spec.expired_token_rate) => {
                    Some(Before::ExpiredToken)
                }
                None if self.dice.roll(spec.is_error_rate) => Some(Before::IsError),
                None => None,
            };
        (latency, before)
    }

    /// After the work: `IsError` > held back > malformed > truncated.
    pub fn after(&self, endpoint: &str) -> Option<After> {
        let (spec, hang) = self.spec(endpoint);
        if self.dice.roll(spec.is_error_after_work_rate) {
            Some(After::IsError)
        } else if self.dice.roll(spec.timeout_after_work_rate) {
            Some(After::HoldBack(hang))
        } else {
            self.dice
                .body_fault(spec.malformed_json_rate, spec.truncated_json_rate)
                .map(After::Body)
        }
    }

    /// Whether a delivered webhook is delivered once more.
    pub fn duplicate_webhook(&self) -> bool {
        let share = self
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .webhook_duplicate_rate;
        self.dice.roll(share)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_overrides_global_and_names_are_canonical() {
        let mut cfg = FaultConfig::default();
        cfg.global.latency_ms = Some(5);
        cfg.endpoints.insert(
            "acceptquote".into(),
            FaultSpec {
                timeout_after_work_rate: Some(1.0),
                ..Default::default()
            },
        );
        let cfg = cfg.validated().expect("valid");
        assert!(cfg.endpoints.contains_key("AcceptQuote"));
        let e = cfg.effective("AcceptQuote");
        assert_eq!(e.latency_ms, Some(5));
        assert_eq!(e.timeout_after_work_rate, Some(1.0));
        assert_eq!(cfg.effective("GetPrice").timeout_after_work_rate, None);
    }

    #[test]
    fn rejects_bad_rates_and_unknown_endpoints() {
        let mut cfg = FaultConfig::default();
        cfg.global.is_error_rate = Some(2.0);
        cfg.webhook_duplicate_rate = Some(-1.0);
        cfg.endpoints.insert("nope".into(), FaultSpec::default());
        assert_eq!(cfg.validated().expect_err("invalid").len(), 3);
    }

    #[test]
    fn set_reads_cli_keys() {
        let mut spec = FaultSpec::default();
        spec.set("timeout-after-work-rate", "0.5").expect("known");
        spec.set("IsErrorRate", "1").expect("known");
        assert_eq!(spec.timeout_after_work_rate, Some(0.5));
        assert!(spec.set("bogus", "1").is_err());
    }
}
