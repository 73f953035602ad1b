//! Redis backend: one cache shared by several host nodes (`[cache] url =
//! "redis://..."`).
//!
//! The client is the `redis` crate's `ConnectionManager`: one multiplexed
//! connection that pipelines every node's concurrent calls and reconnects
//! by itself. A pool would add a dependency and buy nothing here: Redis runs
//! commands one at a time, and our commands are small, single round trips.
//!
//! Every operation is one Lua script (`EVALSHA`, reloaded when Redis lost
//! it), so an operation and its bookkeeping are atomic for every node. Per
//! namespace `P = connect:cache:{tenant/plugin}:` (ids have no `{`, `}` or
//! `/`, so prefixes never overlap):
//! - `P v:<key>`: the value, with `PX` when it has a TTL (`add` is
//!   `SET NX PX` inside the script);
//! - `P lru`: sorted set, key -> last use (Redis `TIME`, in ms);
//! - `P exp`: sorted set, key -> expiry (ms), for entries with a TTL;
//! - `P size`: hash, key -> bytes (key plus value); `P bytes`: their sum.
//!
//! A write over the quota evicts expired entries first, then the least
//! recently used. The hash tag `{tenant/plugin}` puts a namespace's keys in
//! one Redis Cluster slot, as its scripts require.
//!
//! Limits: a value Redis expires (or evicts itself under `maxmemory`) keeps
//! its bookkeeping until the next over-quota write or a read of its key, so
//! `bytes` may overcount until then and evict early, never late; `clear`
//! deletes a namespace's keys in one script (blocking Redis for as long,
//! bounded by the quota); the scripts read the clock with `TIME` (Redis 5
//! or later); no TLS (`rediss://` is refused at start-up).
//!
//! When Redis fails, calls fail soft (see `TenantCache`), after at most
//! [`OP_TIMEOUT`]; for [`RETRY_AFTER`] after a connection failure they fail
//! at once instead of each waiting for a dead server.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::bail;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};

use crate::service::infra::secrets::redact_url;
use connect_runtime::capabilities::cache::{
    CacheBackend, CacheError, CacheFuture, Namespace, epoch,
};

/// Longest a cache call waits for Redis.
pub const OP_TIMEOUT: Duration = Duration::from_millis(500);
/// After a connection failure, calls fail at once for this long.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

const REMEDY: &str = "check that Redis is running, reachable from this node, and accepts \
                      the credentials in [cache] url (CONNECT_CACHE_URL)";

pub struct RedisCache {
    conn: ConnectionManager,
    /// The URL without its password, for messages.
    shown_url: String,
    max_bytes_per_namespace: u64,
    /// Milliseconds since `epoch()` before which calls fail at once.
    down_until_ms: AtomicU64,
}

