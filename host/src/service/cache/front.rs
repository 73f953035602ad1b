//! The SQLite cache's in-memory front: recently read small entries answered
//! from memory, so a warm quote does not step through SQLite (BENCHMARKS.md,
//! round 2: a SQLite hit is ~1.5 µs, a memory hit ~0.2 µs).
//!
//! Why it stays exact:
//! - The file is the truth; the front only holds what was read from it.
//!   Every write (set, add, delete, clear, and each entry a write evicts
//!   from the file for the quota) drops the front's copy after it commits.
//! - A read that missed fills the front only if no write reached its shard
//!   between the reader's look and its fill (a ticket: the shard's write
//!   count), so a fill never puts back a value a concurrent write replaced.
//! - Each copy carries its entry's expiry; an expired copy is never served.
//! - A hit still refreshes the file's `used_at` once per `TOUCH_EVERY`
//!   (the caller does it when told, and reports it done; a touch that could
//!   not run is tried on the next hit), so the file's least-recently-used
//!   order, which decides its evictions, still sees the reads.
//!
//! The front is bounded as a whole ([`FRONT_BYTES`]), least recently used
//! out first, over all namespaces: a busy tenant may push others' copies
//! out of memory, never out of the file.

use std::hash::BuildHasher;
use std::sync::Mutex;

use hashlink::LinkedHashMap;

use connect_runtime::capabilities::cache::Namespace;

/// Memory the front may hold, over all namespaces.
pub const FRONT_BYTES: usize = 32 << 20;
/// Larger values (catalogue pages) are read from the file each time.
pub const MAX_FRONT_VALUE: usize = 16 << 10;
/// Bookkeeping counted per copy on top of its key and value.
const OVERHEAD: usize = 64;
const SHARDS: usize = 16;

pub struct Front {
    shards: Box<[Mutex<Shard>]>,
    hasher: std::collections::hash_map::RandomState,
    budget_per_shard: usize,
}

#[derive(Default)]
struct Shard {
    /// `namespace \0 key` -> copy, least recently used first.
    map: LinkedHashMap<Box<str>, Copy>,
    bytes: usize,
    /// Writes that reached this shard: a fill's ticket.
    writes: u64,
}

struct Copy {
    value: Box<[u8]>,
    expires_ms: Option<i64>,
    /// When the file's `used_at` was last known to be set.
    used_ms: i64,
}

/// What a reader holds between its miss and its fill.
pub struct Ticket {
    shard: usize,
    writes: u64,
}

/// A front hit.
pub struct Hit {
    pub value: Vec<u8>,
    /// The file's `used_at` is due a refresh: do it, then [`Front::used`].
    pub touch: bool,
}

impl Default for Front {
    fn default() -> Self {
        Self::new(FRONT_BYTES)
    }
}

impl Front {
    pub fn new(bytes: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            hasher: Default::default(),
            budget_per_shard: bytes / SHARDS,
        }
    }

    fn slot(&self, ns: &Namespace, key: &str) -> (usize, Box<str>) {
        let mut k = String::with_capacity(ns.as_str().len() + 1 + key.len());
        k.push_str(ns.as_str());
        k.push('\0');
        k.push_str(key);
        let shard = (self.hasher.hash_one(&k) as usize) % SHARDS;
        (shard, k.into_boxed_str())
    }

    fn shard(&self, n: usize) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[n].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The live copy of `key`, or the ticket to fill it with after reading
    /// the file.
    pub fn get(
        &self,
        ns: &Namespace,
        key: &str,
        now_ms: i64,
        touch_ms: i64,
    ) -> Result<Hit, Ticket> {
        let (n, k) = self.slot(ns, key);
        let mut shard = self.shard(n);
        let writes = shard.writes;
        let Some(copy) = shard.map.to_back(&k) else {
            return Err(Ticket { shard: n, writes });
        };
        if copy.expires_ms.is_some_and(|at| at <= now_ms) {
            shard.remove(&k);
            return Err(Ticket { shard: n, writes });
        }
        let touch = now_ms - copy.used_ms >= touch_ms;
        Ok(Hit {
            value: copy.value.to_vec(),
            touch,
        })
    }

    /// Keeps what the file answered, unless a write reached the shard since
    /// the ticket was taken, or the value is too large to keep.
    pub fn fill(
        &self,
        t: Ticket,
        ns: &Namespace,
        key: &str,
        value: &[u8],
        expires_ms: Option<i64>,
        used_ms: i64,
    ) {
        if value.len() > MAX_FRONT_VALUE {
            return;
        }
        let (n, k) = self.slot(ns, key);
        debug_assert_eq!(n, t.shard);
        let mut shard = self.shard(n);
        if shard.writes != t.writes {
            return;
        }
        let size = k.len() + value.len() + OVERHEAD;
        shard.remove(&k);
        while shard.bytes + size > self.budget_per_shard {
            let Some((old_key, old)) = shard.map.pop_front() else {
                return;
            };
            shard.bytes -= old_key.len() + old.value.len() + OVERHEAD;
        }
        shard.bytes += size;
        let copy = Copy {
            value: value.into(),
            expires_ms,
            used_ms,
        };
        shard.map.insert(k, copy);
    }

    /// The file's `used_at` of `key` was refreshed at `now_ms` (a touch that
    /// failed is not recorded, so the next hit tries again).
    pub fn used(&self, ns: &Namespace, key: &str, now_ms: i64) {
        let (n, k) = self.slot(ns, key);
        if let Some(copy) = self.shard(n).map.get_mut(&k) {
            copy.used_ms = copy.used_ms.max(now_ms);
        }
    }

    /// After a committed write of `key` (or its eviction from the file).
    pub fn forget(&self, ns: &Namespace, key: &str) {
        let (n, k) = self.slot(ns, key);
        let mut shard = self.shard(n);
        shard.writes += 1;
        shard.remove(&k);
    }

    /// After a namespace was emptied in the file.
    pub fn forget_namespace(&self, ns: &Namespace) {
        let prefix = format!("{}\0", ns.as_str());
        for n in 0..SHARDS {
            let mut shard = self.shard(n);
            shard.writes += 1;
            let mut freed = 0;
            shard.map.retain(|k, c| {
                let keep = !k.starts_with(&prefix);
                if !keep {
                    freed += k.len() + c.value.len() + OVERHEAD;
                }
                keep
            });
            shard.bytes -= freed;
        }
    }
}

