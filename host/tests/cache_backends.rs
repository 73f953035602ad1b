//! One conformance suite (`connect_runtime::capabilities::cache::conformance`)
//! against every cache backend: memory, SQLite, and Redis, a real
//! `redis-server` started per test on a free loopback port (the test fails,
//! saying what to install, when `redis-server` is missing). Then what only
//! Redis can do wrong: an outage, and its password.

use std::any::Any;
use std::sync::Arc;
use std::time::{Duration, Instant};

use connect_host::service::cache::{RedisCache, SqliteCache};
use connect_runtime::capabilities::cache::conformance::{self, Subject};
use connect_runtime::capabilities::cache::{CacheBackend, MemoryCache, Namespace, TenantCache};
use test_servers::RedisServer;

type Guard = Box<dyn Any + Send>;

fn memory() -> (Subject, Guard) {
    let subject = Subject {
        name: "memory",
        open: Box::new(|quota| Arc::new(MemoryCache::new(quota))),
        persistent: false,
    };
    (subject, Box::new(()))
}

fn sqlite() -> (Subject, Guard) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let subject = Subject {
        name: "sqlite",
        open: Box::new(move |quota| Arc::new(SqliteCache::open(&path, quota).unwrap())),
        persistent: true,
    };
    (subject, Box::new(dir))
}

fn redis() -> (Subject, Guard) {
    let server = RedisServer::start();
    let url = server.url();
    let subject = Subject {
        name: "redis",
        open: Box::new(move |quota| Arc::new(RedisCache::open(&url, quota).unwrap())),
        persistent: true,
    };
    (subject, Box::new(server))
}

macro_rules! suite {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let (subject, _guard) = super::$backend();
                    conformance::$case(&subject).await;
                }
            )*
        }
    };
}

suite!(memory:
    namespaces_are_isolated, ttls_expire, add_is_atomic,
    the_quota_evicts_the_least_recently_used, the_quota_evicts_expired_entries_first,
    an_entry_over_the_quota_is_not_stored, clear_empties_a_namespace,
    a_read_entry_follows_every_write,
);
suite!(sqlite:
    namespaces_are_isolated, ttls_expire, add_is_atomic,
    the_quota_evicts_the_least_recently_used, the_quota_evicts_expired_entries_first,
    an_entry_over_the_quota_is_not_stored, clear_empties_a_namespace,
    a_read_entry_follows_every_write,
    entries_survive_a_reopen,
);
suite!(redis:
    namespaces_are_isolated, ttls_expire, add_is_atomic,
    the_quota_evicts_the_least_recently_used, the_quota_evicts_expired_entries_first,
    an_entry_over_the_quota_is_not_stored, clear_empties_a_namespace,
    a_read_entry_follows_every_write,
    entries_survive_a_reopen,
);

/// Redis down: every call answers within the timeout as if the cache were
/// empty (`add` granted), and the cache works again once Redis is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_fails_soft_and_the_cache_recovers() {
    let mut server = RedisServer::start();
    let backend = Arc::new(RedisCache::open(&server.url(), 1 << 20).unwrap());
    let cache = TenantCache {
        backend: backend.clone(),
        ns: Namespace::new("outage", "p"),
    };
    cache.set("k", b"v", 0).await;
    assert_eq!(cache.get("k").await.as_deref(), Some(&b"v"[..]));

    server.kill();
    let mut slowest = Duration::ZERO;
    for _ in 0..3 {
        let started = Instant::now();
        assert_eq!(cache.get("k").await, None);
        cache.set("k2", b"v", 0).await;
        assert!(cache.add("lease", b"1", 10).await, "a lease fails open");
        cache.delete("k").await;
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "calls to a dead Redis took {:?}",
            started.elapsed()
        );
        slowest = slowest.max(started.elapsed());
    }
    println!("Redis down: 4 cache calls answered within {slowest:?} at worst");
    let error = backend
        .get(&cache.ns, "k")
        .await
        .expect_err("Redis is down");
    let message = error.to_string();
    assert!(
        message.contains("redis") && message.contains("check that Redis is running"),
        "{message}"
    );

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    let restarted = Instant::now();
    loop {
        cache.set("back", b"1", 0).await;
        if cache.get("back").await.is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the cache did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "Redis back: the cache worked again after {:?}",
        restarted.elapsed()
    );
    assert!(cache.add("lease", b"1", 10).await);
    assert!(!cache.add("lease", b"1", 10).await, "leases work again");
}

/// The URL's password authenticates, and is in no error (nor log line,
/// which prints the same error).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_password_works_and_never_shows() {
    const PASSWORD: &str = "Redis-pw-e2e-Qx81";
    const WRONG: &str = "Wrong-pw-e2e-Zk44";
    let server = RedisServer::start_with(&["--requirepass", PASSWORD]);
    let ns = Namespace::new("auth", "p");
    let url = |pw: &str| format!("redis://:{pw}@127.0.0.1:{}/0", server.port());

    let good = RedisCache::open(&url(PASSWORD), 1 << 20).unwrap();
    good.set(&ns, "k", b"v", None).await.unwrap();
    assert_eq!(
        good.get(&ns, "k").await.unwrap().as_deref(),
        Some(&b"v"[..])
    );

    for (pw, wanted) in [(WRONG, "***"), ("", "127.0.0.1")] {
        let bad = RedisCache::open(&url(pw), 1 << 20).unwrap();
        let message = bad.get(&ns, "k").await.expect_err("refused").to_string();
        assert!(
            !message.contains(WRONG) && !message.contains(PASSWORD),
            "{message}"
        );
        assert!(message.contains(wanted), "{message}");
    }
    let Err(e) = RedisCache::open(&format!("rediss://:{PASSWORD}@127.0.0.1:1/0"), 1) else {
        panic!("rediss is refused");
    };
    assert!(!e.to_string().contains(PASSWORD), "{e}");
}
