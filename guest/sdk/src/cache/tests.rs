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

#[test]
fn a_claim_is_ready_mine_or_busy() {
    let p = TestPlatform::default();
    let c = Cache::new(&p);
    let Claim::Mine(lease) = c.claim::<u32>("k", 1) else {
        panic!("a missing entry is the first caller's to make")
    };
    // While it is held, another caller waits, then gives up: busy.
    assert!(matches!(c.claim::<u32>("k", 1), Claim::Busy));
    c.set("k", &7u32, 60);
    drop(lease);
    assert!(matches!(c.claim::<u32>("k", 1), Claim::Ready(7)));
    assert!(p.cache_get("lease:k").is_none(), "the lease is let go");
}

#[test]
fn remember_stores_for_its_ttl_and_never_with_zero() {
    let p = TestPlatform::default();
    let c = Cache::new(&p);
    let calls = std::cell::Cell::new(0);
    let make = || -> Result<u32, ()> {
        calls.set(calls.get() + 1);
        Ok(5)
    };
    assert_eq!(c.remember("r", 60, make), Ok((5, false)));
    assert_eq!(c.remember("r", 60, make), Ok((5, true)));
    assert_eq!(c.remember("z", 0, make), Ok((5, false)));
    assert_eq!(c.remember("z", 0, make), Ok((5, false)));
    assert_eq!(calls.get(), 3);
    assert_eq!(c.remember::<u32, _>("e", 60, || Err("down")), Err("down"));
    assert!(p.cache_get("e").is_none(), "a failure is not stored");
}

#[test]
fn a_token_is_keyed_by_its_credentials_without_containing_them() {
    let p = TestPlatform::default();
    let a = Token::new(&p, &["https://mis", "user", "s3cret"], 60);
    let b = Token::new(&p, &["https://mis", "user", "other"], 60);
    assert_ne!(a.key(), b.key());
    assert!(!a.key().contains("s3cret"));
    assert_eq!(a.get_or(|| Ok("t-1".into())), Ok("t-1".into()));
    a.store("t-1");
    assert_eq!(a.get_or(|| panic!("cached: no login")), Ok("t-1".into()));
    assert_eq!(b.cached(), None);
    a.forget();
    assert_eq!(a.cached(), None);
}
