//! The conformance suite every [`CacheBackend`] passes (feature `testing`):
//! namespace isolation, TTLs, an atomic `add`, the quota with its eviction
//! order (expired entries first, then the least recently used), `clear`,
//! every write honoured by an entry already read,
//! and for persistent backends, a reopen. `host/tests/cache_backends.rs`
//! runs it against memory, SQLite and a real Redis; a new backend adds one
//! line there.
//!
//! Each case takes a [`Subject`] and uses its own namespaces, so cases may
//! share storage. Run them on a multi-threaded runtime (the `add` race
//! needs real threads).

use std::sync::Arc;
use std::time::Duration;

use super::USE_RESOLUTION;
use super::{CacheBackend, Namespace};

/// A backend under test.
pub struct Subject {
    pub name: &'static str,
    /// A new handle on the same storage, with this quota per namespace in
    /// bytes (for a persistent backend, what a restarted node opens).
    pub open: Box<dyn Fn(usize) -> Arc<dyn CacheBackend> + Send + Sync>,
    /// Whether entries outlive the handle (SQLite, Redis).
    pub persistent: bool,
}

const ROOMY: usize = 1 << 20;

fn ns(case: &str, tenant: &str) -> Namespace {
    // Distinct per run too, for storage that outlives a test (Redis).
    Namespace::new(&format!("{tenant}-{}", std::process::id()), case)
}

async fn get(c: &dyn CacheBackend, ns: &Namespace, key: &str) -> Option<Vec<u8>> {
    c.get(ns, key).await.expect("get")
}

async fn set(c: &dyn CacheBackend, ns: &Namespace, key: &str, value: &[u8], ttl: Option<Duration>) {
    c.set(ns, key, value, ttl).await.expect("set")
}

async fn add(
    c: &dyn CacheBackend,
    ns: &Namespace,
    key: &str,
    value: &[u8],
    ttl: Option<Duration>,
) -> bool {
    c.add(ns, key, value, ttl).await.expect("add")
}

/// One namespace never sees, replaces, deletes or clears another's entries.
pub async fn namespaces_are_isolated(s: &Subject) {
    let c = &*(s.open)(ROOMY);
    let (a, b) = (ns("isolation", "a"), ns("isolation", "b"));
    set(c, &a, "k", b"va", None).await;
    assert_eq!(
        get(c, &a, "k").await.as_deref(),
        Some(&b"va"[..]),
        "{}",
        s.name
    );
    assert_eq!(get(c, &b, "k").await, None, "{}: namespaces leak", s.name);
    set(c, &b, "k", b"vb", None).await;
    assert!(add(c, &b, "lease", b"1", None).await, "{}", s.name);
    assert!(
        add(c, &a, "lease", b"1", None).await,
        "{}: add saw another namespace",
        s.name
    );
    c.delete(&b, "k").await.expect("delete");
    assert_eq!(
        get(c, &a, "k").await.as_deref(),
        Some(&b"va"[..]),
        "{}",
        s.name
    );
    c.clear(&b).await.expect("clear");
    assert_eq!(
        get(c, &a, "k").await.as_deref(),
        Some(&b"va"[..]),
        "{}: clear crossed namespaces",
        s.name
    );
    assert!(
        !add(c, &a, "lease", b"2", None).await,
        "{}: clear crossed namespaces",
        s.name
    );
}

