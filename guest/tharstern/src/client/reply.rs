//! Reading Tharstern's answers: the `{Status, Details}` envelope, exact
//! numbers, validation problems, and the operator's message for every
//! failure (transport, HTTP status, not the Tharstern API at all).

use serde_json::Value;

use crate::json::{self, Step};
use crate::sdk::http::clip;
use crate::settings::Settings;
use crate::{HttpError, HttpResponse, PluginError};

/// A parsed answer from the API.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body text (for reading exact numbers with [`Reply::raw`]).
    pub body: String,
    pub json: Value,
    /// Whether the body was a `{Status, Details}` envelope.
    pub enveloped: bool,
}

impl Reply {
    /// `Status.Success` (true when absent).
    pub fn success(&self) -> bool {
        json::path(&self.json, &["Status", "Success"])
            .and_then(json::boolean)
            .unwrap_or(true)
    }

    /// `Status.Message`, when non-empty.
    pub fn message(&self) -> Option<String> {
        json::path(&self.json, &["Status", "Message"])
            .and_then(json::text)
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
    }

    /// `Details` (the whole body when it is no envelope).
    pub fn details(&self) -> &Value {
        if self.enveloped {
            json::get(&self.json, "Details").unwrap_or(&Value::Null)
        } else {
            &self.json
        }
    }

