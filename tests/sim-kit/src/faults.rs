//! The fault-injection model both simulators share: seeded dice that only
//! draw for a fault with a non-zero share (so enabling one fault does not
//! shift the decisions of a run that never enabled it), the order of
//! disruptions, and the ways a response body gets spoilt.
//!
//! Which faults exist and how they are configured (field names, endpoint
//! names) belongs to each simulator.

use crate::rng::SplitMix64;
use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use std::sync::Mutex;
use std::time::Duration;

/// Most a response body is read into memory when a fault spoils it.
pub const MAX_SPOILED_BODY: usize = 64 * 1024 * 1024;
pub const DEFAULT_HANG_SECS: u64 = 3600;

/// What to do instead of answering normally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disruption {
    Hang(Duration),
    ServerError,
    RateLimited { retry_after_secs: u64 },
}

/// How to spoil a response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFault {
    Malformed,
    Truncated,
}

impl BodyFault {
    /// The name the call log shows.
    pub fn as_str(self) -> &'static str {
        match self {
            BodyFault::Malformed => "malformed_json",
            BodyFault::Truncated => "truncated_json",
        }
    }
}

/// The seeded generator behind every fault decision.
#[derive(Debug)]
pub struct Dice(Mutex<SplitMix64>);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(Mutex::new(SplitMix64::new(seed)))
    }

    /// True with probability `share`; never draws for `None`, 0 or 1.
    pub fn roll(&self, share: Option<f64>) -> bool {
        match share {
            Some(p) if p > 0.0 => {
                p >= 1.0 || self.0.lock().unwrap_or_else(|e| e.into_inner()).next_f64() < p
            }
            _ => false,
        }
    }

    /// Hang wins over 500, which wins over 429; each is rolled only when the
    /// ones before it did not hit.
    pub fn disruption(
        &self,
        hang_rate: Option<f64>,
        server_error_rate: Option<f64>,
        rate_limit_rate: Option<f64>,
        hang: Duration,
        retry_after_secs: u64,
    ) -> Option<Disruption> {
        if self.roll(hang_rate) {
            Some(Disruption::Hang(hang))
        } else if self.roll(server_error_rate) {
            Some(Disruption::ServerError)
        } else if self.roll(rate_limit_rate) {
            Some(Disruption::RateLimited { retry_after_secs })
        } else {
            None
        }
    }

    /// Malformed wins over truncated.
    pub fn body_fault(
        &self,
        malformed_rate: Option<f64>,
        truncated_rate: Option<f64>,
    ) -> Option<BodyFault> {
        if self.roll(malformed_rate) {
            Some(BodyFault::Malformed)
        } else if self.roll(truncated_rate) {
            Some(BodyFault::Truncated)
        } else {
            None
        }
    }
}

/// Adds a problem when a share is not within 0..=1.
pub fn check_share(scope: &str, name: &str, share: Option<f64>, problems: &mut Vec<String>) {
    if let Some(r) = share
        && !(r.is_finite() && (0.0..=1.0).contains(&r))
    {
        problems.push(format!("{scope}.{name} must be between 0 and 1, not {r}"));
    }
}

/// A fault key as CLI flags and `--fault` give it (`hang-rate`,
/// `HangRate`), squashed to lower-case letters and digits (`hangrate`).
pub fn squash_key(key: &str) -> String {
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Breaks JSON text: a trailing comma before the closing bracket, which
/// every strict parser rejects (`{"a":1,}`).
pub fn malform(body: &[u8]) -> Vec<u8> {
    let mut out = body.to_vec();
    match out.iter().rposition(|b| *b == b'}' || *b == b']') {
        Some(pos) => {
            out.insert(pos, b',');
            out.insert(pos, b',');
        }
        None => out.extend_from_slice(b",}"),
    }
    out
}

/// Cuts JSON text in half (at least one byte goes).
pub fn truncate(body: &[u8]) -> Vec<u8> {
    body[..body.len() / 2].to_vec()
}

/// Spoils a response's body; status and headers stay (but the length).
pub async fn spoil(response: Response, fault: BodyFault) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_SPOILED_BODY)
        .await
        .unwrap_or_default();
    let spoiled = match fault {
        BodyFault::Malformed => malform(&bytes),
        BodyFault::Truncated => truncate(&bytes),
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(spoiled))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoilt_bodies_do_not_parse() {
        let body = br#"{"IsError":false,"Items":[]}"#;
        assert!(serde_json::from_slice::<serde_json::Value>(&malform(body)).is_err());
        assert!(serde_json::from_slice::<serde_json::Value>(&truncate(body)).is_err());
    }

    #[test]
    fn same_seed_same_decisions_and_no_draw_for_zero() {
        let run = |d: &Dice| (0..50).map(|_| d.roll(Some(0.5))).collect::<Vec<_>>();
        assert_eq!(run(&Dice::new(42)), run(&Dice::new(42)));
        let a = Dice::new(7);
        let b = Dice::new(7);
        assert!(!a.roll(Some(0.0)) && !a.roll(None));
        assert_eq!(run(&a), run(&b));
    }

    #[test]
    fn shares_are_checked() {
        let mut p = Vec::new();
        check_share("Global", "HangRate", Some(1.5), &mut p);
        check_share("Global", "HangRate", Some(0.5), &mut p);
        assert_eq!(p.len(), 1);
        assert_eq!(squash_key("hang-rate"), "hangrate");
    }
}
