//! Orders, their history and status updates in PostgreSQL.

use async_trait::async_trait;

use super::{PostgresStore, event};
use crate::service::infra::metrics::OutboxDepth;
use crate::service::infra::time::{now, now_ms};
use crate::service::store::{
    EventKind, EventRow, NewOrder, OrderRow, OrderState, OrderStore, StoreError, StoreResult,
    update_detail,
};
use connect_runtime::contract::OrderUpdate;

const ORDER_COLUMNS: &str = "storefront, id, plugin, state, attempts, next_attempt_at, last_error,
    last_error_kind, payload, backend_order_id, backend_order_no, customer_code, job_no,
    job_status, tracking_number, status_at, created_at, updated_at";

#[async_trait]
impl OrderStore for PostgresStore {
    async fn insert_order(&self, o: &NewOrder) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let (now, pending) = (now(), OrderState::Pending.as_str());
        let n = tx
            .execute(
                "INSERT INTO orders (storefront, id, plugin, state, next_attempt_at, payload,
                   payload_hash, check_stock, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $8)
                 ON CONFLICT (storefront, id) DO NOTHING",
                &[
                    &o.storefront,
                    &o.id,
                    &o.plugin,
                    &pending,
                    &now_ms(),
                    &o.payload,
                    &o.payload_hash,
                    &now,
                ],
            )
            .await?;
        if n == 1 {
            let detail = format!("for delivery by `{}`", o.plugin);
            event(&tx, &o.storefront, &o.id, EventKind::Accepted, &detail).await?;
            // Wakes the delivery workers of every node (after the commit).
            tx.execute("NOTIFY connect_outbox", &[]).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn order_hash(&self, storefront: &str, id: &str) -> StoreResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT payload_hash FROM orders WHERE storefront = $1 AND id = $2",
                &[&storefront, &id],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn order(&self, storefront: &str, id: &str) -> StoreResult<Option<OrderRow>> {
        let c = self.client().await?;
        let sql = format!("SELECT {ORDER_COLUMNS} FROM orders WHERE storefront = $1 AND id = $2");
        let Some(r) = c.query_opt(&sql, &[&storefront, &id]).await? else {
            return Ok(None);
        };
        let mut row = order_row(&r)?;
        let events = c
            .query(
                "SELECT at, kind, detail FROM order_events
                 WHERE storefront = $1 AND order_id = $2 ORDER BY seq",
                &[&storefront, &id],
            )
            .await?;
        row.history = events
            .iter()
            .map(|r| EventRow {
                at: r.get(0),
                kind: r.get(1),
                detail: r.get(2),
            })
            .collect();
        Ok(Some(row))
    }

    async fn orders(
        &self,
        storefront: &str,
        state: Option<OrderState>,
        limit: u32,
    ) -> StoreResult<Vec<OrderRow>> {
        let sql = format!(
            "SELECT {ORDER_COLUMNS} FROM orders
             WHERE storefront = $1 AND ($2::TEXT IS NULL OR state = $2)
             ORDER BY created_at DESC, id DESC LIMIT $3"
        );
        let state = state.map(OrderState::as_str);
        let rows = self
            .client()
            .await?
            .query(&sql, &[&storefront, &state, &i64::from(limit)])
            .await?;
        rows.iter().map(order_row).collect()
    }

    async fn retry_order(&self, storefront: &str, id: &str) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let (pending, failed) = (OrderState::Pending.as_str(), OrderState::Failed.as_str());
        let n = tx
            .execute(
                "UPDATE orders SET state = $3, attempts = 0, next_attempt_at = $4, updated_at = $5
                 WHERE storefront = $1 AND id = $2 AND state = $6",
                &[&storefront, &id, &pending, &now_ms(), &now(), &failed],
            )
            .await?;
        if n == 1 {
            let detail = "an operator asked for a new round of attempts";
            event(&tx, storefront, id, EventKind::Retry, detail).await?;
            tx.execute("NOTIFY connect_outbox", &[]).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn apply_updates(
        &self,
        storefront: &str,
        plugin: &str,
        updates: &[OrderUpdate],
        source: EventKind,
    ) -> StoreResult<usize> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let mut applied = 0;
        for u in updates {
            let row = match (&u.order_id, &u.backend_order_id) {
                (Some(id), _) => {
                    tx.query_opt(
                        "SELECT id FROM orders WHERE storefront = $1 AND id = $2 AND plugin = $3",
                        &[&storefront, id, &plugin],
                    )
                    .await?
                }
                (None, Some(backend)) => {
                    tx.query_opt(
                        "SELECT id FROM orders
                         WHERE storefront = $1 AND backend_order_id = $2 AND plugin = $3 LIMIT 1",
                        &[&storefront, backend, &plugin],
                    )
                    .await?
                }
                (None, None) => None,
            };
            let Some(row) = row else {
                tracing::info!(storefront, plugin, order = ?u.order_id, "update for an unknown order ignored");
                continue;
            };
            let id: String = row.get(0);
            tx.execute(
                "UPDATE orders SET
                   backend_order_id = COALESCE($3, backend_order_id),
                   job_no = COALESCE($4, job_no),
                   job_status = COALESCE($5, job_status),
                   tracking_number = COALESCE($6, tracking_number),
                   status_at = COALESCE($7, status_at),
                   updated_at = $8
                 WHERE storefront = $1 AND id = $2",
                &[
                    &storefront,
                    &id,
                    &u.backend_order_id,
                    &u.job_no,
                    &u.status,
                    &u.tracking_number,
                    &u.at,
                    &now(),
                ],
            )
            .await?;
            event(&tx, storefront, &id, source, &update_detail(u)).await?;
            applied += 1;
        }
        tx.commit().await?;
        Ok(applied)
    }

    async fn outbox_depth(&self) -> StoreResult<Vec<OutboxDepth>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT plugin, state, COUNT(*) FROM orders GROUP BY plugin, state",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| OutboxDepth {
                plugin: r.get(0),
                state: r.get(1),
                count: r.get::<_, i64>(2).max(0) as u64,
            })
            .collect())
    }

    async fn orders_due_for_status(
        &self,
        since: i64,
        quiet_since: i64,
        limit: u32,
    ) -> StoreResult<Vec<(String, String)>> {
        let delivered = OrderState::Delivered.as_str();
        let rows = self
            .client()
            .await?
            .query(
                "SELECT storefront, id FROM orders
                 WHERE state = $1 AND tracking_number IS NULL AND created_at >= $2
                   AND GREATEST(updated_at, COALESCE(status_polled_at, 0)) <= $3
                 ORDER BY GREATEST(updated_at, COALESCE(status_polled_at, 0))
                 LIMIT $4",
                &[&delivered, &since, &quiet_since, &i64::from(limit)],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn mark_status_polled(&self, storefront: &str, id: &str) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE orders SET status_polled_at = $3 WHERE storefront = $1 AND id = $2",
                &[&storefront, &id, &now()],
            )
            .await?;
        Ok(())
    }
}

fn order_row(r: &tokio_postgres::Row) -> StoreResult<OrderRow> {
    let state: String = r.get(3);
    Ok(OrderRow {
        storefront: r.get(0),
        id: r.get(1),
        plugin: r.get(2),
        state: state
            .parse()
            .map_err(|e: String| StoreError(anyhow::anyhow!(e)))?,
        attempts: r.get::<_, i32>(4).max(0) as u32,
        next_attempt_ms: r.get(5),
        last_error: r.get(6),
        last_error_kind: r.get(7),
        payload: r.get(8),
        backend_order_id: r.get(9),
        backend_order_no: r.get(10),
        customer_code: r.get(11),
        job_no: r.get(12),
        job_status: r.get(13),
        tracking_number: r.get(14),
        status_at: r.get(15),
        created_at: r.get(16),
        updated_at: r.get(17),
        history: Vec::new(),
    })
}
