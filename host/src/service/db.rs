//! The service's SQLite database: one file, opened in WAL mode with full
//! sync (an accepted order must survive a power cut), schema migrations by
//! `PRAGMA user_version`.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use anyhow::Context as _;
use rusqlite::Connection;

/// Schema migrations, in order. Never edit a released one: append.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE storefronts (
        id              TEXT PRIMARY KEY,
        name            TEXT NOT NULL,
        price_plugin    TEXT,
        stock_plugin    TEXT,
        order_plugin    TEXT,
        refresh_minutes INTEGER NOT NULL DEFAULT 1440,
        created_at      INTEGER NOT NULL
    );
    -- One row per plugin a storefront enabled or configured.
    CREATE TABLE plugin_settings (
        storefront     TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin         TEXT NOT NULL,
        enabled        INTEGER NOT NULL DEFAULT 0,
        settings       TEXT NOT NULL DEFAULT '{}', -- non-secret values (JSON object)
        secrets        TEXT,                       -- secret values, encrypted
        configured_at  INTEGER,
        check_ok       INTEGER,
        check_summary  TEXT,
        check_at       INTEGER,
        refresh_at     INTEGER,
        refresh_ok     INTEGER,
        refresh_summary TEXT,
        PRIMARY KEY (storefront, plugin)
    );
    CREATE TABLE departments (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        id            TEXT NOT NULL,
        name          TEXT NOT NULL,
        customer_code TEXT,
        PRIMARY KEY (storefront, id)
    );
    CREATE TABLE customers (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        id         TEXT NOT NULL,
        email      TEXT,
        name       TEXT,
        department TEXT,
        PRIMARY KEY (storefront, id)
    );
    -- Backend customers a plugin found or created for a storefront user.
    CREATE TABLE customer_links (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin        TEXT NOT NULL,
        email         TEXT NOT NULL COLLATE NOCASE,
        customer_code TEXT NOT NULL,
        created       INTEGER NOT NULL,
        linked_at     INTEGER NOT NULL,
        PRIMARY KEY (storefront, plugin, email)
    );
    CREATE TABLE mappings (
        storefront    TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        product       TEXT NOT NULL,
        product_ref   TEXT NOT NULL,
        overrides     TEXT NOT NULL DEFAULT '{}',
        advanced_json TEXT,
        min_order_qty INTEGER,
        PRIMARY KEY (storefront, product)
    );
    -- The order outbox and the orders' state.
    CREATE TABLE orders (
        storefront       TEXT NOT NULL REFERENCES storefronts(id),
        id               TEXT NOT NULL,
        plugin           TEXT NOT NULL,
        state            TEXT NOT NULL, -- pending | delivering | delivered | failed
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  INTEGER NOT NULL,
        last_error       TEXT,
        last_error_kind  TEXT,
        payload          TEXT NOT NULL, -- the order as the plugin receives it (JSON)
        payload_hash     TEXT NOT NULL,
        check_stock      TEXT,          -- JSON [[product_ref, minimum], ...] or NULL
        backend_order_id TEXT,
        backend_order_no TEXT,
        customer_code    TEXT,
        job_no           TEXT,
        job_status       TEXT,
        tracking_number  TEXT,
        status_at        TEXT,
        created_at       INTEGER NOT NULL,
        updated_at       INTEGER NOT NULL,
        PRIMARY KEY (storefront, id)
    );
    CREATE INDEX orders_due ON orders (state, next_attempt_at);
    CREATE INDEX orders_backend ON orders (storefront, backend_order_id);
    CREATE TABLE order_events (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        storefront TEXT NOT NULL,
        order_id   TEXT NOT NULL,
        at         INTEGER NOT NULL,
        kind       TEXT NOT NULL,
        detail     TEXT NOT NULL
    );
    CREATE INDEX order_events_order ON order_events (storefront, order_id, seq);
    "#,
    // 2: storefront API keys. Only the SHA-256 of a key is stored: keys are
    // long random tokens, so a plain hash is enough and a lookup is cheap.
    r#"
    CREATE TABLE api_keys (
        id         TEXT PRIMARY KEY,
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        label      TEXT NOT NULL,
        prefix     TEXT NOT NULL, -- the key's first characters, to recognise it
        hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the whole key
        created_at INTEGER NOT NULL
    );
    CREATE INDEX api_keys_storefront ON api_keys (storefront);
    "#,
    // 3: when the status poller last asked about a delivered order.
    r#"
    ALTER TABLE orders ADD COLUMN status_polled_at INTEGER;
    "#,
    // 4: whether a storefront's plugins may reach loopback and private
    // networks (an on-premises back office); off for every storefront.
    r#"
    ALTER TABLE storefronts ADD COLUMN allow_private_networks INTEGER NOT NULL DEFAULT 0;
    "#,
    // 5: webhook secrets per storefront and plugin, sealed like secret
    // settings (the host needs the secret itself to check signatures).
    r#"
    CREATE TABLE webhook_secrets (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin     TEXT NOT NULL,
        sealed     TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (storefront, plugin)
    );
    "#,
    // 6: mappings and department customer codes per plugin (a storefront
    // may price with one plugin and order with another). The existing rows
    // stay the default for every plugin.
    r#"
    CREATE TABLE plugin_mappings (
        storefront    TEXT NOT NULL,
        product       TEXT NOT NULL,
        plugin        TEXT NOT NULL,
        product_ref   TEXT NOT NULL,
        overrides     TEXT NOT NULL DEFAULT '{}',
        advanced_json TEXT,
        PRIMARY KEY (storefront, product, plugin),
        FOREIGN KEY (storefront, product) REFERENCES mappings(storefront, product) ON DELETE CASCADE
    );
    CREATE TABLE department_codes (
        storefront    TEXT NOT NULL,
        department    TEXT NOT NULL,
        plugin        TEXT NOT NULL,
        customer_code TEXT NOT NULL,
        PRIMARY KEY (storefront, department, plugin),
        FOREIGN KEY (storefront, department) REFERENCES departments(storefront, id) ON DELETE CASCADE
    );
    "#,
    // 7: the plugin registry (`registry`): uploaded components by content
    // hash, the plugin versions they are, and the version a storefront
    // chose (no row: the newest).
    r#"
    CREATE TABLE plugin_components (
        sha256      TEXT PRIMARY KEY,
        bytes       BLOB NOT NULL,
        uploaded_at INTEGER NOT NULL
    );
    CREATE TABLE plugin_versions (
        plugin      TEXT NOT NULL,
        version     TEXT NOT NULL,
        sha256      TEXT NOT NULL REFERENCES plugin_components(sha256),
        uploaded_at INTEGER NOT NULL,
        PRIMARY KEY (plugin, version)
    );
    CREATE TABLE plugin_choices (
        storefront TEXT NOT NULL REFERENCES storefronts(id) ON DELETE CASCADE,
        plugin     TEXT NOT NULL,
        version    TEXT NOT NULL,
        chosen_at  INTEGER NOT NULL,
        PRIMARY KEY (storefront, plugin)
    );
    "#,
];

