//! The outbox's claims and outcomes in SQLite. One node writes the file, so
//! leases matter only between this process's runs; they are kept all the
//! same, so both backends pass one conformance suite.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::SqliteStore;
use super::orders::event;
use crate::service::infra::time::{now, now_ms};
use crate::service::store::{
    Claimed, EventKind, FailedAttempt, Holder, INTERRUPTED, OrderState, OutboxStore, StoreResult,
};
use connect_runtime::contract::OrderReceipt;

const DELIVERING: &str = OrderState::Delivering.as_str();
const PENDING: &str = OrderState::Pending.as_str();

/// Which `delivering` orders to put back to `pending`.
enum Which<'a> {
    /// Every one (at start: only this process opens the file).
    All,
    /// Those whose lease ran out (a claim from before leases had none).
    Lapsed,
    /// Those a node holds.
    Of(&'a str),
}

/// They keep their place in the queue: they were due already.
fn put_back(tx: &Connection, which: Which<'_>) -> rusqlite::Result<usize> {
    let select = "SELECT storefront, id FROM orders WHERE state = ?1";
    let rows = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> rusqlite::Result<Vec<(String, String)>> {
        let mut stmt = tx.prepare_cached(sql)?;
        stmt.query_map(p, |r| Ok((r.get(0)?, r.get(1)?)))?.collect()
    };
    let ids = match which {
        Which::All => rows(select, &[&DELIVERING])?,
        Which::Lapsed => rows(
            &format!("{select} AND (lease_until IS NULL OR lease_until < ?2)"),
            &[&DELIVERING, &now_ms()],
        )?,
        Which::Of(node) => rows(
            &format!("{select} AND claimed_by = ?2"),
            &[&DELIVERING, &node],
        )?,
    };
    for (sf, id) in &ids {
        tx.execute(
            "UPDATE orders SET state = ?3, claimed_by = NULL, lease_until = NULL, updated_at = ?4
             WHERE storefront = ?1 AND id = ?2",
            params![sf, id, PENDING, now()],
        )?;
        event(tx, sf, id, EventKind::Interrupted, INTERRUPTED)?;
    }
    Ok(ids.len())
}

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn recover(&self) -> StoreResult<usize> {
        self.write(|tx| put_back(tx, Which::All)).await
    }

    async fn claim(&self, holder: &Holder, limit: usize) -> StoreResult<Vec<Claimed>> {
        let holder = holder.clone();
        self.write(move |tx| {
            put_back(tx, Which::Lapsed)?;
            let due: Vec<Claimed> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT storefront, id, plugin, attempts, payload, check_stock FROM orders
                     WHERE state = ?1 AND next_attempt_at <= ?2
                     ORDER BY next_attempt_at, created_at LIMIT ?3",
                )?;
                stmt.query_map(params![PENDING, now_ms(), limit as i64], |r| {
                    Ok(Claimed {
                        storefront: r.get(0)?,
                        id: r.get(1)?,
                        plugin: r.get(2)?,
                        attempts: r.get::<_, u32>(3)? + 1,
                        payload: r.get(4)?,
                        check_stock: r.get(5)?,
                        node: holder.node.clone(),
                    })
                })?
                .collect::<rusqlite::Result<_>>()?
            };
            for c in &due {
                tx.execute(
                    "UPDATE orders SET state = ?3, attempts = ?4, claimed_by = ?5,
                       lease_until = ?6, updated_at = ?7
                     WHERE storefront = ?1 AND id = ?2",
                    params![
                        c.storefront,
                        c.id,
                        DELIVERING,
                        c.attempts,
                        holder.node,
                        holder.until_ms,
                        now()
                    ],
                )?;
                let detail = format!("attempt {}", c.attempts);
                event(tx, &c.storefront, &c.id, EventKind::Attempt, &detail)?;
            }
            Ok(due)
        })
        .await
    }

    async fn renew_claims(&self, holder: &Holder) -> StoreResult<usize> {
        let holder = holder.clone();
        self.write(move |tx| {
            tx.execute(
                "UPDATE orders SET lease_until = ?3 WHERE state = ?1 AND claimed_by = ?2",
                params![DELIVERING, holder.node, holder.until_ms],
            )
        })
        .await
    }

    async fn release_claims(&self, node: &str) -> StoreResult<usize> {
        let node = node.to_owned();
        self.write(move |tx| put_back(tx, Which::Of(&node))).await
    }

    async fn record_delivered(&self, c: &Claimed, r: &OrderReceipt) -> StoreResult<bool> {
        let (c, r) = (c.clone(), r.clone());
        self.write(move |tx| {
            let n = tx.execute(
                "UPDATE orders SET state = ?3, backend_order_id = ?4, backend_order_no = ?5,
                   customer_code = ?6, last_error = NULL, last_error_kind = NULL,
                   claimed_by = NULL, lease_until = NULL, updated_at = ?7
                 WHERE storefront = ?1 AND id = ?2
                   AND state = ?8 AND claimed_by = ?9 AND attempts = ?10",
                params![
                    c.storefront,
                    c.id,
                    OrderState::Delivered.as_str(),
                    r.backend_order_id,
                    r.backend_order_no,
                    r.customer_code,
                    now(),
                    DELIVERING,
                    c.node,
                    c.attempts
                ],
            )?;
            if n == 0 {
                return Ok(false);
            }
            let no = r.backend_order_no.as_deref().unwrap_or(&r.backend_order_id);
            let detail = format!("backend order {no} for customer {}", r.customer_code);
            event(tx, &c.storefront, &c.id, EventKind::Delivered, &detail)?;
            Ok(true)
        })
        .await
    }

    async fn record_failure(&self, c: &Claimed, f: &FailedAttempt) -> StoreResult<bool> {
        let (c, f) = (c.clone(), f.clone());
        self.write(move |tx| {
            let state = if f.park {
                OrderState::Failed
            } else {
                OrderState::Pending
            };
            let n = tx.execute(
                "UPDATE orders SET state = ?3, next_attempt_at = ?4, last_error = ?5,
                   last_error_kind = ?6, claimed_by = NULL, lease_until = NULL, updated_at = ?7
                 WHERE storefront = ?1 AND id = ?2
                   AND state = ?8 AND claimed_by = ?9 AND attempts = ?10",
                params![
                    c.storefront,
                    c.id,
                    state.as_str(),
                    f.next_attempt_ms,
                    f.message,
                    f.kind,
                    now(),
                    DELIVERING,
                    c.node,
                    c.attempts
                ],
            )?;
            if n == 0 {
                return Ok(false);
            }
            let kind = if f.park {
                EventKind::Failed
            } else {
                EventKind::Retry
            };
            event(tx, &c.storefront, &c.id, kind, &f.detail)?;
            Ok(true)
        })
        .await
    }
}
