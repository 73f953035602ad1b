//! The tenant cache: typed entries, cache keys, and a lease built on `add`.
//!
//! The host namespaces every key by tenant and plugin; keys here only need
//! to be unique within one connector.

use serde::Serialize;
use serde::de::DeserializeOwned;

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

    /// Take the lease `key` for at most `ttl_secs`, unless another call (any
    /// instance of this tenant) holds it. Dropping the lease releases it.
    pub fn lease(&self, key: &str, ttl_secs: u32) -> Option<Lease<'a>> {
        self.p.cache_add(key, b"1", ttl_secs).then(|| Lease {
            p: self.p,
            key: key.to_string(),
        })
    }
}

impl Cache<'_> {
    /// Waits up to `secs` for another call (the lease holder) to store
    /// `key`, looking every 25 ms; the entry, or `None` if it never came.
    pub fn wait_for(&self, key: &str, secs: u32) -> Option<Vec<u8>> {
        let step = std::time::Duration::from_millis(25);
        for _ in 0..u64::from(secs) * 40 {
            self.p.sleep(step);
            if let Some(v) = self.p.cache_get(key) {
                return Some(v);
            }
        }
        None
    }
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
mod tests {
    use super::*;
    use crate::testing::TestPlatform;

    #[test]
    fn exact_keys_are_unambiguous_and_bounded() {
        // Part boundaries matter, in both forms.
        assert_ne!(exact_key("q", &["ab", "c"]), exact_key("q", &["a", "bc"]));
        assert_eq!(exact_key("q", &["ab", "c"]), "q:=2:ab1:c");
        assert_ne!(exact_key("q", &["", "1:x"]), exact_key("q", &["1:x", ""]));
        // Long parts are hashed: a bounded key that never looks written out.
        let long = "x".repeat(400);
        let hashed = exact_key("q", &[&long]);
        assert_eq!(hashed, format!("q:{}", digest(&[&long])));
        assert_eq!(hashed.len(), 34);
        // The hex digest is unchanged by its faster formatting.
        assert_eq!(digest(&["a"]).len(), 32);
        assert!(digest(&["a"]).bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn typed_entries_expire_and_leases_exclude() {
        let p = TestPlatform::default();
        let c = Cache::new(&p);
        c.set("k", &vec![1u32, 2], 10);
        assert_eq!(c.get::<Vec<u32>>("k"), Some(vec![1, 2]));
        assert_eq!(c.get::<String>("k"), None);
        p.advance(10);
        assert_eq!(c.get::<Vec<u32>>("k"), None);

        let lease = c.lease("l", 5).expect("free");
        assert!(c.lease("l", 5).is_none());
        drop(lease);
        assert!(c.lease("l", 5).is_some());
        c.set_text("t", "v", 0);
        assert_eq!(c.get_text("t").as_deref(), Some("v"));
    }
}
