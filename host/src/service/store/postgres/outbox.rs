//! The outbox's claims and outcomes in PostgreSQL. A claim takes due rows
//! with `FOR UPDATE SKIP LOCKED`: two nodes claiming at once never get the
//! same order, and neither waits for the other.

use async_trait::async_trait;

use super::{PostgresStore, event};
use crate::contract::OrderReceipt;
use crate::service::store::{Claimed, FailedAttempt, OrderState, OutboxStore, StoreResult};
use crate::service::time::{now, now_ms};

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn recover(&self) -> StoreResult<usize> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let (delivering, pending) = (
            OrderState::Delivering.as_str(),
            OrderState::Pending.as_str(),
        );
        let rows = tx
            .query(
                "UPDATE orders SET state = $2, next_attempt_at = $3, updated_at = $4
                 WHERE state = $1 RETURNING storefront, id",
                &[&delivering, &pending, &now_ms(), &now()],
            )
            .await?;
        for r in &rows {
            let (sf, id): (String, String) = (r.get(0), r.get(1));
            event(
                &tx,
                &sf,
                &id,
                "interrupted",
                "the delivery was interrupted (restart or shutdown); it will be submitted again with the same order id",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    async fn claim(&self, limit: usize) -> StoreResult<Vec<Claimed>> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let (pending, delivering) = (
            OrderState::Pending.as_str(),
            OrderState::Delivering.as_str(),
        );
        let rows = tx
            .query(
                "UPDATE orders o SET state = $3, attempts = o.attempts + 1, updated_at = $4
                 FROM (SELECT storefront, id FROM orders
                       WHERE state = $1 AND next_attempt_at <= $2
                       ORDER BY next_attempt_at, created_at LIMIT $5
                       FOR UPDATE SKIP LOCKED) due
                 WHERE o.storefront = due.storefront AND o.id = due.id
                 RETURNING o.storefront, o.id, o.plugin, o.attempts, o.payload, o.check_stock",
                &[&pending, &now_ms(), &delivering, &now(), &(limit as i64)],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let claimed = Claimed {
                storefront: r.get(0),
                id: r.get(1),
                plugin: r.get(2),
                attempts: r.get::<_, i32>(3).max(0) as u32,
                payload: r.get(4),
                check_stock: r.get(5),
            };
            let detail = format!("attempt {}", claimed.attempts);
            event(&tx, &claimed.storefront, &claimed.id, "attempt", &detail).await?;
            out.push(claimed);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn record_delivered(&self, cl: &Claimed, r: &OrderReceipt) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let delivered = OrderState::Delivered.as_str();
        tx.execute(
            "UPDATE orders SET state = $3, backend_order_id = $4, backend_order_no = $5,
               customer_code = $6, last_error = NULL, last_error_kind = NULL, updated_at = $7
             WHERE storefront = $1 AND id = $2",
            &[
                &cl.storefront,
                &cl.id,
                &delivered,
                &r.backend_order_id,
                &r.backend_order_no,
                &r.customer_code,
                &now(),
            ],
        )
        .await?;
        let no = r.backend_order_no.as_deref().unwrap_or(&r.backend_order_id);
        let detail = format!("backend order {no} for customer {}", r.customer_code);
        event(&tx, &cl.storefront, &cl.id, "delivered", &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_failure(&self, cl: &Claimed, f: &FailedAttempt) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let state = if f.park {
            OrderState::Failed
        } else {
            OrderState::Pending
        };
        tx.execute(
            "UPDATE orders SET state = $3, next_attempt_at = $4, last_error = $5,
               last_error_kind = $6, updated_at = $7 WHERE storefront = $1 AND id = $2",
            &[
                &cl.storefront,
                &cl.id,
                &state.as_str(),
                &f.next_attempt_ms,
                &f.message,
                &f.kind,
                &now(),
            ],
        )
        .await?;
        let kind = if f.park { "failed" } else { "retry" };
        event(&tx, &cl.storefront, &cl.id, kind, &f.detail).await?;
        tx.commit().await?;
        Ok(())
    }
}
