//! Check Connection: authenticate, find the storefront customer, count the
//! products it sees; or say precisely what failed.
//!
//! Each failure has its own message (see `client::http_error` and
//! `client::interpret`): refused (allow-listing and port hint), DNS, TLS,
//! connect timeout, response timeout, denied by the platform's egress
//! policy, wrong path (404), not the Tharstern API (non-JSON), bad
//! credentials, unknown customer code.

use crate::LogLevel;
use crate::Tharstern;
use crate::json;
use crate::{Check, ConnectionReport, PluginError};

impl Tharstern {
    pub(crate) fn check_connection_impl(&self) -> Result<ConnectionReport, PluginError> {
        let client = self.client();
        let mut checks = Vec::new();

        // Always a fresh token: this is what verifies the credentials.
        client.authenticate()?;
        checks.push(Check {
            name: "endpoint reached".into(),
            detail: format!("the Tharstern API answered at {}", self.s.api_url),
        });
        checks.push(Check {
            name: "credentials accepted".into(),
            detail: format!(
                "an API token was generated for {} (application ID {})",
                self.s.email, self.s.application_id
            ),
        });

        let code = &self.s.customer_code;
        let Some(name) = self.customer_exists(code)? else {
            return Err(PluginError::Configuration(format!(
                "the storefront customer code {code} does not exist in Tharstern: check the customer_code setting (the code of an existing Tharstern customer)"
            )));
        };
        checks.push(Check {
            name: "storefront customer code exists".into(),
            detail: if name.is_empty() {
                format!("customer {code} exists")
            } else {
                format!("customer {code} is {name}")
            },
        });

        let reply = client.get(
            "products",
            &[("customerCode", code), ("page", "1"), ("pageSize", "1")],
        )?;
        let details = reply.details();
        let count = json::int_field(details, &["TotalItemCount", "TotalCount", "Total"])
            .unwrap_or(json::items(details).len() as i64)
            .max(0);
        let mut warnings = Vec::new();
        let detail = if count == 0 {
            let w = format!(
                "no products are visible to customer {code}: give it product access in Tharstern to offer products"
            );
            warnings.push(w.clone());
            w
        } else {
            format!("{count} products are visible to customer {code}")
        };
        checks.push(Check {
            name: "products visible".into(),
            detail,
        });
        let summary = format!(
            "Connected to Tharstern at {}: credentials accepted, customer {code} found, {count} products visible",
            self.s.origin()
        );
        self.p.log(LogLevel::Info, &summary);
        Ok(ConnectionReport {
            summary,
            checks,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests;
