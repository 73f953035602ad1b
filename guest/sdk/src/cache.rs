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

    #[test]
    fn receipts_round_trip_and_old_entries_still_read() {
        let p = TestPlatform::default();
        let c = Cache::new(&p);
        let r = OrderReceipt {
            backend_order_id: "J000001".into(),
            backend_order_no: Some("Q005201v1".into()),
            customer_code: "WEBSHOP".into(),
            customer_link: None,
        };
        c.set_receipt("order:1", &r, 60);
        assert_eq!(c.receipt("order:1"), Some(r.clone()));
        // As the printIQ connector wrote them before the SDK kept receipts.
        c.set_text(
            "order:2",
            r#"{"id":"J000001","no":"Q005201v1","customer":"WEBSHOP"}"#,
            60,
        );
        assert_eq!(c.receipt("order:2"), Some(r));
        assert_eq!(c.receipt("order:3"), None);
    }

    /// A [`TestPlatform`] whose sleeps are counted and move its clock on by
    /// `secs_per_sleep`, and which stores `key` at the `store_at`-th sleep.
    struct Sleepy {
        p: TestPlatform,
        sleeps: std::cell::Cell<u32>,
        secs_per_sleep: u64,
        store_at: Option<u32>,
    }

    impl Platform for Sleepy {
        fn http(&self, r: crate::HttpRequest) -> Result<crate::HttpResponse, crate::HttpError> {
            self.p.http(r)
        }
        fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
            self.p.cache_get(key)
        }
        fn cache_set(&self, key: &str, value: &[u8], ttl: u32) {
            self.p.cache_set(key, value, ttl)
        }
        fn cache_delete(&self, key: &str) {
            self.p.cache_delete(key)
        }
        fn sleep(&self, _: std::time::Duration) {
            self.sleeps.set(self.sleeps.get() + 1);
            self.p.advance(self.secs_per_sleep);
            if self.store_at == Some(self.sleeps.get()) {
                self.p.cache_set("q", b"42", 0);
            }
        }
        fn log(&self, level: crate::LogLevel, msg: &str) {
            self.p.log(level, msg)
        }
        fn now_unix_secs(&self) -> u64 {
            self.p.now_unix_secs()
        }
    }

    fn sleepy(secs_per_sleep: u64, store_at: Option<u32>) -> Sleepy {
        Sleepy {
            p: TestPlatform::default(),
            sleeps: Default::default(),
            secs_per_sleep,
            store_at,
        }
    }

    #[test]
    fn waiting_ends_with_the_entry_the_released_lease_or_the_clock() {
        // The holder stores the entry: it is the answer.
        let p = sleepy(0, Some(3));
        let c = Cache::new(&p);
        let _held = c.lease("lease:q", 15).expect("free");
        assert_eq!(c.wait_for("q", "lease:q", 15), Some(b"42".to_vec()));
        assert_eq!(p.sleeps.get(), 3);

        // The holder let go without storing (it failed): no more waiting.
        let p = sleepy(0, None);
        let c = Cache::new(&p);
        drop(c.lease("lease:q", 15).expect("free"));
        assert_eq!(c.wait_for("q", "lease:q", 15), None);
        assert_eq!(p.sleeps.get(), 1, "waited on after the lease was let go");

        // A holder still at it: `secs` on the clock, even when each
        // 25 ms sleep takes a whole second.
        let p = sleepy(1, None);
        let c = Cache::new(&p);
        let _held = c.lease("lease:q", 60).expect("free");
        assert_eq!(c.wait_for("q", "lease:q", 15), None);
        assert_eq!(p.sleeps.get(), 15, "waited past the clock");

        // A clock that stands still (tests): at most 40 looks a second.
        let p = sleepy(0, None);
        let c = Cache::new(&p);
        let _held = c.lease("lease:q", 60).expect("free");
        assert_eq!(c.wait_for("q", "lease:q", 2), None);
        assert_eq!(p.sleeps.get(), 80);
    }
}
