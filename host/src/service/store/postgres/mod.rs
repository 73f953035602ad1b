//! The PostgreSQL store: the shared state of several nodes.
//!
//! Why it looks like this:
//! - `tokio-postgres` with a `deadpool-postgres` pool: async all the way (no
//!   blocking threads), plain SQL like the SQLite backend, and far lighter to
//!   build than an ORM.
//! - Migrations run at start under `pg_advisory_lock`, so nodes starting at
//!   once migrate one after the other; the version is kept in
//!   `connect_schema` (the same numbering as SQLite's `user_version`).
//! - Transactions are READ COMMITTED; each write names the rows it changes by
//!   key, so concurrent nodes never lose each other's writes.

mod cluster;
mod migrations;
mod orders;
mod outbox;
mod registry;
mod settings;
mod storefronts;

use anyhow::Context as _;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use super::{EventKind, StoreError, StoreResult};
use migrations::MIGRATIONS;

/// Any number: the key of the advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x636f_6e6e_6563_7431;

pub struct PostgresStore {
    pool: Pool,
    /// For the change feed's own connection.
    config: tokio_postgres::Config,
    /// Changes heard on the feed, to every subscriber of this node.
    feed: tokio::sync::broadcast::Sender<super::Change>,
    /// Whether the feed's listener runs.
    listening: std::sync::atomic::AtomicBool,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self(e.into())
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self(e.into())
    }
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`) and
    /// migrates the database. `shown` is the URL without its password.
    pub async fn open(url: &str, shown: &str, max_connections: usize) -> anyhow::Result<Self> {
        let config: tokio_postgres::Config = url
            .parse()
            .with_context(|| format!("store.url {shown} is not a PostgreSQL URL"))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(2))
            .build()
            .context("building the PostgreSQL pool")?;
        let store = Self {
            pool,
            config,
            feed: tokio::sync::broadcast::channel(1024).0,
            listening: Default::default(),
        };
        store.migrate().await.with_context(|| {
            format!("migrating the PostgreSQL store {shown}: is the server up and the user allowed to create tables?")
        })?;
        Ok(store)
    }

    async fn migrate(&self) -> anyhow::Result<()> {
        let mut c = self.pool.get().await?;
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let outcome = async {
            c.batch_execute("CREATE TABLE IF NOT EXISTS connect_schema (version INTEGER NOT NULL)")
                .await?;
            let version: Option<i32> = c
                .query_opt("SELECT version FROM connect_schema", &[])
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
            let version = version.unwrap_or(0).max(0) as usize;
            if version > MIGRATIONS.len() {
                anyhow::bail!(
                    "the database has schema version {version}, newer than this connect-host knows ({}); \
                     run a newer connect-host",
                    MIGRATIONS.len()
                );
            }
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
                let tx = c.transaction().await?;
                tx.batch_execute(sql)
                    .await
                    .with_context(|| format!("migration {}", i + 1))?;
                tx.execute("DELETE FROM connect_schema", &[]).await?;
                tx.execute(
                    "INSERT INTO connect_schema (version) VALUES ($1)",
                    &[&((i + 1) as i32)],
                )
                .await?;
                tx.commit().await?;
                tracing::info!(version = i + 1, "PostgreSQL store migrated");
            }
            Ok(())
        }
        .await;
        c.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await?;
        outcome
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        Ok(self.pool.get().await?)
    }
}

/// Appends an event to an order's history.
async fn event(
    c: &tokio_postgres::Transaction<'_>,
    storefront: &str,
    order: &str,
    kind: EventKind,
    detail: &str,
) -> StoreResult<()> {
    c.execute(
        "INSERT INTO order_events (storefront, order_id, at, kind, detail) VALUES ($1, $2, $3, $4, $5)",
        &[&storefront, &order, &crate::service::infra::time::now(), &kind.as_str(), &detail],
    )
    .await?;
    Ok(())
}
