//! In-memory backend: one LRU-ordered map per namespace, each behind its
//! own lock so tenants do not contend, within a byte quota per namespace.
//!
//! The map keeps entries in order of use (`hashlink`'s linked map: a hit
//! moves its entry to the back in O(1)), so eviction pops from the front.
//! Expired entries are swept first, but only once the earliest expiry has
//! passed, so a full namespace does not scan all of its entries on every
//! write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use hashlink::LinkedHashMap;

use super::{CacheBackend, CacheFuture, Namespace};

pub struct MemoryCache {
    namespaces: RwLock<HashMap<Namespace, Arc<Mutex<Entries>>>>,
    max_bytes_per_namespace: usize,
}

#[derive(Default)]
struct Entries {
    /// Least recently used first.
    map: LinkedHashMap<Box<str>, MemEntry>,
    bytes: usize,
    /// No entry expires before this (a sweep before it finds nothing).
    next_expiry: Option<Instant>,
}

struct MemEntry {
    value: Box<[u8]>,
    expires: Option<Instant>,
}

impl MemEntry {
    fn live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| at > now)
    }
}

impl MemoryCache {
    pub fn new(max_bytes_per_namespace: usize) -> Self {
        Self {
            namespaces: RwLock::default(),
            max_bytes_per_namespace,
        }
    }

    fn entries(&self, ns: &Namespace) -> Option<Arc<Mutex<Entries>>> {
        self.namespaces
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(ns)
            .cloned()
    }

    fn entries_or_insert(&self, ns: &Namespace) -> Arc<Mutex<Entries>> {
        if let Some(entries) = self.entries(ns) {
            return entries;
        }
        let mut all = self.namespaces.write().unwrap_or_else(|e| e.into_inner());
        all.entry(ns.clone()).or_default().clone()
    }

    fn get_now(&self, ns: &Namespace, key: &str) -> Option<Vec<u8>> {
        let entries = self.entries(ns)?;
        let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.map.to_back(key)?;
        if entry.live(Instant::now()) {
            return Some(entry.value.to_vec());
        }
        entries.remove(key);
        None
    }

    fn store(
        &self,
        ns: &Namespace,
        key: &str,
        value: &[u8],
        ttl: Option<Duration>,
        only_if_absent: bool,
    ) -> bool {
        let size = key.len() + value.len();
        let entries = self.entries_or_insert(ns);
        let mut entries = entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if only_if_absent && entries.map.get(key).is_some_and(|e| e.live(now)) {
            return false;
        }
        entries.remove(key);
        if size > self.max_bytes_per_namespace {
            return false;
        }
        entries.make_room(size, self.max_bytes_per_namespace, now);
        let expires = ttl.map(|ttl| now + ttl);
        if let Some(at) = expires {
            entries.next_expiry = Some(entries.next_expiry.map_or(at, |next| next.min(at)));
        }
        entries.bytes += size;
        entries.map.insert(
            key.into(),
            MemEntry {
                value: value.into(),
                expires,
            },
        );
        true
    }

    fn delete_now(&self, ns: &Namespace, key: &str) {
        if let Some(entries) = self.entries(ns) {
            entries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(key);
        }
    }
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some(old) = self.map.remove(key) {
            self.bytes -= key.len() + old.value.len();
        }
    }

    /// Frees room for `need` bytes within `budget`: expired entries first,
    /// then the least recently used.
    fn make_room(&mut self, need: usize, budget: usize, now: Instant) {
        if self.bytes + need <= budget {
            return;
        }
        if self.next_expiry.is_some_and(|at| at <= now) {
            let mut next = None::<Instant>;
            let mut freed = 0;
            self.map.retain(|k, e| {
                let keep = e.live(now);
                if !keep {
                    freed += k.len() + e.value.len();
                } else if let Some(at) = e.expires {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
                keep
            });
            self.bytes -= freed;
            self.next_expiry = next;
        }
        while self.bytes + need > budget {
            let Some((key, old)) = self.map.pop_front() else {
                break;
            };
            self.bytes -= key.len() + old.value.len();
        }
    }
}

impl CacheBackend for MemoryCache {
    fn get<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, Option<Vec<u8>>> {
        let found = self.get_now(ns, key);
        CacheFuture::ready(Ok(found))
    }

    fn set<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, ()> {
        self.store(ns, key, value, ttl, false);
        CacheFuture::ready(Ok(()))
    }

    fn add<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, bool> {
        let stored = self.store(ns, key, value, ttl, true);
        CacheFuture::ready(Ok(stored))
    }

    fn delete<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, ()> {
        self.delete_now(ns, key);
        CacheFuture::ready(Ok(()))
    }

    fn clear<'a>(&'a self, ns: &'a Namespace) -> CacheFuture<'a, ()> {
        self.namespaces
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(ns);
        CacheFuture::ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_count_matches_the_entries_through_eviction_and_expiry() {
        let cache = MemoryCache::new(1000);
        let ns = Namespace::new("t", "p");
        for i in 0..100 {
            let ttl = (i % 3 == 0).then(|| Duration::from_millis(1));
            cache.store(&ns, &format!("key{i:03}"), &[0u8; 94], ttl, false);
        }
        std::thread::sleep(Duration::from_millis(5));
        cache.store(&ns, "last", &[0u8; 96], None, false);
        let entries = cache.entries(&ns).unwrap();
        let entries = entries.lock().unwrap();
        assert!(entries.bytes <= 1000, "{} bytes", entries.bytes);
        let counted: usize = entries
            .map
            .iter()
            .map(|(k, e)| k.len() + e.value.len())
            .sum();
        assert_eq!(entries.bytes, counted);
        assert!(entries.map.contains_key("last"));
    }
}