    /// Exact source text below `Details` (numbers without floats).
    pub fn raw(&self, steps: &[Step<'_>]) -> Option<&str> {
        if self.enveloped {
            let mut full = Vec::with_capacity(steps.len() + 1);
            full.push(Step::Key("Details"));
            full.extend_from_slice(steps);
            json::raw_at(&self.body, &full)
        } else {
            json::raw_at(&self.body, steps)
        }
    }

    /// Validation problems of a 400 (or a failed envelope), as one text.
    pub fn problems(&self) -> String {
        let mut out: Vec<String> = Vec::new();
        let details = self.details();
        let problems = json::path(details, &["Result", "Problems"])
            .or_else(|| json::get(details, "Problems"))
            .or_else(|| json::get(&self.json, "Problems"));
        if let Some(Value::Array(list)) = problems {
            for p in list {
                let text = json::text(p).or_else(|| {
                    json::text_field(p, &["Message", "Description", "Text", "Problem"])
                });
                if let Some(t) = text {
                    out.push(t);
                }
            }
        }
        let model_state =
            json::get(details, "ModelState").or_else(|| json::get(&self.json, "ModelState"));
        if let Some(Value::Object(map)) = model_state {
            for (field, msgs) in map {
                match msgs {
                    Value::Array(list) => {
                        for m in list.iter().filter_map(json::text) {
                            out.push(if field.is_empty() {
                                m
                            } else {
                                format!("{field}: {m}")
                            });
                        }
                    }
                    other => {
                        if let Some(m) = json::text(other) {
                            out.push(format!("{field}: {m}"));
                        }
                    }
                }
            }
        }
        if out.is_empty() {
            if let Some(m) = self.message() {
                out.push(m);
            } else if let Some(m) = json::text_field(&self.json, &["Message", "error"]) {
                out.push(m);
            }
        }
        clip(&out.join("; "), 1000)
    }
}

/// Map a transport failure to a plugin error naming the likely cause.
pub fn http_error(s: &Settings, what: &str, e: &HttpError) -> PluginError {
    let origin = s.origin();
    let host = s.host();
    let port = s.port();
    match e {
        HttpError::ConnectionRefused => PluginError::Unreachable(format!(
            "{origin} refused the connection on port {port} ({what}): check the host and port in \
             the API URL and that the Tharstern API is running; the Tharstern server or its \
             firewall may need to allow-list this platform's outgoing IP addresses"
        )),
        HttpError::Dns(d) => PluginError::Unreachable(format!(
            "the host name `{host}` could not be resolved (DNS: {d}): check the host name in the API URL"
        )),
        HttpError::Tls(d) => PluginError::Unreachable(format!(
            "the secure (TLS) connection to {origin} failed ({d}): check that the server serves \
             https on port {port} with a valid certificate, or use http:// if it does not use TLS"
        )),
        HttpError::ConnectTimeout => PluginError::Unreachable(format!(
            "no connection to {origin} could be made in time (port {port}): the server may be \
             down, or a firewall silently drops this platform's connections; the Tharstern server \
             may need to allow-list this platform's outgoing IP addresses"
        )),
        HttpError::ResponseTimeout => PluginError::Unreachable(format!(
            "Tharstern at {origin} accepted the connection but did not answer {what} in time; it \
             may be overloaded, try again later"
        )),
        HttpError::Denied(d) => PluginError::Configuration(format!(
            "the platform's egress policy denied the request to {origin} ({d}): this endpoint is \
             not on this storefront's allow-list, which follows the API URL setting; save the \
             settings again or ask the platform operator"
        )),
        HttpError::ConnectionClosed => PluginError::Unreachable(format!(
            "the connection to {origin} broke before Tharstern answered {what}; try again"
        )),
        HttpError::TooLarge => PluginError::Internal(format!(
            "Tharstern's answer to {what} exceeded the size limit"
        )),
        HttpError::Other(d) => PluginError::Unreachable(format!(
            "the request {what} to {origin} failed: {}",
            clip(d, 300)
        )),
    }
}

/// Turn an HTTP response into a [`Reply`] or a typed error.
pub fn interpret(s: &Settings, what: &str, resp: HttpResponse) -> Result<Reply, PluginError> {
    interpret_flagged(s, what, resp).map_err(|(e, _)| e)
}

/// As [`interpret`]; an error also says whether it is worth one immediate
/// retry of a safe request (a broken or truncated JSON answer).
pub(super) fn interpret_flagged(
    s: &Settings,
    what: &str,
    resp: HttpResponse,
) -> Result<Reply, (PluginError, bool)> {
    let status = resp.status;
    let content_type = resp
        .header("content-type")
        .unwrap_or("no content type")
        .to_string();
    let retry_after = resp.header("retry-after").map(str::to_string);
    let mut body = match String::from_utf8(resp.body) {
        Ok(b) => b,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    if body.starts_with('\u{feff}') {
        body.drain(..'\u{feff}'.len_utf8());
    }
    let trimmed = body.trim_start();
    let parsed: Option<Value> = if trimmed.is_empty() {
        None
    } else {
        serde_json::from_str(&body).ok()
    };
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');

    let Some(json) = parsed else {
        if looks_json && !matches!(status, 404 | 401) {
            return Err((
                PluginError::Unreachable(format!(
                    "Tharstern's answer to {what} was incomplete or malformed JSON (HTTP {status}); try again"
                )),
                true,
            ));
        }
        return Err((
            match status {
                404 => wrong_path(s, what),
                401 => PluginError::Authentication(format!(
                    "Tharstern refused the API token for {what} (HTTP 401) even after generating a new one: check the API user's permissions"
                )),
                408 | 429 | 500..=599 => {
                    server_unavailable(what, status, None, retry_after.as_deref())
                }
                _ => PluginError::Configuration(format!(
                    "{} answered {what} with something that is not the Tharstern API (HTTP {status}, \
                 {content_type}, not JSON): is the API URL right? It should point to the \
                 Tharstern API server and end with /TharsternAPI/api/",
                    s.origin()
                )),
            },
            false,
        ));
    };
    let enveloped = json.is_object()
        && (json::get(&json, "Status").is_some() || json::get(&json, "Details").is_some());
    let reply = Reply {
        status,
        headers: resp.headers,
        body,
        json,
        enveloped,
    };
    let result = match status {
        200..=299 => Ok(reply),
        400 | 409 | 422 => Err(PluginError::Rejected(format!(
            "Tharstern rejected {what}: {}",
            reply.problems()
        ))),
        401 => Err(PluginError::Authentication(format!(
            "Tharstern refused the API token for {what} (HTTP 401) even after generating a new one: check the API user's permissions"
        ))),
        403 => Err(PluginError::Authentication(format!(
            "Tharstern does not allow the API user to do {what} (HTTP 403): check the user's permissions in Tharstern"
        ))),
        404 if reply.enveloped && !no_route(&reply) => Err(PluginError::NotFound(format!(
            "Tharstern found nothing for {what}: {}",
            reply.message().unwrap_or_else(|| "not found".into())
        ))),
        404 => Err(wrong_path(s, what)),
        408 | 429 | 500..=599 => Err(server_unavailable(
            what,
            status,
            reply.message(),
            retry_after.as_deref(),
        )),
        _ => Err(PluginError::Rejected(format!(
            "Tharstern answered {what} with HTTP {status}: {}",
            reply.problems()
        ))),
    };
    result.map_err(|e| (e, false))
}

/// ASP.NET's answer for a path no route matches.
fn no_route(reply: &Reply) -> bool {
    reply
        .message()
        .or_else(|| json::text_field(&reply.json, &["Message"]))
        .is_some_and(|m| m.to_ascii_lowercase().contains("no http resource"))
}

pub(super) fn wrong_path(s: &Settings, what: &str) -> PluginError {
    PluginError::Configuration(format!(
        "{} has no Tharstern API at {} (HTTP 404 for {what}): is the API URL right? It should end \
         with /TharsternAPI/api/, e.g. https://mis.example.com/TharsternAPI/api/",
        s.origin(),
        s.api_url
    ))
}

fn server_unavailable(
    what: &str,
    status: u16,
    message: Option<String>,
    retry_after: Option<&str>,
) -> PluginError {
    let detail = message
        .map(|m| format!(": {}", clip(&m, 300)))
        .unwrap_or_default();
    match status {
        429 => PluginError::Unreachable(format!(
            "Tharstern is rate-limiting requests (HTTP 429 for {what}){}; try again later",
            retry_after
                .map(|r| format!(", retry after {} s", r.trim()))
                .unwrap_or_default()
        )),
        408 => PluginError::Unreachable(format!(
            "Tharstern timed out on {what} (HTTP 408); try again"
        )),
        _ => PluginError::Unreachable(format!(
            "Tharstern failed on {what} (HTTP {status}, a server error{detail}); try again later"
        )),
    }
}
