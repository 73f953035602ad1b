//! Login tokens: GUID-like, valid for a sliding lifetime (every accepted
//! use renews it). Expiry is judged against the lifetime in force at use
//! time, so shortening it (a fault) expires tokens already handed out.

use sim_kit::rng::SplitMix64;
use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct TokenStore {
    /// Token (lower case) -> last accepted use (or issue).
    tokens: RwLock<HashMap<String, Instant>>,
    rng: Mutex<SplitMix64>,
}

impl TokenStore {
    /// Tokens are not derived from `--seed`: a restarted simulator must not
    /// hand out a token an old client still holds.
    pub fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let seed = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9119_7A0C;
        Self {
            tokens: RwLock::new(HashMap::new()),
            rng: Mutex::new(SplitMix64::new(seed)),
        }
    }

    pub fn issue(&self) -> String {
        let token = self.rng.lock().unwrap_or_else(|e| e.into_inner()).guid();
        self.tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), Instant::now());
        token
    }

    /// Whether the token is known and was used (or issued) less than
    /// `lifetime` ago; renews it if so.
    pub fn check_and_renew(&self, token: &str, lifetime: Duration) -> bool {
        let token = token.trim().to_ascii_lowercase();
        let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        match tokens.get_mut(&token) {
            Some(at) if at.elapsed() < lifetime => {
                *at = Instant::now();
                true
            }
            _ => false,
        }
    }

    /// Forgets one token (an injected expiry).
    pub fn expire(&self, token: &str) {
        self.tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&token.trim().to_ascii_lowercase());
    }

    /// Forgets every token.
    pub fn expire_all(&self) {
        self.tokens
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    pub fn issued(&self) -> Vec<String> {
        self.tokens
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }
}

impl Default for TokenStore {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_and_expiring() {
        let store = TokenStore::new();
        let t = store.issue();
        assert!(store.check_and_renew(&t.to_uppercase(), Duration::from_secs(60)));
        assert!(!store.check_and_renew(&t, Duration::ZERO));
        store.expire(&t);
        assert!(!store.check_and_renew(&t, Duration::from_secs(60)));
        assert!(!store.check_and_renew("nope", Duration::from_secs(60)));
    }
}
