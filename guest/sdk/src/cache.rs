//! The tenant cache: typed entries, cache keys, and a lease built on `add`.
//!
//! The host namespaces every key by tenant and plugin; keys here only need
//! to be unique within one connector.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::OrderReceipt;
use crate::platform::Platform;

/// Typed access to the tenant cache.
#[derive(Clone, Copy)]
pub struct Cache<'a> {
    p: &'a dyn Platform,
}

impl<'a> Cache<'a> {
    pub fn new(p: &'a dyn Platform) -> Self {
        Cache { p }
    }

    /// The entry as `T` (JSON), unless missing, expired or unreadable.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let bytes = self.p.cache_get(key)?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Store `value` as JSON for `ttl_secs` (0: until evicted). A value that
    /// cannot be serialised is not stored.
    pub fn set<T: Serialize + ?Sized>(&self, key: &str, value: &T, ttl_secs: u32) {
        if let Ok(bytes) = serde_json::to_vec(value) {
            self.p.cache_set(key, &bytes, ttl_secs);
        }
    }

    /// The entry as UTF-8 text.
    pub fn get_text(&self, key: &str) -> Option<String> {
        self.p
            .cache_get(key)
            .and_then(|b| String::from_utf8(b).ok())
    }

    pub fn set_text(&self, key: &str, value: &str, ttl_secs: u32) {
        self.p.cache_set(key, value.as_bytes(), ttl_secs);
    }

    pub fn delete(&self, key: &str) {
        self.p.cache_delete(key);
    }

    /// The receipt a submitted order got, if kept under `key`: a
    /// resubmission answers it again without asking the back office.
    pub fn receipt(&self, key: &str) -> Option<OrderReceipt> {
        let r: StoredReceipt = self.get(key)?;
        Some(OrderReceipt {
            backend_order_id: r.id,
            backend_order_no: r.no,
            customer_code: r.code,
            customer_link: None,
        })
    }

    /// Keep `receipt` under `key` (without its customer link).
    pub fn set_receipt(&self, key: &str, receipt: &OrderReceipt, ttl_secs: u32) {
        let r = StoredReceipt {
            id: receipt.backend_order_id.clone(),
            no: receipt.backend_order_no.clone(),
            code: receipt.customer_code.clone(),
        };
        self.set(key, &r, ttl_secs);
    }

    /// Take the lease `key` for at most `ttl_secs`, unless another call (any
    /// instance of this tenant) holds it. Dropping the lease releases it.
    pub fn lease(&self, key: &str, ttl_secs: u32) -> Option<Lease<'a>> {
        self.p.cache_add(key, b"1", ttl_secs).then(|| Lease {
            p: self.p,
            key: key.to_string(),
        })
    }
}

/// What [`Cache::claim`] found.
pub enum Claim<'a, T> {
    /// The entry: there already, or stored by the call that held the lease.
    Ready(T),
    /// No entry, and this call holds the lease: make it, store it, then drop
    /// the lease.
    Mine(Lease<'a>),
    /// Another call held the lease and neither stored the entry nor let go
    /// in time (slow or dead): the caller decides whether to go on.
    Busy,
}

impl<'a> Cache<'a> {
    /// The entry `key` (JSON), or the right to make it: concurrent calls for
    /// the same missing entry (any instance of this tenant) make it once, the
    /// others wait for it ([`Cache::wait_for`], up to `secs`). The lease is
    /// `lease:<key>`.
    pub fn claim<T: DeserializeOwned>(&self, key: &str, secs: u32) -> Claim<'a, T> {
        if let Some(v) = self.get(key) {
            return Claim::Ready(v);
        }
        let lease_key = format!("lease:{key}");
        match self.lease(&lease_key, secs) {
            // The holder may have stored it between the first look and ours.
            Some(lease) => self.get(key).map_or(Claim::Mine(lease), Claim::Ready),
            None => self
                .wait_for(key, &lease_key, secs)
                .and_then(|b| serde_json::from_slice(&b).ok())
                .map_or(Claim::Busy, Claim::Ready),
        }
    }

    /// The entry `key`, or `make`'s answer stored for `ttl_secs` (0: neither
    /// read nor stored); `true` when it came from the cache.
    pub fn remember<T: Serialize + DeserializeOwned, E>(
        &self,
        key: &str,
        ttl_secs: u32,
        make: impl FnOnce() -> Result<T, E>,
    ) -> Result<(T, bool), E> {
        if ttl_secs > 0
            && let Some(v) = self.get(key)
        {
            return Ok((v, true));
        }
        let v = make()?;
        if ttl_secs > 0 {
            self.set(key, &v, ttl_secs);
        }
        Ok((v, false))
    }
}

