//! Check Connection: each step names what it verified, or fails with
//! precisely what is wrong: the host (unreachable, refused, TLS, not the
//! printIQ API), the login (printIQ answers a blank token for any wrong
//! credential and does not say which), the default customer code, the
//! webhook-service API name/key. Warnings: an empty category tree, an
//! inactive customer, no webhook-service credentials (no stock), printIQ's
//! own `IsWarning`s (in the log).

use serde_json::json;

use crate::sdk::diagnosis::Diagnosis;
use crate::sdk::json;
use crate::{ConnectionReport, PluginError, PrintIq};

impl PrintIq {
    pub(crate) fn check_connection_impl(&self) -> Result<ConnectionReport, PluginError> {
        let client = self.client();
        let code = &self.s.customer_code;
        let mut d = Diagnosis::default();

        client.login()?;
        d.pass(
            "endpoint reached",
            format!("printIQ answered at {}", self.s.api_url),
        );
        d.pass(
            "credentials accepted",
            format!(
                "logged in as {} with application {}",
                self.s.user_name, self.s.application_name
            ),
        );

        let tree = client
            .read("GetTreeNodes", &json!({"TreeNodeID": 0, "CustomerCode": code}))
            .map_err(|e| match e {
                PluginError::NotFound(m) | PluginError::Rejected(m) => PluginError::Configuration(format!(
                    "the default customer code {code} is not usable in printIQ ({m}): check the default customer code setting"
                )),
                other => other,
            })?;
        let categories = tree
            .get("TreeNodes")
            .and_then(|t| t.as_array())
            .map_or(0, Vec::len);
        d.pass(
            "default customer code",
            format!("customer {code} sees {categories} top-level categories"),
        );
        if categories == 0 {
            d.warn(format!(
                "customer {code} sees no categories: give it access to products in printIQ for node: mappings and the catalogue"
            ));
        }

        match (&self.s.api_name, &self.s.api_key) {
            (Some(_), Some(_)) => {
                let customer = client
                    .service_get(&format!("customerbycode/{}", crate::sdk::http::encode(code)))
                    .map_err(|e| match e {
                        PluginError::NotFound(m) => PluginError::Configuration(format!(
                            "the webhook service does not know customer {code} ({m}): check the default customer code"
                        )),
                        other => other,
                    })?;
                d.pass(
                    "webhook-service API key accepted",
                    format!(
                        "customer {code} is {}",
                        json::text_field(&customer.json, &["Name"]).unwrap_or_else(|| code.clone())
                    ),
                );
                if json::get(&customer.json, "Active").and_then(json::boolean) == Some(false) {
                    d.warn(format!("printIQ marks customer {code} inactive: orders for it may be refused"));
                }
            }
            (None, None) => d.warn(
                "no webhook-service API name and key: stock levels are not available",
            ),
            _ => d.warn(
                "only one of the webhook-service API name and key is set: set both for stock levels",
            ),
        }

        let origin = crate::sdk::url::origin(&self.s.api_url);
        Ok(d.report(
            &*self.p,
            &format!("Connected to printIQ at {origin}: logged in, customer {code} sees {categories} categories"),
        ))
    }
}

#[cfg(test)]
mod tests;