impl RedisCache {
    /// A client for `url` (`redis://[[user]:password@]host[:port][/db]`).
    /// Connects on first use, so a Redis that is down at start-up only
    /// makes cache calls miss. Must be called inside a tokio runtime.
    pub fn open(url: &str, max_bytes_per_namespace: usize) -> anyhow::Result<Self> {
        let shown_url = redact_url(url);
        if url.starts_with("rediss:") {
            bail!(
                "[cache] url {shown_url}: TLS to Redis is not built into connect-host; \
                 reach Redis over a private network or a TLS tunnel with redis://"
            );
        }
        if tokio::runtime::Handle::try_current().is_err() {
            bail!("the Redis cache must be opened inside the tokio runtime");
        }
        // The crate's own parse error may quote the URL: not shown.
        let Ok(client) = redis::Client::open(url) else {
            bail!(
                "[cache] url {shown_url} is not a Redis URL; \
                 expected redis://[[user]:password@]host[:port][/db]"
            );
        };
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(OP_TIMEOUT))
            .set_response_timeout(Some(OP_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(RETRY_AFTER);
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(|e| {
            anyhow::anyhow!("setting up the Redis cache client for {shown_url}: {e}")
        })?;
        Ok(Self {
            conn,
            shown_url,
            max_bytes_per_namespace: max_bytes_per_namespace as u64,
            down_until_ms: AtomicU64::new(0),
        })
    }

    /// Round trip to Redis (start-up check).
    pub async fn ping(&self) -> Result<(), CacheError> {
        let cmd = redis::cmd("PING");
        self.run("ping", async |mut conn| {
            cmd.query_async::<String>(&mut conn).await.map(drop)
        })
        .await
    }

    /// Runs one operation within [`OP_TIMEOUT`], failing at once while
    /// Redis is known to be down.
    async fn run<T>(
        &self,
        op: &'static str,
        f: impl AsyncFnOnce(ConnectionManager) -> Result<T, RedisError>,
    ) -> Result<T, CacheError> {
        let now = epoch().elapsed().as_millis() as u64;
        if now < self.down_until_ms.load(Ordering::Relaxed) {
            return Err(self.error(op, "it failed less than a second ago".into()));
        }
        let (detail, connection_lost) =
            match tokio::time::timeout(OP_TIMEOUT, f(self.conn.clone())).await {
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(e)) => {
                    let lost = e.is_io_error()
                        || e.is_timeout()
                        || e.is_connection_refusal()
                        || e.is_connection_dropped();
                    (e.to_string(), lost)
                }
                Err(_) => (
                    format!("no answer within {} ms", OP_TIMEOUT.as_millis()),
                    true,
                ),
            };
        if connection_lost {
            let until = epoch().elapsed() + RETRY_AFTER;
            self.down_until_ms
                .store(until.as_millis() as u64, Ordering::Relaxed);
        }
        Err(self.error(op, detail))
    }

    fn error(&self, op: &str, detail: String) -> CacheError {
        CacheError::Unavailable {
            backend: "redis",
            detail: format!("{op} at {}: {detail}", self.shown_url),
            remedy: REMEDY,
        }
    }

    /// Runs `script` for `key` of `ns` with `args` after the prefix and key.
    async fn script<T: redis::FromRedisValue>(
        &self,
        op: &'static str,
        script: &Script,
        ns: &Namespace,
        key: &str,
        args: &[&[u8]],
    ) -> Result<T, CacheError> {
        let prefix = prefix(ns);
        let mut call = script.prepare_invoke();
        call.key(format!("{prefix}v:{key}"));
        for meta in META {
            call.key(format!("{prefix}{meta}"));
        }
        call.arg(&prefix).arg(key);
        for arg in args {
            call.arg(*arg);
        }
        self.run(op, async |mut conn| call.invoke_async(&mut conn).await)
            .await
    }

    fn store<'a>(
        &'a self,
        op: &'static str,
        script: &'static Script,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, bool> {
        // Whole milliseconds, at least one: Redis refuses `PX 0`.
        let ttl_ms = ttl.map_or(0, |t| t.as_millis().max(1) as u64).to_string();
        let budget = self.max_bytes_per_namespace.to_string();
        CacheFuture::waiting(async move {
            let args: [&[u8]; 3] = [value, ttl_ms.as_bytes(), budget.as_bytes()];
            let stored: i64 = self.script(op, script, ns, key, &args).await?;
            Ok(stored == 1)
        })
    }
}

/// The keys of a namespace's bookkeeping, after its prefix.
const META: [&str; 4] = ["lru", "exp", "size", "bytes"];

fn prefix(ns: &Namespace) -> String {
    format!("connect:cache:{{{}}}:", ns.display())
}

/// Helpers every script starts with. `ARGV[1]` is the namespace prefix.
const PRELUDE: &str = r#"
local p = ARGV[1]
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function used()
  return tonumber(redis.call('GET', p .. 'bytes') or '0')
end
local function forget(k)
  local size = redis.call('HGET', p .. 'size', k)
  if size then
    redis.call('HDEL', p .. 'size', k)
    redis.call('DECRBY', p .. 'bytes', size)
  end
  redis.call('ZREM', p .. 'lru', k)
  redis.call('ZREM', p .. 'exp', k)
  redis.call('DEL', p .. 'v:' .. k)