/// A login token kept in the tenant cache under a key made from the
/// credentials (so changed credentials never reuse an old token, and the
/// key contains none of them).
pub struct Token<'a> {
    p: &'a dyn Platform,
    key: String,
    ttl_secs: u32,
}

impl<'a> Token<'a> {
    pub fn new(p: &'a dyn Platform, credentials: &[&str], ttl_secs: u32) -> Self {
        Token {
            p,
            key: format!("token:{}", digest(credentials)),
            ttl_secs,
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The cached token, if any (also for redacting it from messages).
    pub fn cached(&self) -> Option<String> {
        let t = self.p.cache_get(&self.key)?;
        String::from_utf8(t).ok().filter(|t| !t.is_empty())
    }

    /// The cached token, or a new one from `login` (which calls [`Token::store`]).
    pub fn get_or(
        &self,
        login: impl FnOnce() -> Result<String, crate::PluginError>,
    ) -> Result<String, crate::PluginError> {
        self.cached().map_or_else(login, Ok)
    }

    pub fn store(&self, token: &str) {
        self.p.cache_set(&self.key, token.as_bytes(), self.ttl_secs);
    }

    /// Forget the token the back office refused.
    pub fn forget(&self) {
        self.p.cache_delete(&self.key);
    }
}

impl Cache<'_> {
    /// Waits for another call, the holder of the lease `lease`, to store
    /// `key`, looking every 25 ms; the entry, or `None` once `secs` have
    /// passed on the platform's clock (at most `secs` × 40 looks), or as soon
    /// as the holder let go of the lease without storing it (it failed, or
    /// its lease ran out: waiting longer would bring nothing). Bounding by
    /// the clock matters: a 25 ms sleep in a busy host can take twice that.
    pub fn wait_for(&self, key: &str, lease: &str, secs: u32) -> Option<Vec<u8>> {
        let step = std::time::Duration::from_millis(25);
        let until = self.p.now_unix_secs() + u64::from(secs);
        for _ in 0..u64::from(secs) * 40 {
            self.p.sleep(step);
            if let Some(v) = self.p.cache_get(key) {
                return Some(v);
            }
            if self.p.cache_get(lease).is_none() {
                // One more look: it may have stored just before letting go.
                return self.p.cache_get(key);
            }
            if self.p.now_unix_secs() >= until {
                return None;
            }
        }
        None
    }
}

/// A receipt as the cache keeps it (`customer` is how the printIQ
/// connector once wrote `code`).
#[derive(Serialize, Deserialize)]
struct StoredReceipt {
    id: String,
    no: Option<String>,
    #[serde(alias = "customer")]
    code: String,
}

/// A held lease; released when dropped (or when its TTL runs out, should the
/// holder die).
pub struct Lease<'a> {
    p: &'a dyn Platform,
    key: String,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.p.cache_delete(&self.key);
    }
}

/// A short, stable hash of several strings (length-prefixed, so part
/// boundaries matter): 32 hex digits of SHA-256. Use it for keys made of
/// secrets or of unbounded text.
pub fn digest(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    // Hex by hand: `format!` per byte costs more than the hash itself in
    // the component (a measurable share of a warm quote).
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(32);
    for b in &h.finalize()[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// Longest cache key [`exact_key`] writes out in full.
const MAX_EXACT_KEY: usize = 256;

/// A cache key for several strings that contain no secret: written out in
/// full (`<prefix>:=<len>:<part><len>:<part>...`, exact and unambiguous)
/// when short, else `<prefix>:<digest>` (the two forms never meet: a
/// digest is hex, never `=`). Spares the hash on hot paths (a warm quote
/// is mostly this key), where software SHA-256 in the component costs
/// about a microsecond. One allocation.
pub fn exact_key(prefix: &str, parts: &[&str]) -> String {
    let len = prefix.len() + 2 + parts.iter().map(|p| p.len() + 4).sum::<usize>();
    if len > MAX_EXACT_KEY {
        return format!("{prefix}:{}", digest(parts));
    }
    let mut key = String::with_capacity(len + 8);
    key.push_str(prefix);
    key.push_str(":=");
    for p in parts {
        push_decimal(&mut key, p.len());
        key.push(':');
        key.push_str(p);
    }
    key
}

fn push_decimal(out: &mut String, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(d as char);
    }
}

#[cfg(test)]
mod tests;
