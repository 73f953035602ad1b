//! In-memory copies of what every price, stock and order request reads: the
//! storefront row (which plugin handles what) and the runtime's view of a
//! storefront's plugin settings (decrypted once, not per request).
//!
//! Reading them from SQLite and opening the sealed secrets on every request
//! was over half of a warm price request's CPU (see BENCHMARKS.md). Entries
//! carry the generation they were read at; any write to the settings they
//! come from bumps the generation (after its commit), so a stale entry is
//! never served: a reader that raced a write stored its copy under the old
//! generation, and the next reader reads again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::service::domain::storefronts::Storefront;
use connect_runtime::tenant::TenantSpec;

#[derive(Default)]
pub struct Memo {
    generation: AtomicU64,
    storefronts: Table<String, Storefront>,
    tenants: Table<(String, String), TenantSpec>,
}

impl Memo {
    /// The generation to tag a copy with; read it before reading the
    /// database.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Called after every committed write to storefronts or plugin
    /// settings: every copy taken before is stale.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn storefront(&self, id: &str) -> Option<Arc<Storefront>> {
        self.storefronts.get(id, self.generation())
    }

    pub fn keep_storefront(&self, generation: u64, sf: Arc<Storefront>) {
        self.storefronts.put(sf.id.clone(), generation, sf);
    }

    pub fn tenant(&self, storefront: &str, plugin: &str) -> Option<Arc<TenantSpec>> {
        // One allocation for the lookup key is cheaper than the SQL it spares.
        let key = (storefront.to_owned(), plugin.to_owned());
        self.tenants.get(&key, self.generation())
    }

    pub fn keep_tenant(&self, generation: u64, plugin: &str, spec: Arc<TenantSpec>) {
        let key = (spec.id().to_string(), plugin.to_owned());
        self.tenants.put(key, generation, spec);
    }
}

/// A map of copies tagged with their generation. Bounded by the number of
/// storefronts (and their configured plugins): a stale entry is overwritten
/// by the next read of the same key.
struct Table<K, V> {
    entries: Mutex<HashMap<K, (u64, Arc<V>)>>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Self {
            entries: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash, V> Table<K, V> {
    fn get<Q>(&self, key: &Q, generation: u64) -> Option<Arc<V>>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, generation: u64, value: Arc<V>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Never replace a newer copy with an older one.
        if entries.get(&key).is_none_or(|(g, _)| *g <= generation) {
            entries.insert(key, (generation, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_makes_every_earlier_copy_stale() {
        let table: Table<String, u32> = Table::default();
        table.put("a".into(), 1, Arc::new(10));
        assert_eq!(table.get("a", 1).as_deref(), Some(&10));
        assert_eq!(table.get("a", 2), None, "a bumped generation misses");
        // A reader that raced a write cannot put back an older copy.
        table.put("a".into(), 3, Arc::new(30));
        table.put("a".into(), 2, Arc::new(20));
        assert_eq!(table.get("a", 3).as_deref(), Some(&30));
    }

    #[test]
    fn invalidate_bumps_the_generation() {
        let memo = Memo::default();
        let g = memo.generation();
        memo.invalidate();
        assert_eq!(memo.generation(), g + 1);
    }
}