/// The database handle. SQLite calls are short and local, so they run
/// under one lock on the caller's thread.
pub struct Db {
    conn: Mutex<Connection>,
}

impl Db {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("opening the database {}", path.display()))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .context("configuring the database")?;
        let db = Self {
            conn: Mutex::new(conn),
        };
        db.migrate()
            .with_context(|| format!("migrating the database {}", path.display()))?;
        Ok(db)
    }

    fn migrate(&self) -> anyhow::Result<()> {
        let mut conn = self.lock();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let version = version.max(0) as usize;
        if version > MIGRATIONS.len() {
            anyhow::bail!(
                "the database has schema version {version}, newer than this connect-host knows ({}); \
                 run a newer connect-host or restore a backup",
                MIGRATIONS.len()
            );
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)
                .with_context(|| format!("migration {}", i + 1))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::info!(version = i + 1, "database migrated");
        }
        Ok(())
    }

    pub fn lock(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch (outbox scheduling).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds (UTC).
pub fn iso8601(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `YYYY-MM-DD` of today (UTC).
pub fn today() -> String {
    iso8601(now())[..10].to_string()
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    (1..=12).contains(&m) && (1..=month_days[m as usize - 1]).contains(&d)
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn validates_calendar_dates() {
        for ok in ["2026-11-29", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(valid_date(ok), "{ok}");
        }
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026/01/01",
            "+026-01-01",
            "2026-01-01T",
        ] {
            assert!(!valid_date(bad), "{bad}");
        }
    }

    #[test]
    fn migrates_a_fresh_file_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        Db::open(&path).unwrap();
        let db = Db::open(&path).unwrap();
        let v: i64 = db
            .lock()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, MIGRATIONS.len());
    }
}
