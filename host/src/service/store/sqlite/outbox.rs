//! The outbox's claims and outcomes in SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use super::orders::event;
use crate::contract::OrderReceipt;
use crate::service::store::{Claimed, FailedAttempt, OrderState, OutboxStore, StoreResult};
use crate::service::time::{now, now_ms};

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn recover(&self) -> StoreResult<usize> {
        self.write(|tx| {
            let ids: Vec<(String, String)> = {
                let mut stmt = tx.prepare("SELECT storefront, id FROM orders WHERE state = ?1")?;
                stmt.query_map([OrderState::Delivering.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<rusqlite::Result<_>>()?
            };
            for (sf, id) in &ids {
                tx.execute(
                    "UPDATE orders SET state = ?3, next_attempt_at = ?4, updated_at = ?5
                     WHERE storefront = ?1 AND id = ?2",
                    params![sf, id, OrderState::Pending.as_str(), now_ms(), now()],
                )?;
                event(
                    tx,
                    sf,
                    id,
                    "interrupted",
                    "the delivery was interrupted (restart or shutdown); it will be submitted again with the same order id",
                )?;
            }
            Ok(ids.len())
        })
        .await
    }

    async fn claim(&self, limit: usize) -> StoreResult<Vec<Claimed>> {
        self.write(move |tx| {
            let due: Vec<Claimed> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT storefront, id, plugin, attempts, payload, check_stock FROM orders
                     WHERE state = ?1 AND next_attempt_at <= ?2
                     ORDER BY next_attempt_at, created_at LIMIT ?3",
                )?;
                stmt.query_map(
                    params![OrderState::Pending.as_str(), now_ms(), limit as i64],
                    |r| {
                        Ok(Claimed {
                            storefront: r.get(0)?,
                            id: r.get(1)?,
                            plugin: r.get(2)?,
                            attempts: r.get::<_, u32>(3)? + 1,
                            payload: r.get(4)?,
                            check_stock: r.get(5)?,
                        })
                    },
                )?
                .collect::<rusqlite::Result<_>>()?
            };
            for c in &due {
                tx.execute(
                    "UPDATE orders SET state = ?3, attempts = ?4, updated_at = ?5
                     WHERE storefront = ?1 AND id = ?2",
                    params![
                        c.storefront,
                        c.id,
                        OrderState::Delivering.as_str(),
                        c.attempts,
                        now()
                    ],
                )?;
                let detail = format!("attempt {}", c.attempts);
                event(tx, &c.storefront, &c.id, "attempt", &detail)?;
            }
            Ok(due)
        })
        .await
    }

    async fn record_delivered(&self, c: &Claimed, r: &OrderReceipt) -> StoreResult<()> {
        let (c, r) = (c.clone(), r.clone());
        self.write(move |tx| {
            tx.execute(
                "UPDATE orders SET state = ?3, backend_order_id = ?4, backend_order_no = ?5,
                   customer_code = ?6, last_error = NULL, last_error_kind = NULL, updated_at = ?7
                 WHERE storefront = ?1 AND id = ?2",
                params![
                    c.storefront,
                    c.id,
                    OrderState::Delivered.as_str(),
                    r.backend_order_id,
                    r.backend_order_no,
                    r.customer_code,
                    now()
                ],
            )?;
            let no = r.backend_order_no.as_deref().unwrap_or(&r.backend_order_id);
            let detail = format!("backend order {no} for customer {}", r.customer_code);
            event(tx, &c.storefront, &c.id, "delivered", &detail)
        })
        .await
    }

    async fn record_failure(&self, c: &Claimed, f: &FailedAttempt) -> StoreResult<()> {
        let (c, f) = (c.clone(), f.clone());
        self.write(move |tx| {
            let state = if f.park {
                OrderState::Failed
            } else {
                OrderState::Pending
            };
            tx.execute(
                "UPDATE orders SET state = ?3, next_attempt_at = ?4, last_error = ?5,
                   last_error_kind = ?6, updated_at = ?7 WHERE storefront = ?1 AND id = ?2",
                params![
                    c.storefront,
                    c.id,
                    state.as_str(),
                    f.next_attempt_ms,
                    f.message,
                    f.kind,
                    now()
                ],
            )?;
            let kind = if f.park { "failed" } else { "retry" };
            event(tx, &c.storefront, &c.id, kind, &f.detail)
        })
        .await
    }
}