end
local function make_room(need, budget, now)
  if used() + need <= budget then return end
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', p .. 'exp', '-inf', now)) do forget(k) end
  while used() + need > budget do
    local oldest = redis.call('ZRANGE', p .. 'lru', 0, 0)
    if #oldest == 0 then break end
    forget(oldest[1])
  end
end
-- ARGV: prefix, key, value, ttl ms (0: none), budget. Returns 1 when stored.
local function store(only_if_absent)
  local k, v, ttl, budget = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
  if only_if_absent and redis.call('EXISTS', p .. 'v:' .. k) == 1 then return 0 end
  forget(k)
  local size = #k + #v
  if size > budget then return 0 end
  local now = now_ms()
  make_room(size, budget, now)
  if ttl > 0 then
    redis.call('SET', p .. 'v:' .. k, v, 'NX', 'PX', ttl)
    redis.call('ZADD', p .. 'exp', now + ttl, k)
  else
    redis.call('SET', p .. 'v:' .. k, v, 'NX')
  end
  redis.call('HSET', p .. 'size', k, size)
  redis.call('INCRBY', p .. 'bytes', size)
  redis.call('ZADD', p .. 'lru', now, k)
  return 1
end
"#;

fn script(body: &str) -> Script {
    Script::new(&format!("{PRELUDE}{body}"))
}

static GET: LazyLock<Script> = LazyLock::new(|| {
    script(
        "local k = ARGV[2]
         local v = redis.call('GET', p .. 'v:' .. k)
         if v then
           redis.call('ZADD', p .. 'lru', 'XX', now_ms(), k)
         elseif redis.call('HEXISTS', p .. 'size', k) == 1 then
           forget(k)
         end
         return v",
    )
});
static SET: LazyLock<Script> = LazyLock::new(|| script("return store(false)"));
static ADD: LazyLock<Script> = LazyLock::new(|| script("return store(true)"));
static DELETE: LazyLock<Script> = LazyLock::new(|| script("forget(ARGV[2]) return 1"));
static CLEAR: LazyLock<Script> = LazyLock::new(|| {
    script(
        "local keys = redis.call('ZRANGE', p .. 'lru', 0, -1)
         for i = 1, #keys, 500 do
           local batch = {}
           for j = i, math.min(i + 499, #keys) do batch[#batch + 1] = p .. 'v:' .. keys[j] end
           redis.call('DEL', unpack(batch))
         end
         redis.call('DEL', p .. 'lru', p .. 'exp', p .. 'size', p .. 'bytes')
         return 1",
    )
});

impl CacheBackend for RedisCache {
    fn get<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, Option<Vec<u8>>> {
        CacheFuture::waiting(self.script("get", &GET, ns, key, &[]))
    }

    fn set<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, ()> {
        let stored = self.store("set", &SET, ns, key, value, ttl);
        CacheFuture::waiting(async move { stored.await.map(drop) })
    }

    fn add<'a>(
        &'a self,
        ns: &'a Namespace,
        key: &'a str,
        value: &'a [u8],
        ttl: Option<Duration>,
    ) -> CacheFuture<'a, bool> {
        self.store("add", &ADD, ns, key, value, ttl)
    }

    fn delete<'a>(&'a self, ns: &'a Namespace, key: &'a str) -> CacheFuture<'a, ()> {
        CacheFuture::waiting(async move {
            let _: i64 = self.script("delete", &DELETE, ns, key, &[]).await?;
            Ok(())
        })
    }

    fn clear<'a>(&'a self, ns: &'a Namespace) -> CacheFuture<'a, ()> {
        CacheFuture::waiting(async move {
            let prefix = prefix(ns);
            let mut call = CLEAR.prepare_invoke();
            for meta in META {
                call.key(format!("{prefix}{meta}"));
            }
            call.arg(&prefix);
            let _: i64 = self
                .run("clear", async |mut conn| call.invoke_async(&mut conn).await)
                .await?;
            Ok(())
        })
    }
}
