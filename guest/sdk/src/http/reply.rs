//! Reading a JSON backend's answers: [`JsonReply`] (the parsed JSON with
//! its exact text, for money), [`status_error`] (an HTTP failure worded for
//! the operator) and [`read_json`] (both, with the checks every backend
//! needs: a size bound, truncated JSON retried, a page that is not the API).

use serde_json::Value;

use super::{Failure, body_text, clip};
use crate::PluginError;
use crate::json::{self, Step};
use crate::platform::HttpResponse;

/// A successful answer: its text and its JSON.
#[derive(Debug, Clone)]
pub struct JsonReply {
    /// The body text, for exact numbers ([`JsonReply::raw`]).
    pub body: String,
    pub json: Value,
}

impl JsonReply {
    pub fn get(&self, key: &str) -> Option<&Value> {
        json::get(&self.json, key)
    }

    /// The exact source text at `steps` (money without floats).
    pub fn raw(&self, steps: &[Step<'_>]) -> Option<&str> {
        json::raw_at(&self.body, steps)
    }
}

/// Backend `name` at `origin` answered `what` with the failure `status`.
pub fn status_error(name: &str, origin: &str, what: &str, status: u16, body: &str) -> PluginError {
    let body = clip(body.trim(), 300);
    match status {
        401 | 403 => PluginError::Authentication(format!(
            "{name} refused the credentials for {what} (HTTP {status}): check the credential settings"
        )),
        404 => PluginError::Configuration(format!(
            "{origin} has no {name} API for {what} (HTTP 404): check the API URL"
        )),
        400 => PluginError::Rejected(format!("{name} could not read {what} (HTTP 400): {body}")),
        408 | 429 | 500..=599 => PluginError::Unreachable(format!(
            "{name} failed on {what} (HTTP {status}); try again later"
        )),
        _ => PluginError::Rejected(format!("{name} answered {what} with HTTP {status}: {body}")),
    }
}

/// `origin` answered `what` with `got` (e.g. "an HTML page"), not the API.
pub fn not_the_api(name: &str, origin: &str, what: &str, got: &str) -> PluginError {
    PluginError::Configuration(format!(
        "{origin} answered {what} with {got}, not the {name} API: check the API URL"
    ))
}

/// A 2xx answer of at most `max` bytes as JSON; any other status through
/// `on_status` (usually [`status_error`], or the backend's own wording
/// first). Truncated JSON is worth one retry; text that is not JSON means
/// the API URL points elsewhere.
pub fn read_json(
    name: &str,
    origin: &str,
    what: &str,
    resp: HttpResponse,
    max: usize,
    on_status: impl FnOnce(u16, &str) -> PluginError,
) -> Result<JsonReply, Failure> {
    if resp.body.len() > max {
        return Err(PluginError::Internal(format!(
            "{name}'s answer to {what} is larger than {max} bytes; not read"
        ))
        .into());
    }
    let body = body_text(&resp);
    if !(200..300).contains(&resp.status) {
        return Err(on_status(resp.status, &body).into());
    }
    match serde_json::from_str::<Value>(&body) {
        Ok(json) => Ok(JsonReply { body, json }),
        Err(_) if body.trim_start().starts_with(['{', '[']) => Err(Failure {
            error: PluginError::Unreachable(format!(
                "{name}'s answer to {what} was incomplete JSON; try again"
            )),
            retry: true,
        }),
        Err(_) => Err(not_the_api(name, origin, what, "something that is not JSON").into()),
    }
}
