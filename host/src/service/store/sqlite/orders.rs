//! Orders, their history and status updates in SQLite.

use async_trait::async_trait;
use rusqlite::{OptionalExtension as _, params};

use super::SqliteStore;
use crate::service::infra::metrics::OutboxDepth;
use crate::service::infra::time::{now, now_ms};
use crate::service::store::{
    EventKind, EventRow, NewOrder, OrderRow, OrderState, OrderStore, StoreResult, update_detail,
};
use connect_runtime::contract::OrderUpdate;

const ORDER_COLUMNS: &str = "storefront, id, plugin, state, attempts, next_attempt_at, last_error,
    last_error_kind, payload, backend_order_id, backend_order_no, customer_code, job_no,
    job_status, tracking_number, status_at, created_at, updated_at";

/// Appends an event to an order's history.
pub(super) fn event(
    conn: &rusqlite::Connection,
    storefront: &str,
    order: &str,
    kind: EventKind,
    detail: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO order_events (storefront, order_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![storefront, order, now(), kind.as_str(), detail])?;
    Ok(())
}

#[async_trait]
impl OrderStore for SqliteStore {
    async fn insert_order(&self, o: &NewOrder) -> StoreResult<bool> {
        let o = o.clone();
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO orders (storefront, id, plugin, state, next_attempt_at, payload,
                   payload_hash, check_stock, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?8)",
                params![
                    o.storefront,
                    o.id,
                    o.plugin,
                    OrderState::Pending.as_str(),
                    now_ms(),
                    o.payload,
                    o.payload_hash,
                    now()
                ],
            )?;
            if n == 1 {
                let detail = format!("for delivery by `{}`", o.plugin);
                event(tx, &o.storefront, &o.id, EventKind::Accepted, &detail)?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn order_hash(&self, storefront: &str, id: &str) -> StoreResult<Option<String>> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.read(move |c| {
            c.prepare_cached("SELECT payload_hash FROM orders WHERE storefront = ?1 AND id = ?2")?
                .query_row(params![sf, id], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn order(&self, storefront: &str, id: &str) -> StoreResult<Option<OrderRow>> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.read(move |c| {
            let sql =
                format!("SELECT {ORDER_COLUMNS} FROM orders WHERE storefront = ?1 AND id = ?2");
            let row = c
                .prepare_cached(&sql)?
                .query_row(params![sf, id], order_row)
                .optional()?;
            let Some(mut row) = row else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT at, kind, detail FROM order_events
                 WHERE storefront = ?1 AND order_id = ?2 ORDER BY seq",
            )?;
            row.history = stmt
                .query_map(params![sf, id], |r| {
                    Ok(EventRow {
                        at: r.get(0)?,
                        kind: r.get(1)?,
                        detail: r.get(2)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Some(row))
        })
        .await
    }

    async fn orders(
        &self,
        storefront: &str,
        state: Option<OrderState>,
        limit: u32,
    ) -> StoreResult<Vec<OrderRow>> {
        let sf = storefront.to_owned();
        self.read(move |c| {
            let sql = format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE storefront = ?1 AND (?2 IS NULL OR state = ?2)
                 ORDER BY created_at DESC, id DESC LIMIT ?3"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            stmt.query_map(params![sf, state.map(OrderState::as_str), limit], order_row)?
                .collect()
        })
        .await
    }

    async fn retry_order(&self, storefront: &str, id: &str) -> StoreResult<bool> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE orders SET state = ?3, attempts = 0, next_attempt_at = ?4, updated_at = ?5
                 WHERE storefront = ?1 AND id = ?2 AND state = ?6",
                params![
                    sf,
                    id,
                    OrderState::Pending.as_str(),
                    now_ms(),
                    now(),
                    OrderState::Failed.as_str()
                ],
            )?;
            if n == 1 {
                let detail = "an operator asked for a new round of attempts";
                event(tx, &sf, &id, EventKind::Retry, detail)?;
            }
            Ok(n == 1)
        })
        .await
    }

    async fn apply_updates(
        &self,
        storefront: &str,
        plugin: &str,
        updates: &[OrderUpdate],
        source: EventKind,
    ) -> StoreResult<usize> {
        let args = (storefront.to_owned(), plugin.to_owned(), source);
        let updates = updates.to_vec();
        self.write(move |tx| {
            let (sf, plugin, source) = &args;
            let mut applied = 0;
            for u in &updates {
                let id: Option<String> = match (&u.order_id, &u.backend_order_id) {
                    (Some(id), _) => tx
                        .query_row(
                            "SELECT id FROM orders WHERE storefront = ?1 AND id = ?2 AND plugin = ?3",
                            params![sf, id, plugin],
                            |r| r.get(0),
                        )
                        .optional()?,
                    (None, Some(backend)) => tx
                        .query_row(
                            "SELECT id FROM orders
                             WHERE storefront = ?1 AND backend_order_id = ?2 AND plugin = ?3",
                            params![sf, backend, plugin],
                            |r| r.get(0),
                        )
                        .optional()?,
                    (None, None) => None,
                };
                let Some(id) = id else {
                    tracing::info!(storefront = sf, plugin, order = ?u.order_id, "update for an unknown order ignored");
                    continue;
                };
                tx.execute(
                    "UPDATE orders SET
                       backend_order_id = COALESCE(?3, backend_order_id),
                       job_no = COALESCE(?4, job_no),
                       job_status = COALESCE(?5, job_status),
                       tracking_number = COALESCE(?6, tracking_number),
                       status_at = COALESCE(?7, status_at),
                       updated_at = ?8
                     WHERE storefront = ?1 AND id = ?2",
                    params![
                        sf,
                        id,
                        u.backend_order_id,
                        u.job_no,
                        u.status,
                        u.tracking_number,
                        u.at,
                        now()
                    ],
                )?;
                event(tx, sf, &id, *source, &update_detail(u))?;
                applied += 1;
            }
            Ok(applied)
        })
        .await
    }

    async fn outbox_depth(&self) -> StoreResult<Vec<OutboxDepth>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT plugin, state, COUNT(*) FROM orders GROUP BY plugin, state",
            )?;
            stmt.query_map([], |r| {
                Ok(OutboxDepth {
                    plugin: r.get(0)?,
                    state: r.get(1)?,
                    count: r.get::<_, i64>(2)?.max(0) as u64,
                })
            })?
            .collect()
        })
        .await
    }

    async fn orders_due_for_status(
        &self,
        since: i64,
        quiet_since: i64,
        limit: u32,
    ) -> StoreResult<Vec<(String, String)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT storefront, id FROM orders
                 WHERE state = ?1 AND tracking_number IS NULL AND created_at >= ?2
                   AND MAX(updated_at, COALESCE(status_polled_at, 0)) <= ?3
                 ORDER BY MAX(updated_at, COALESCE(status_polled_at, 0))
                 LIMIT ?4",
            )?;
            stmt.query_map(
                params![OrderState::Delivered.as_str(), since, quiet_since, limit],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect()
        })
        .await
    }

    async fn mark_status_polled(&self, storefront: &str, id: &str) -> StoreResult<()> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE orders SET status_polled_at = ?3 WHERE storefront = ?1 AND id = ?2",
                params![sf, id, now()],
            )?;
            Ok(())
        })
        .await
    }
}

fn order_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OrderRow> {
    let state: String = r.get(3)?;
    Ok(OrderRow {
        storefront: r.get(0)?,
        id: r.get(1)?,
        plugin: r.get(2)?,
        state: state.parse().map_err(|e: String| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, e.into())
        })?,
        attempts: r.get(4)?,
        next_attempt_ms: r.get(5)?,
        last_error: r.get(6)?,
        last_error_kind: r.get(7)?,
        payload: r.get(8)?,
        backend_order_id: r.get(9)?,
        backend_order_no: r.get(10)?,
        customer_code: r.get(11)?,
        job_no: r.get(12)?,
        job_status: r.get(13)?,
        tracking_number: r.get(14)?,
        status_at: r.get(15)?,
        created_at: r.get(16)?,
        updated_at: r.get(17)?,
        history: Vec::new(),
    })
}
