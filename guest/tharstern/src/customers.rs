//! Which Tharstern customer code a request runs under.
//!
//! Order: the department's own code (`customer.department-code`); else, when
//! `use_external_id_as_customer_code` is on and the user's email is known,
//! the Tharstern customer with that email (created when none exists), which
//! is answered as a `customer-link` for the host to store; else the
//! storefront customer code.

use std::ops::ControlFlow;

use serde_json::{Value, json};

use crate::LogLevel;
use crate::Tharstern;
use crate::client::Client;
use crate::json;
use crate::sdk::cache::{Cache, digest};
use crate::{CustomerContext, CustomerLink, PluginError};

/// How long one call may hold the right to create a given user's customer.
const LEASE_SECS: u32 = 10;

/// The resolved customer code, and the link when one was found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub code: String,
    pub link: Option<CustomerLink>,
}

impl Tharstern {
    /// Resolve without any I/O when possible (department code, default, or a
    /// cached link).
    pub(crate) fn resolve_customer(&self, ctx: &CustomerContext) -> Result<Resolved, PluginError> {
        if let Some(code) = ctx.department() {
            return Ok(Resolved {
                code: code.to_string(),
                link: None,
            });
        }
        let email = ctx
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| e.contains('@'));
        match email {
            Some(email) if self.s.use_external_id_as_customer_code => {
                self.link_by_email(email, ctx.name.as_deref())
            }
            _ => Ok(Resolved {
                code: self.s.customer_code.clone(),
                link: None,
            }),
        }
    }

    fn customer_cache_key(&self, email: &str) -> String {
        format!(
            "cust:{}",
            digest(&[&self.s.api_url, &email.to_ascii_lowercase()])
        )
    }

    fn link_by_email(&self, email: &str, name: Option<&str>) -> Result<Resolved, PluginError> {
        let key = self.customer_cache_key(email);
        if let Some(code) = self
            .p
            .cache_get(&key)
            .and_then(|v| String::from_utf8(v).ok())
            .filter(|c| !c.is_empty())
        {
            return Ok(Resolved {
                link: Some(CustomerLink {
                    email: email.to_string(),
                    customer_code: code.clone(),
                    created: false,
                }),
                code,
            });
        }
        let client = self.client();
        // One call at a time may create a given user's customer: another
        // instance of this tenant asking for the same new email waits for
        // its answer instead of creating a second customer.
        let lease_key = format!("lease:{key}");
        let lease = Cache::new(&*self.p).lease(&lease_key, LEASE_SECS);
        if lease.is_none() {
            let code = match Cache::new(&*self.p).wait_for(&key, &lease_key, LEASE_SECS) {
                Some(code) => String::from_utf8(code).ok(),
                None => find_by_email(&client, email)?,
            };
            let Some(code) = code.filter(|c| !c.is_empty()) else {
                return Err(PluginError::Unreachable(
                    "another request is still creating the Tharstern customer for this user; \
                     try again in a few seconds"
                        .into(),
                ));
            };
            return Ok(Resolved {
                link: Some(CustomerLink {
                    email: email.to_string(),
                    customer_code: code.clone(),
                    created: false,
                }),
                code,
            });
        }
        let (code, created) = match find_by_email(&client, email)? {
            Some(code) => (code, false),
            None => match create(&client, email, name) {
                Ok(code) => (code, true),
                // The create may have happened although its answer was lost
                // or unclear: look again before giving up (never create twice).
                Err(
                    e @ (PluginError::Unreachable(_)
                    | PluginError::Rejected(_)
                    | PluginError::Internal(_)),
                ) => match find_by_email(&client, email)? {
                    Some(code) => (code, true),
                    None => return Err(e),
                },
                Err(e) => return Err(e),
            },
        };
        self.p.log(
            LogLevel::Info,
            &format!(
                "{} Tharstern customer {code} for a storefront user",
                if created { "created" } else { "linked" }
            ),
        );
        self.p
            .cache_set(&key, code.as_bytes(), self.s.refresh_secs());
        drop(lease);
        Ok(Resolved {
            link: Some(CustomerLink {
                email: email.to_string(),
                customer_code: code.clone(),
                created,
            }),
            code,
        })
    }

    /// Whether a customer code exists in Tharstern; answers its name.
    pub(crate) fn customer_exists(&self, code: &str) -> Result<Option<String>, PluginError> {
        let found = self
            .client()
            .find_in_pages("customers", &[("customerCode", code)], |c| {
                json::text_field(c, &["Code", "CustomerCode"])
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
            })?;
        Ok(found.map(|c| json::text_field(&c, &["Name"]).unwrap_or_default()))
    }
}

/// The code of the customer whose email matches exactly (ignoring case).
/// The answer is filtered here too, in case the server ignores the filter;
/// every page is read, as several customers may share the email.
fn find_by_email(client: &Client<'_>, email: &str) -> Result<Option<String>, PluginError> {
    let mut oldest: Option<(i64, String)> = None;
    let walk = client.get_pages("customers", &[("email", email)], |_, items| {
        let matches = items
            .iter()
            .filter(|c| {
                json::text_field(c, &["Email", "EmailAddress"])
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .filter_map(|c| {
                let code = json::text_field(c, &["Code", "CustomerCode"])?;
                Some((json::int_field(c, &["ID", "Id"]).unwrap_or(i64::MAX), code))
            });
        // Several customers with one email: take the oldest, deterministically.
        oldest = oldest.take().into_iter().chain(matches).min();
        Ok(ControlFlow::Continue(()))
    })?;
    client.bound_reached(&walk, "customers");
    Ok(oldest.map(|(_, code)| code))
}

fn create(client: &Client<'_>, email: &str, name: Option<&str>) -> Result<String, PluginError> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(email);
    let body = json!({"Name": name, "Email": email});
    let reply = client.post("customers", body.to_string().as_bytes())?;
    let details = reply.details();
    let customer: &Value = json::get(details, "Customer").unwrap_or(details);
    match json::text_field(customer, &["Code", "CustomerCode"]) {
        Some(code) => Ok(code),
        None if !reply.success() => Err(PluginError::Rejected(format!(
            "Tharstern did not create a customer for the storefront user: {}",
            reply.problems()
        ))),
        None => Err(PluginError::Internal(
            "Tharstern created a customer but answered no customer code".into(),
        )),
    }
}

#[cfg(test)]
mod tests;
