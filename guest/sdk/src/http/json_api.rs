//! [`JsonApi`]: the [`Api`] of a plain REST/JSON backend, for simple
//! connectors (the SDK guide's minimal one).

use serde_json::Value;

use super::{Api, Failure, clip};
use crate::PluginError;
use crate::platform::{HttpError, HttpResponse};

/// A plain REST/JSON backend: JSON answers, static credentials in one
/// header, failures worded generically with the backend's name.
pub struct JsonApi<'a> {
    /// The backend's name in messages, e.g. "Acme MIS".
    pub name: &'a str,
    /// A header sent with every request, e.g. `("Authorization", "Bearer …")`.
    pub credentials: Option<(&'a str, &'a str)>,
}

impl Api for JsonApi<'_> {
    type Reply = Value;

    fn authorise(&self, headers: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        if let Some((k, v)) = self.credentials {
            headers.push((k.to_string(), v.to_string()));
        }
        Ok(())
    }

    fn transport_error(&self, what: &str, e: &HttpError) -> PluginError {
        let name = self.name;
        match e {
            HttpError::Denied(d) => PluginError::Configuration(format!(
                "the platform's egress policy denied {what} ({d}): the endpoint setting decides which host this plugin may reach"
            )),
            HttpError::TooLarge => {
                PluginError::Internal(format!("{name}'s answer to {what} exceeded the size limit"))
            }
            other => PluginError::Unreachable(format!(
                "{name} could not be reached for {what} ({}); check the endpoint setting, or try again later",
                clip(&format!("{other:?}"), 300)
            )),
        }
    }

    fn interpret(&self, what: &str, resp: HttpResponse) -> Result<Value, Failure> {
        let name = self.name;
        let status = resp.status;
        let text = String::from_utf8_lossy(&resp.body);
        let json = if text.trim().is_empty() {
            Ok(Value::Null)
        } else {
            serde_json::from_str::<Value>(&text)
        };
        match (status, json) {
            (200..=299, Ok(v)) => Ok(v),
            (200..=299, Err(_)) => Err(Failure {
                error: PluginError::Unreachable(format!(
                    "{name}'s answer to {what} was not valid JSON (HTTP {status}); try again"
                )),
                retry: true,
            }),
            (401 | 403, _) => Err(PluginError::Authentication(format!(
                "{name} refused the credentials for {what} (HTTP {status}): check the API key"
            ))
            .into()),
            (404, _) => Err(PluginError::NotFound(format!(
                "{name} found nothing for {what} (HTTP 404)"
            ))
            .into()),
            (408 | 429 | 500..=599, _) => Err(PluginError::Unreachable(format!(
                "{name} failed on {what} (HTTP {status}); try again later"
            ))
            .into()),
            _ => Err(PluginError::Rejected(format!(
                "{name} rejected {what} (HTTP {status}): {}",
                clip(text.trim(), 300)
            ))
            .into()),
        }
    }
}
