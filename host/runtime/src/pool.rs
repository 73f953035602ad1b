//! Idle instances kept alive for hot tenants, bounded in total and evicted
//! least-recently-used first, so thousands of configured storefronts do not
//! mean thousands of live instances.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::sandbox::Sandbox;

/// (tenant, plugin version `id@version`)
pub type PoolKey = (Arc<str>, Arc<str>);

pub struct InstancePool {
    inner: Mutex<Inner>,
    capacity: usize,
    /// `take` calls that found an idle instance, and those that did not.
    hits: AtomicU64,
    misses: AtomicU64,
}

#[derive(Default)]
struct Inner {
    /// Idle instances per key, newest last, each with its use stamp. Boxed:
    /// a `Sandbox` is ~400 bytes, and moving it in and out of the pool by
    /// value cost a warm quote several `memcpy`s (BENCHMARKS.md).
    idle: HashMap<PoolKey, Vec<(u64, Box<Sandbox>)>>,
    /// Use stamp -> key: the oldest stamp is the least recently used.
    by_age: BTreeMap<u64, PoolKey>,
    next_stamp: u64,
}

/// Counters for metrics and benchmarks.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct PoolStats {
    pub idle: usize,
    pub capacity: usize,
    /// Calls served by an idle instance since start.
    pub hits: u64,
    /// Calls that had to instantiate (no idle instance for that tenant).
    pub misses: u64,
}

impl InstancePool {
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Mutex::default(),
            capacity,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An idle instance for `key` bound with `fingerprint`, if any. Stale
    /// instances (other fingerprints) found on the way are dropped.
    pub fn take(&self, key: &PoolKey, fingerprint: u64) -> Option<Box<Sandbox>> {
        let found = self.take_inner(key, fingerprint);
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    fn take_inner(&self, key: &PoolKey, fingerprint: u64) -> Option<Box<Sandbox>> {
        let mut stale = Vec::new();
        let found = {
            let mut inner = self.lock();
            let Inner { idle, by_age, .. } = &mut *inner;
            let list = idle.get_mut(key)?;
            let mut found = None;
            while let Some((stamp, sandbox)) = list.pop() {
                by_age.remove(&stamp);
                if sandbox.fingerprint == fingerprint {
                    found = Some(sandbox);
                    break;
                }
                stale.push(sandbox);
            }
            // A list emptied by this take stays while its instance is out on
            // the call (`put` then reuses it instead of allocating a new
            // one); a take that finds nothing removes it.
            if found.is_none() && list.is_empty() {
                idle.remove(key);
            }
            found
        };
        drop(stale); // outside the lock: dropping a store frees its instance
        found
    }

    /// Returns an instance to the pool, evicting the least recently used
    /// ones beyond capacity.
    pub fn put(&self, key: PoolKey, sandbox: Box<Sandbox>) {
        if self.capacity == 0 {
            return;
        }
        let mut evicted = Vec::new();
        {
            let mut inner = self.lock();
            let stamp = inner.next_stamp;
            inner.next_stamp += 1;
            inner.by_age.insert(stamp, key.clone());
            inner.idle.entry(key).or_default().push((stamp, sandbox));
            while inner.by_age.len() > self.capacity {
                let Some((old, old_key)) = inner.by_age.pop_first() else {
                    break;
                };
                if let Some(list) = inner.idle.get_mut(&old_key) {
                    if let Some(i) = list.iter().position(|(s, _)| *s == old) {
                        evicted.push(list.remove(i).1);
                    }
                    if list.is_empty() {
                        inner.idle.remove(&old_key);
                    }
                }
            }
        }
        drop(evicted);
    }

    /// Drops every idle instance of a tenant (its settings changed).
    pub fn evict_tenant(&self, tenant: &str) {
        self.evict(|(t, _)| &**t == tenant);
    }

    /// Drops every idle instance of a plugin version (`id@version`): no
    /// tenant runs it any more.
    pub fn evict_plugin(&self, plugin_key: &str) {
        self.evict(|(_, p)| &**p == plugin_key);
    }

    fn evict(&self, matches: impl Fn(&PoolKey) -> bool) {
        let removed: Vec<_> = {
            let mut inner = self.lock();
            let keys: Vec<PoolKey> = inner.idle.keys().filter(|k| matches(k)).cloned().collect();
            let mut removed = Vec::new();
            for key in keys {
                if let Some(list) = inner.idle.remove(&key) {
                    for (stamp, sandbox) in list {
                        inner.by_age.remove(&stamp);
                        removed.push(sandbox);
                    }
                }
            }
            removed
        };
        drop(removed);
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            idle: self.lock().by_age.len(),
            capacity: self.capacity,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}