/// Entries with a TTL expire; `set` replaces value and TTL; `delete` works.
pub async fn ttls_expire(s: &Subject) {
    let c = &*(s.open)(ROOMY);
    let n = ns("ttl", "t");
    let short = Some(Duration::from_millis(150));
    set(c, &n, "short", b"x", short).await;
    set(c, &n, "kept", b"y", Some(Duration::from_secs(60))).await;
    set(c, &n, "forever", b"z", None).await;
    set(c, &n, "renewed", b"1", short).await;
    set(c, &n, "renewed", b"2", None).await;
    assert_eq!(
        get(c, &n, "short").await.as_deref(),
        Some(&b"x"[..]),
        "{}",
        s.name
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(get(c, &n, "short").await, None, "{}: ttl ignored", s.name);
    assert_eq!(
        get(c, &n, "kept").await.as_deref(),
        Some(&b"y"[..]),
        "{}",
        s.name
    );
    assert_eq!(
        get(c, &n, "forever").await.as_deref(),
        Some(&b"z"[..]),
        "{}",
        s.name
    );
    assert_eq!(
        get(c, &n, "renewed").await.as_deref(),
        Some(&b"2"[..]),
        "{}: set kept the old ttl",
        s.name
    );
    c.delete(&n, "forever").await.expect("delete");
    assert_eq!(get(c, &n, "forever").await, None, "{}", s.name);
}

/// `add` stores only over a missing or expired entry, and of many
/// concurrent adds of one key (from several handles when persistent: the
/// nodes of a cluster) exactly one wins.
pub async fn add_is_atomic(s: &Subject) {
    let handles: Vec<Arc<dyn CacheBackend>> = if s.persistent {
        vec![(s.open)(ROOMY), (s.open)(ROOMY), (s.open)(ROOMY)]
    } else {
        vec![(s.open)(ROOMY)]
    };
    let n = ns("add", "t");
    let c = &*handles[0];
    assert!(add(c, &n, "once", b"1", None).await, "{}", s.name);
    assert!(
        !add(c, &n, "once", b"2", None).await,
        "{}: add replaced a live entry",
        s.name
    );
    assert_eq!(
        get(c, &n, "once").await.as_deref(),
        Some(&b"1"[..]),
        "{}",
        s.name
    );
    set(c, &n, "expiring", b"x", Some(Duration::from_millis(100))).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(
        add(c, &n, "expiring", b"y", None).await,
        "{}: an expired entry blocks add",
        s.name
    );

    for round in 0..5 {
        let key = format!("lease{round}");
        let start = Arc::new(tokio::sync::Barrier::new(32));
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (c, n, key, start) = (
                    handles[i % handles.len()].clone(),
                    n.clone(),
                    key.clone(),
                    start.clone(),
                );
                tokio::spawn(async move {
                    start.wait().await;
                    let won = c
                        .add(
                            &n,
                            &key,
                            i.to_string().as_bytes(),
                            Some(Duration::from_secs(30)),
                        )
                        .await;
                    (i, won.expect("add"))
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            let (i, won) = task.await.expect("task");
            if won {
                winners.push(i);
            }
        }
        assert_eq!(
            winners.len(),
            1,
            "{}: round {round}: winners {winners:?}",
            s.name
        );
        let stored = get(c, &n, &key).await;
        assert_eq!(
            stored,
            Some(winners[0].to_string().into_bytes()),
            "{}: not the winner's value",
            s.name
        );
    }
}

/// Ten entries of 100 bytes fill a 1000-byte quota; further writes evict
/// the least recently used, and a read counts as a use.
pub async fn the_quota_evicts_the_least_recently_used(s: &Subject) {
    let c = &*(s.open)(1000);
    let n = ns("lru", "t");
    for i in 0..50 {
        set(c, &n, &format!("k{i:02}"), &[b'v'; 97], None).await;
    }
    for i in 0..50 {
        let kept = get(c, &n, &format!("k{i:02}")).await.is_some();
        assert_eq!(
            kept,
            i >= 40,
            "{}: k{i:02} kept: {kept} (only the 10 newest fit)",
            s.name
        );
    }
    let small = ns("lru-touch", "t");
    let c = &*(s.open)(300);
    for key in ["k1", "k2", "k3"] {
        set(c, &small, key, &[b'v'; 98], None).await;
    }
    // A backend may record uses this coarsely (SQLite does).
    tokio::time::sleep(USE_RESOLUTION + Duration::from_millis(100)).await;
    assert!(get(c, &small, "k1").await.is_some(), "{}", s.name);
    set(c, &small, "k4", &[b'v'; 98], None).await;
    let mut kept = Vec::new();
    for key in ["k1", "k2", "k3", "k4"] {
        if get(c, &small, key).await.is_some() {
            kept.push(key);
        }
    }
    assert_eq!(
        kept,
        ["k1", "k3", "k4"],
        "{}: k1 was read last, so k2 goes",
        s.name
    );
}

/// An entry that was read answers every later write: replaced, deleted,
/// expired, evicted for the quota or cleared, it is never served again
/// (what a backend keeps in memory in front of its storage must follow).
pub async fn a_read_entry_follows_every_write(s: &Subject) {
    let c = &*(s.open)(300);
    let n = ns("read-then-write", "t");
    set(c, &n, "k", b"v1", None).await;
    assert!(get(c, &n, "k").await.is_some());
    set(c, &n, "k", b"v2", None).await;
    assert_eq!(
        get(c, &n, "k").await.as_deref(),
        Some(&b"v2"[..]),
        "{}: replaced",
        s.name
    );
    c.delete(&n, "k").await.expect("delete");
    assert_eq!(get(c, &n, "k").await, None, "{}: deleted", s.name);

    set(c, &n, "e", b"v", Some(Duration::from_millis(100))).await;
    assert!(get(c, &n, "e").await.is_some());
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(get(c, &n, "e").await, None, "{}: expired", s.name);
    assert!(add(c, &n, "e", b"v3", None).await, "{}", s.name);
    assert_eq!(
        get(c, &n, "e").await.as_deref(),
        Some(&b"v3"[..]),
        "{}: added",
        s.name
    );
    c.delete(&n, "e").await.expect("delete");

    // Three entries fill the quota; the first, read before the others were
    // written, is the least recently used and goes for a fourth.
    set(c, &n, "a", &[b'a'; 98], None).await;
    assert!(get(c, &n, "a").await.is_some());
    set(c, &n, "b", &[b'b'; 98], None).await;
    set(c, &n, "c", &[b'c'; 98], None).await;
    set(c, &n, "d", &[b'd'; 98], None).await;
    assert_eq!(
        get(c, &n, "a").await,
        None,
        "{}: evicted for the quota",
        s.name
    );
    assert!(get(c, &n, "d").await.is_some(), "{}", s.name);

    c.clear(&n).await.expect("clear");
    assert_eq!(get(c, &n, "d").await, None, "{}: cleared", s.name);
}

/// Over the quota, expired entries go before any live one, however old.
pub async fn the_quota_evicts_expired_entries_first(s: &Subject) {
    let c = &*(s.open)(300);
    let n = ns("expired-first", "t");
    set(c, &n, "k1", &[b'v'; 98], None).await;
    set(c, &n, "e2", &[b'v'; 98], Some(Duration::from_millis(100))).await;
    set(c, &n, "k3", &[b'v'; 98], None).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    set(c, &n, "k4", &[b'v'; 98], None).await;
    let mut kept = Vec::new();
    for key in ["k1", "e2", "k3", "k4"] {
        if get(c, &n, key).await.is_some() {
            kept.push(key);
        }
    }
    assert_eq!(
        kept,
        ["k1", "k3", "k4"],
        "{}: the expired entry must go first",
        s.name
    );
}

/// An entry larger than the whole quota is not stored, and replaces (drops)
/// the key's old value.
pub async fn an_entry_over_the_quota_is_not_stored(s: &Subject) {
    let c = &*(s.open)(300);
    let n = ns("too-large", "t");
    set(c, &n, "k", b"small", None).await;
    set(c, &n, "other", b"kept", None).await;
    set(c, &n, "k", &[0; 400], None).await;
    assert_eq!(
        get(c, &n, "k").await,
        None,
        "{}: a stale value survived",
        s.name
    );
    assert!(!add(c, &n, "big", &[0; 400], None).await, "{}", s.name);
    assert_eq!(
        get(c, &n, "other").await.as_deref(),
        Some(&b"kept"[..]),
        "{}",
        s.name
    );
}

/// `clear` empties a namespace (and frees its quota).
pub async fn clear_empties_a_namespace(s: &Subject) {
    let c = &*(s.open)(1000);
    let n = ns("clear", "t");
    for i in 0..10 {
        set(
            c,
            &n,
            &format!("k{i}"),
            &[b'v'; 98],
            Some(Duration::from_secs(60)),
        )
        .await;
    }
    assert!(add(c, &n, "lease", b"1", None).await, "{}", s.name);
    c.clear(&n).await.expect("clear");
    for i in 0..10 {
        assert_eq!(get(c, &n, &format!("k{i}")).await, None, "{}", s.name);
    }
    assert!(
        add(c, &n, "lease", b"2", None).await,
        "{}: clear kept a lease",
        s.name
    );
    for i in 0..9 {
        set(c, &n, &format!("n{i}"), &[b'v'; 98], None).await;
    }
    assert!(
        get(c, &n, "n0").await.is_some(),
        "{}: clear did not free the quota",
        s.name
    );
}

/// Entries, TTLs and the quota's accounting survive a new handle.
pub async fn entries_survive_a_reopen(s: &Subject) {
    assert!(s.persistent, "{} is not persistent", s.name);
    let (n, full) = (ns("reopen", "t"), ns("reopen-full", "t"));
    {
        let c = &*(s.open)(1000);
        set(c, &n, "kept", b"v", None).await;
        set(c, &n, "short", b"v", Some(Duration::from_millis(100))).await;
        for i in 0..10 {
            set(c, &full, &format!("k{i}"), &[b'v'; 98], None).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    let c = &*(s.open)(1000);
    assert_eq!(
        get(c, &n, "kept").await.as_deref(),
        Some(&b"v"[..]),
        "{}",
        s.name
    );
    assert_eq!(get(c, &n, "short").await, None, "{}", s.name);
    assert!(!add(c, &n, "kept", b"w", None).await, "{}", s.name);
    // `full` holds exactly its quota: one more entry must evict the oldest.
    set(c, &full, "new", &[b'v'; 97], None).await;
    assert_eq!(
        get(c, &full, "k0").await,
        None,
        "{}: the reopened quota forgot the bytes",
        s.name
    );
    assert!(get(c, &full, "k1").await.is_some(), "{}", s.name);
    assert!(get(c, &full, "new").await.is_some(), "{}", s.name);
}