impl Shard {
    fn remove(&mut self, k: &str) {
        if let Some(old) = self.map.remove(k) {
            self.bytes -= k.len() + old.value.len() + OVERHEAD;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_raced_by_a_write_is_dropped_and_copies_expire() {
        let front = Front::new(1 << 20);
        let ns = Namespace::new("t", "p");
        let Err(ticket) = front.get(&ns, "k", 0, 1000) else {
            panic!("empty")
        };
        front.forget(&ns, "k"); // a write committed meanwhile
        front.fill(ticket, &ns, "k", b"old", None, 0);
        let Err(ticket) = front.get(&ns, "k", 0, 1000) else {
            panic!("the raced fill was kept")
        };
        front.fill(ticket, &ns, "k", b"new", Some(500), 0);
        let hit = front.get(&ns, "k", 100, 1000).ok().expect("a hit");
        assert_eq!((hit.value.as_slice(), hit.touch), (&b"new"[..], false));
        assert!(front.get(&ns, "k", 1500, 1000).is_err(), "expired");
    }

    #[test]
    fn the_budget_holds_and_namespaces_are_forgotten_whole() {
        let front = Front::new(SHARDS * 1000);
        let (a, b) = (Namespace::new("a", "p"), Namespace::new("b", "p"));
        for i in 0..200 {
            for ns in [&a, &b] {
                if let Err(t) = front.get(ns, &format!("k{i}"), 0, 1000) {
                    front.fill(t, ns, &format!("k{i}"), &[0; 100], None, 0);
                }
            }
        }
        for n in 0..SHARDS {
            let shard = front.shard(n);
            assert!(shard.bytes <= 1000, "{}", shard.bytes);
            let counted: usize = shard
                .map
                .iter()
                .map(|(k, c)| k.len() + c.value.len() + OVERHEAD)
                .sum();
            assert_eq!(shard.bytes, counted);
        }
        front.forget_namespace(&a);
        assert!((0..200).all(|i| front.get(&a, &format!("k{i}"), 0, 1000).is_err()));
        assert!((0..200).any(|i| front.get(&b, &format!("k{i}"), 0, 1000).is_ok()));
        // A hit asks for the file's touch once per interval.
        let ns = Namespace::new("c", "p");
        let Err(t) = front.get(&ns, "x", 0, 1000) else {
            panic!()
        };
        front.fill(t, &ns, "x", b"v", None, 0);
        assert!(front.get(&ns, "x", 999, 1000).is_ok_and(|h| !h.touch));
        assert!(front.get(&ns, "x", 1000, 1000).is_ok_and(|h| h.touch));
        // Until the touch is reported done, the next hit asks again.
        assert!(front.get(&ns, "x", 1001, 1000).is_ok_and(|h| h.touch));
        front.used(&ns, "x", 1001);
        assert!(front.get(&ns, "x", 1500, 1000).is_ok_and(|h| !h.touch));
    }
}
