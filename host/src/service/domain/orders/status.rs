//! What happens to an accepted order from the outside: its state and full
//! history as the API shows them, operator retries, and status updates from
//! webhooks or polling.

use super::{DELIVERED, FAILED, OrderEvent, OrderView};
use crate::service::infra::time::iso8601;
use crate::service::store::{Change, EventKind, OrderRow, OrderState};
use crate::service::{Result, Service, ServiceError};
use connect_runtime::contract::{OrderUpdate, PluginError, WebhookRequest};
use connect_runtime::error::CallError;
use connect_runtime::runtime::Runtime;
use connect_runtime::tenant::TenantSpec;

impl Service {
    pub async fn order(&self, storefront: &str, id: &str) -> Result<OrderView> {
        let row = self.store.order(storefront, id).await?;
        let row = row
            .ok_or_else(|| ServiceError::NotFound(format!("no order `{id}` in `{storefront}`")))?;
        view(row)
    }

    /// A storefront's orders, newest first, optionally in one state.
    pub async fn orders(
        &self,
        storefront: &str,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OrderView>> {
        self.storefront(storefront).await?;
        let state = match state.map(str::parse::<OrderState>) {
            None => None,
            Some(Ok(s)) => Some(s),
            // No order is in a state that does not exist.
            Some(Err(_)) => return Ok(Vec::new()),
        };
        let rows = self
            .store
            .orders(storefront, state, limit.clamp(1, 1000))
            .await?;
        rows.into_iter().map(view).collect()
    }

    /// Puts a parked (failed) order back into the outbox for a fresh round
    /// of attempts.
    pub async fn retry_order(&self, storefront: &str, id: &str) -> Result<OrderView> {
        let state = self.order(storefront, id).await?.state;
        if state != FAILED {
            return Err(ServiceError::Conflict(format!(
                "order `{id}` is {state}; only failed orders can be retried"
            )));
        }
        if !self.store.retry_order(storefront, id).await? {
            return Err(ServiceError::Conflict(format!(
                "order `{id}` changed while it was retried; look at it again"
            )));
        }
        self.outbox_wake.notify_one();
        self.announce(Change::Orders).await;
        self.order(storefront, id).await
    }

    /// Applies order updates a plugin produced (from a webhook or polling);
    /// answers how many matched an order of this storefront.
    pub async fn apply_updates(
        &self,
        storefront: &str,
        plugin: &str,
        updates: &[OrderUpdate],
        source: EventKind,
    ) -> Result<usize> {
        Ok(self
            .store
            .apply_updates(storefront, plugin, updates, source)
            .await?)
    }

    /// Polls the plugin for an order's status (the fallback to webhooks).
    pub async fn refresh_order_status(&self, storefront: &str, id: &str) -> Result<OrderView> {
        let order = self.order(storefront, id).await?;
        let update = self.ask_order_status(&order).await?;
        self.apply_updates(storefront, &order.plugin, &[update], EventKind::Polled)
            .await?;
        self.order(storefront, id).await
    }

    /// The plugin's `order-status` for a delivered order.
    pub(crate) async fn ask_order_status(&self, order: &OrderView) -> Result<OrderUpdate> {
        let id = &order.id;
        if order.state != DELIVERED {
            return Err(ServiceError::Conflict(format!(
                "order `{id}` is {}; its status can be asked once it is delivered",
                order.state
            )));
        }
        let backend_id = order.backend_order_id.as_deref();
        let status = async |rt: &Runtime, t: &TenantSpec| {
            rt.order_status(t, &order.plugin, id, backend_id).await
        };
        let mut update = self
            .call(&order.storefront, &order.plugin, "order-status", status)
            .await?;
        update.order_id = Some(id.clone());
        Ok(update)
    }

    /// Handles a webhook for a storefront's plugin: the host checks its
    /// credential ([`crate::service::http::webhook_auth`]), then the plugin turns it into
    /// order updates, which are applied.
    pub async fn webhook(
        &self,
        storefront: &str,
        plugin: &str,
        credential: crate::service::http::webhook_auth::Credential<'_>,
        client: std::net::IpAddr,
        request: WebhookRequest,
    ) -> Result<usize> {
        // The metric's plugin label comes from the path: only loaded
        // plugins get their own, so strangers cannot mint label values.
        let label = if self.runtime.info(plugin).is_ok() {
            plugin
        } else {
            "unknown"
        };
        let outcome = match self
            .authenticate_webhook(storefront, plugin, credential, &request.body, client)
            .await
        {
            Ok(()) => {
                let handle = async |rt: &Runtime, t: &TenantSpec| {
                    rt.handle_webhook(t, plugin, &request).await
                };
                match self
                    .call(storefront, plugin, "handle-webhook", handle)
                    .await
                {
                    // The plugin's own check (e.g. the back office's
                    // signature) refused it: as unauthenticated as the host's.
                    Err(ServiceError::Call(CallError::Plugin {
                        error: PluginError::Authentication(m),
                    })) => Err(ServiceError::Unauthenticated(m)),
                    other => other,
                }
            }
            Err(e) => Err(e),
        };
        self.metrics.webhook(
            label,
            match &outcome {
                Ok(_) => "ok",
                Err(e) => e.kind(),
            },
        );
        self.apply_updates(storefront, plugin, &outcome?, EventKind::Webhook)
            .await
    }

    /// Orders by plugin and state, for the outbox depth gauge.
    pub async fn outbox_depth(&self) -> Result<Vec<crate::service::infra::metrics::OutboxDepth>> {
        Ok(self.store.outbox_depth().await?)
    }
}

/// The API's view of a stored order.
fn view(r: OrderRow) -> Result<OrderView> {
    let order = serde_json::from_str(&r.payload).map_err(|e| {
        anyhow::anyhow!(
            "order `{}` of `{}` is stored unreadable: {e}",
            r.id,
            r.storefront
        )
    })?;
    Ok(OrderView {
        next_attempt_at: (r.state == OrderState::Pending)
            .then(|| iso8601(r.next_attempt_ms / 1000)),
        state: r.state.as_str().to_string(),
        storefront: r.storefront,
        id: r.id,
        plugin: r.plugin,
        attempts: r.attempts,
        last_error: r.last_error,
        last_error_kind: r.last_error_kind,
        backend_order_id: r.backend_order_id,
        backend_order_no: r.backend_order_no,
        customer_code: r.customer_code,
        job_no: r.job_no,
        job_status: r.job_status,
        tracking_number: r.tracking_number,
        status_at: r.status_at,
        created_at: iso8601(r.created_at),
        updated_at: iso8601(r.updated_at),
        order,
        history: r
            .history
            .into_iter()
            .map(|e| OrderEvent {
                at: iso8601(e.at),
                kind: e.kind,
                detail: e.detail,
            })
            .collect(),
    })
}
