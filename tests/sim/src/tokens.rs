//! API tokens: GUIDs with an issue time. Expiry is judged against the
//! lifetime in force at check time, so shortening the lifetime (a fault)
//! expires tokens already handed out.

use crate::rng::SplitMix64;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

pub const ZERO_TOKEN: &str = "00000000-0000-0000-0000-000000000000";

#[derive(Debug)]
pub struct TokenStore {
    /// Token -> when it was issued.
    tokens: RwLock<HashMap<String, Instant>>,
    rng: Mutex<SplitMix64>,
}

impl TokenStore {
    /// Tokens are deliberately not derived from `--seed`: a restarted
    /// simulator must not hand out a token an old client still holds. They
    /// come from a stream of their own, so they never shift fault decisions.
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seed = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x70CE_4E55;
        Self {
            tokens: RwLock::new(HashMap::new()),
            rng: Mutex::new(SplitMix64::new(seed)),
        }
    }

    /// Issues a new token; older tokens (of any application) stay valid.
    pub fn issue(&self) -> String {
        let token = self.rng.lock().unwrap_or_else(|e| e.into_inner()).guid();
        self.tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), Instant::now());
        token
    }

    /// Every token handed out so far (inspection: a test scans logs and
    /// answers for them).
    pub fn issued(&self) -> Vec<String> {
        self.tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// Whether a token exists and is younger than `lifetime`.
    pub fn is_valid(&self, token: &str, lifetime: Duration) -> bool {
        let token = token.trim().to_ascii_lowercase();
        self.tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&token)
            .is_some_and(|at| at.elapsed() < lifetime)
    }
}

impl Default for TokenStore {
    fn default() -> Self {
        Self::new()
    }
}

/// The token inside an `Authorization: Basic ...` header: base64 of the
/// token, or of `token:` (some clients send an empty password).
pub fn token_from_header(header: &str) -> Option<String> {
    use base64::Engine;
    let (scheme, value) = header.trim().split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let value = value.trim();
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::STANDARD_NO_PAD,
    ];
    let bytes = engines.iter().find_map(|e| e.decode(value).ok())?;
    let text = String::from_utf8(bytes).ok()?;
    let token = text.split(':').next().unwrap_or_default().trim();
    (!token.is_empty()).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn both_basic_forms() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            token_from_header(&format!("Basic {}", b64("abc"))).as_deref(),
            Some("abc")
        );
        assert_eq!(
            token_from_header(&format!("basic {}", b64("abc:"))).as_deref(),
            Some("abc")
        );
        assert_eq!(token_from_header("Bearer abc"), None);
        assert_eq!(token_from_header("Basic !!!"), None);
    }

    #[test]
    fn lifetime_is_judged_at_check_time() {
        let store = TokenStore::default();
        let t = store.issue();
        assert!(store.is_valid(&t, Duration::from_secs(60)));
        assert!(store.is_valid(&t.to_uppercase(), Duration::from_secs(60)));
        assert!(!store.is_valid(&t, Duration::ZERO));
        assert!(!store.is_valid("nope", Duration::from_secs(60)));
    }
}
