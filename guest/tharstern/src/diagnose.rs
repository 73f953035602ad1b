//! Check Connection: authenticate, find the storefront customer, count the
//! products it sees; or say precisely what failed.
//!
//! Each failure has its own message (see `client::http_error` and
//! `client::interpret`): refused (allow-listing and port hint), DNS, TLS,
//! connect timeout, response timeout, denied by the platform's egress
//! policy, wrong path (404), not the Tharstern API (non-JSON), bad
//! credentials, unknown customer code.

use crate::Tharstern;
use crate::json;
use crate::sdk::diagnosis::Diagnosis;
use crate::{ConnectionReport, PluginError};

impl Tharstern {
    pub(crate) fn check_connection_impl(&self) -> Result<ConnectionReport, PluginError> {
        let client = self.client();
        let mut d = Diagnosis::default();

        // Always a fresh token: this is what verifies the credentials.
        client.authenticate()?;
        d.pass(
            "endpoint reached",
            format!("the Tharstern API answered at {}", self.s.api_url),
        );
        d.pass(
            "credentials accepted",
            format!(
                "an API token was generated for {} (application ID {})",
                self.s.email, self.s.application_id
            ),
        );

        let code = &self.s.customer_code;
        let Some(name) = self.customer_exists(code)? else {
            return Err(PluginError::Configuration(format!(
                "the storefront customer code {code} does not exist in Tharstern: check the customer_code setting (the code of an existing Tharstern customer)"
            )));
        };
        d.pass(
            "storefront customer code exists",
            if name.is_empty() {
                format!("customer {code} exists")
            } else {
                format!("customer {code} is {name}")
            },
        );

        let reply = client.get(
            "products",
            &[("customerCode", code), ("page", "1"), ("pageSize", "1")],
        )?;
        let details = reply.details();
        let count = json::int_field(details, &["TotalItemCount", "TotalCount", "Total"])
            .unwrap_or(json::items(details).len() as i64)
            .max(0);
        let detail = if count == 0 {
            let w = format!(
                "no products are visible to customer {code}: give it product access in Tharstern to offer products"
            );
            d.warn(w.clone());
            w
        } else {
            format!("{count} products are visible to customer {code}")
        };
        d.pass("products visible", detail);
        let summary = format!(
            "Connected to Tharstern at {}: credentials accepted, customer {code} found, {count} products visible",
            self.s.origin()
        );
        Ok(d.report(&*self.p, &summary))
    }
}

#[cfg(test)]
mod tests;
