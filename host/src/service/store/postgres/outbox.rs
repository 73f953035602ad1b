//! The outbox's claims and outcomes in PostgreSQL. A claim takes due rows
//! with `FOR UPDATE SKIP LOCKED`: two nodes claiming at once never get the
//! same order, and neither waits for the other. A claim names its node and
//! lapses at `lease_until` unless that node renews it; a lapsed claim is put
//! back by whichever node claims next.

use async_trait::async_trait;
use tokio_postgres::Transaction;
use tokio_postgres::types::ToSql;

use super::PostgresStore;
use crate::service::infra::time::{now, now_ms};
use crate::service::store::{
    Claimed, EventKind, FailedAttempt, Holder, INTERRUPTED, OrderState, OutboxStore, StoreResult,
};
use connect_runtime::contract::OrderReceipt;

const DELIVERING: &str = OrderState::Delivering.as_str();
const PENDING: &str = OrderState::Pending.as_str();

/// Puts back to `pending` (with an `interrupted` event) the `delivering`
/// orders `filter` names (SQL; `$4` is its parameter), in one statement.
/// They keep their place in the queue: they were due already.
async fn put_back(
    tx: &Transaction<'_>,
    filter: &str,
    param: &(dyn ToSql + Sync),
) -> StoreResult<usize> {
    let sql = format!(
        "WITH back AS (
           UPDATE orders SET state = $2, claimed_by = NULL, lease_until = NULL,
             updated_at = $3
           WHERE state = $1 AND ({filter})
           RETURNING storefront, id)
         INSERT INTO order_events (storefront, order_id, at, kind, detail)
         SELECT storefront, id, $3, 'interrupted', $5::TEXT FROM back"
    );
    let n = tx
        .execute(&sql, &[&DELIVERING, &PENDING, &now(), param, &INTERRUPTED])
        .await?;
    Ok(n as usize)
}

/// A lease that ran out (`$4`: now in ms); a claim from before leases had
/// none.
const LAPSED: &str = "lease_until IS NULL OR lease_until < $4";

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn recover(&self) -> StoreResult<usize> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = put_back(&tx, LAPSED, &now_ms()).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn claim(&self, holder: &Holder, limit: usize) -> StoreResult<Vec<Claimed>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        put_back(&tx, LAPSED, &now_ms()).await?;
        let rows = tx
            .query(
                "UPDATE orders o SET state = $3, attempts = o.attempts + 1, claimed_by = $6,
                   lease_until = $7, updated_at = $4
                 FROM (SELECT storefront, id FROM orders
                       WHERE state = $1 AND next_attempt_at <= $2
                       ORDER BY next_attempt_at, created_at LIMIT $5
                       FOR UPDATE SKIP LOCKED) due
                 WHERE o.storefront = due.storefront AND o.id = due.id
                 RETURNING o.storefront, o.id, o.plugin, o.attempts, o.payload, o.check_stock",
                &[
                    &PENDING,
                    &now_ms(),
                    &DELIVERING,
                    &now(),
                    &(limit as i64),
                    &holder.node,
                    &holder.until_ms,
                ],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let claimed = Claimed {
                storefront: r.try_get(0)?,
                id: r.try_get(1)?,
                plugin: r.try_get(2)?,
                attempts: r.try_get::<_, i32>(3)?.max(0) as u32,
                payload: r.try_get(4)?,
                check_stock: r.try_get(5)?,
                node: holder.node.clone(),
            };
            let detail = format!("attempt {}", claimed.attempts);
            super::event(
                &tx,
                &claimed.storefront,
                &claimed.id,
                EventKind::Attempt,
                &detail,
            )
            .await?;
            out.push(claimed);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn renew_claims(&self, holder: &Holder) -> StoreResult<usize> {
        let c = self.client().await?;
        let n = c
            .execute(
                "UPDATE orders SET lease_until = $3 WHERE state = $1 AND claimed_by = $2",
                &[&DELIVERING, &holder.node, &holder.until_ms],
            )
            .await?;
        Ok(n as usize)
    }

    async fn release_claims(&self, node: &str) -> StoreResult<usize> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = put_back(&tx, "claimed_by = $4", &node).await?;
        tx.commit().await?;
        Ok(n)
    }

    async fn record_delivered(&self, cl: &Claimed, r: &OrderReceipt) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE orders SET state = $3, backend_order_id = $4, backend_order_no = $5,
                   customer_code = $6, last_error = NULL, last_error_kind = NULL,
                   claimed_by = NULL, lease_until = NULL, updated_at = $7
                 WHERE storefront = $1 AND id = $2
                   AND state = $8 AND claimed_by = $9 AND attempts = $10",
                &[
                    &cl.storefront,
                    &cl.id,
                    &OrderState::Delivered.as_str(),
                    &r.backend_order_id,
                    &r.backend_order_no,
                    &r.customer_code,
                    &now(),
                    &DELIVERING,
                    &cl.node,
                    &(cl.attempts as i32),
                ],
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        let no = r.backend_order_no.as_deref().unwrap_or(&r.backend_order_id);
        let detail = format!("backend order {no} for customer {}", r.customer_code);
        super::event(&tx, &cl.storefront, &cl.id, EventKind::Delivered, &detail).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn record_failure(&self, cl: &Claimed, f: &FailedAttempt) -> StoreResult<bool> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let state = if f.park {
            OrderState::Failed
        } else {
            OrderState::Pending
        };
        let n = tx
            .execute(
                "UPDATE orders SET state = $3, next_attempt_at = $4, last_error = $5,
                   last_error_kind = $6, claimed_by = NULL, lease_until = NULL, updated_at = $7
                 WHERE storefront = $1 AND id = $2
                   AND state = $8 AND claimed_by = $9 AND attempts = $10",
                &[
                    &cl.storefront,
                    &cl.id,
                    &state.as_str(),
                    &f.next_attempt_ms,
                    &f.message,
                    &f.kind,
                    &now(),
                    &DELIVERING,
                    &cl.node,
                    &(cl.attempts as i32),
                ],
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        let kind = if f.park {
            EventKind::Failed
        } else {
            EventKind::Retry
        };
        super::event(&tx, &cl.storefront, &cl.id, kind, &f.detail).await?;
        tx.commit().await?;
        Ok(true)
    }
}
