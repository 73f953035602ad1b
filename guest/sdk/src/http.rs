//! A JSON HTTP client over [`Platform::http`]: URLs and query encoding,
//! credentials with one re-authentication on a 401, one immediate retry of
//! idempotent requests on a transient failure, and typed errors.
//!
//! What differs per backend (how it authenticates, what its answers look
//! like, how its failures are worded for the operator) is an [`Api`]; the
//! request discipline is [`Client`]'s. [`JsonApi`] is a plain REST/JSON
//! [`Api`] for simple backends.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::PluginError;
use crate::platform::{HttpError, HttpRequest, HttpResponse, Log, Method, Platform};
use crate::retry::{Attempt, at_most_twice};

/// An error from [`Api::interpret`], saying whether one immediate retry of
/// an idempotent request is worth it (e.g. a truncated answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: PluginError,
    pub retry: bool,
}

impl From<PluginError> for Failure {
    fn from(error: PluginError) -> Self {
        Failure {
            error,
            retry: false,
        }
    }
}

/// How one backend's API is spoken.
pub trait Api {
    /// A successful answer, as the connector reads it.
    type Reply;
    /// Headers every request carries (e.g. `Accept`, `User-Agent`).
    fn headers(&self) -> Vec<(String, String)> {
        vec![("Accept".into(), "application/json".into())]
    }
    /// Add credentials to a request, before each attempt.
    fn authorise(&self, headers: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        let _ = headers;
        Ok(())
    }
    /// Add credentials to the query, before each attempt, for a backend that
    /// takes its token in the URL (printIQ's `?LoginToken=`). The query is
    /// never logged.
    fn authorise_query(&self, query: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        let _ = query;
        Ok(())
    }
    /// Whether `resp` says the credentials were refused, so they are renewed
    /// once ([`Api::reauthenticate`]): HTTP 401 here; a backend that answers
    /// an expired token inside an HTTP 200 (printIQ) recognises it itself.
    fn refused(&self, resp: &HttpResponse) -> bool {
        resp.status == 401
    }
    /// The backend refused the credentials ([`Api::refused`]): forget cached
    /// ones and get fresh ones. `true` retries the request once with them.
    fn reauthenticate(&self) -> Result<bool, PluginError> {
        Ok(false)
    }
    /// A transport failure of `what` (e.g. `GET products?page=1`) as a plugin error.
    fn transport_error(&self, what: &str, e: &HttpError) -> PluginError;
    /// A response to `what` as a reply or an error.
    fn interpret(&self, what: &str, resp: HttpResponse) -> Result<Self::Reply, Failure>;
}

/// Statuses worth one immediate retry of an idempotent request.
pub fn transient_status(status: u16) -> bool {
    matches!(status, 408 | 500 | 502 | 503 | 504)
}

/// A client for one backend at `base` (an absolute URL that paths extend).
pub struct Client<'a, A: Api> {
    p: &'a dyn Platform,
    base: &'a str,
    api: A,
}

impl<'a, A: Api> Client<'a, A> {
    pub fn new(p: &'a dyn Platform, base: &'a str, api: A) -> Self {
        Client { p, base, api }
    }

    pub fn api(&self) -> &A {
        &self.api
    }

    pub fn platform(&self) -> &'a dyn Platform {
        self.p
    }

    /// `base + path + ?query` (query percent-encoded).
    pub fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        url(self.base, path, query)
    }

    /// Send with credentials; when they are refused ([`Api::refused`], a 401)
    /// re-authenticate once and retry once.
    /// A transport failure comes back unmapped so callers can judge it.
    pub fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Result<HttpResponse, HttpError>, PluginError> {
        at_most_twice(true, |last| {
            let mut headers = self.api.headers();
            if let Err(e) = self.api.authorise(&mut headers) {
                return Attempt::Done(Err(e));
            }
            let mut full: Vec<(String, String)> = query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            if let Err(e) = self.api.authorise_query(&mut full) {
                return Attempt::Done(Err(e));
            }
            let full: Vec<(&str, &str)> =
                full.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            if body.is_some() {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            let req = HttpRequest {
                method,
                url: self.url(path, &full),
                headers,
                body: body.map(<[u8]>::to_vec),
            };
            let resp = match self.p.http(req) {
                Ok(r) => r,
                Err(e) => return Attempt::Done(Ok(Err(e))),
            };
            self.p.debug(&format!(
                "{} {} -> HTTP {} ({} bytes)",
                method.as_str(),
                label(path, query),
                resp.status,
                resp.body.len()
            ));
            if !last && self.api.refused(&resp) {
                match self.api.reauthenticate() {
                    Ok(true) => return Attempt::Again,
                    Ok(false) => {}
                    Err(e) => return Attempt::Done(Err(e)),
                }
            }
            Attempt::Done(Ok(Ok(resp)))
        })
    }

    /// Send and interpret. An idempotent request is retried once at once on
    /// a transient failure (a timeout, a broken connection, a 408/5xx, or
    /// an answer [`Api::interpret`] flags); others never are (they may have
    /// taken effect: look the result up before any retry).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<A::Reply, PluginError> {
        self.request_as(method.is_idempotent(), method, path, query, body)
    }

    /// [`Client::request`], saying whether the request is safe to repeat
    /// (a read sent as a POST is).
    fn request_as(
        &self,
        idempotent: bool,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<A::Reply, PluginError> {
        let what = format!("{} {}", method.as_str(), label(path, query));
        at_most_twice(idempotent, |last| {
            match self.send(method, path, query, body) {
                Err(e) => Attempt::Done(Err(e)),
                Ok(Err(e)) if !last && e.is_transient() => {
                    self.p
                        .warn(&format!("{what} failed ({e:?}); retrying once"));
                    Attempt::Again
                }
                Ok(Err(e)) => Attempt::Done(Err(self.api.transport_error(&what, &e))),
                Ok(Ok(resp)) if !last && transient_status(resp.status) => {
                    self.p.warn(&format!(
                        "{what} answered HTTP {}; retrying once",
                        resp.status
                    ));
                    Attempt::Again
                }
                Ok(Ok(resp)) => match self.api.interpret(&what, resp) {
                    Err(f) if f.retry && !last => {
                        self.p
                            .warn(&format!("{what}: {}; retrying once", f.error.message()));
                        Attempt::Again
                    }
                    other => Attempt::Done(other.map_err(|f| f.error)),
                },
            }
        })
    }

    /// GET, retried once on a transient failure.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<A::Reply, PluginError> {
        self.request(Method::Get, path, query, None)
    }

    /// POST a JSON body; never retried here.
    pub fn post(&self, path: &str, body: &[u8]) -> Result<A::Reply, PluginError> {
        self.request(Method::Post, path, &[], Some(body))
    }

    /// POST a JSON body that only reads (an API that POSTs its queries, as
    /// printIQ's QuoteProcess does): retried once on a transient failure,
    /// like a GET.
    pub fn post_read(&self, path: &str, body: &[u8]) -> Result<A::Reply, PluginError> {
        self.request_as(true, Method::Post, path, &[], Some(body))
    }
}

impl<A: Api<Reply = Value>> Client<'_, A> {
    /// GET and read the JSON answer as `T`.
    pub fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, PluginError> {
        let v = self.get(path, query)?;
        serde_json::from_value(v).map_err(|e| {
            PluginError::Internal(format!(
                "unexpected answer to GET {}: {e}",
                label(path, query)
            ))
        })
    }
}

/// A transport failure of `what` to the backend `name` at `origin`, worded
/// for the operator with its likely cause (the endpoint setting is called
/// "API URL").
pub fn transport_error(name: &str, origin: &str, what: &str, e: &HttpError) -> PluginError {
    match e {
        HttpError::ConnectionRefused => PluginError::Unreachable(format!(
            "{origin} refused the connection ({what}): check the host and port of the API URL"
        )),
        HttpError::Dns(d) => PluginError::Unreachable(format!(
            "the host of {origin} could not be resolved (DNS: {d}): check the API URL"
        )),
        HttpError::Tls(d) => PluginError::Unreachable(format!(
            "the TLS connection to {origin} failed ({d}): check the scheme and port of the API URL"
        )),
        HttpError::ConnectTimeout => PluginError::Unreachable(format!(
            "no connection to {origin} in time ({what}): the host may be down, or a firewall drops this platform's connections ({name} may need to allow-list its IP addresses)"
        )),
        HttpError::ResponseTimeout => PluginError::Unreachable(format!(
            "{name} at {origin} did not answer {what} in time; try again later"
        )),
        HttpError::ConnectionClosed => PluginError::Unreachable(format!(
            "the connection to {origin} broke before {name} answered {what}; try again"
        )),
        HttpError::Denied(d) => PluginError::Configuration(format!(
            "the platform's egress policy denied {what} to {origin} ({d}): the API URL setting decides which host this plugin may reach"
        )),
        HttpError::TooLarge => {
            PluginError::Internal(format!("{name}'s answer to {what} exceeded the size limit"))
        }
        HttpError::Other(d) => {
            PluginError::Unreachable(format!("{what} to {origin} failed: {}", clip(d, 300)))
        }
    }
}

/// One request without credentials or retries (a login itself), with the
/// `api`'s headers: the response, or its transport failure as `api` words
/// it. Logged as `what`, never by its URL (which may hold credentials).
pub fn send_once<A: Api>(
    p: &dyn Platform,
    api: &A,
    method: Method,
    what: &str,
    url: String,
) -> Result<HttpResponse, PluginError> {
    let req = HttpRequest {
        method,
        url,
        headers: api.headers(),
        body: None,
    };
    let resp = p.http(req).map_err(|e| api.transport_error(what, &e))?;
    p.debug(&format!(
        "{what} -> HTTP {} ({} bytes)",
        resp.status,
        resp.body.len()
    ));
    Ok(resp)
}

/// The body of a response as text, without a UTF-8 byte order mark.
pub fn body_text(resp: &HttpResponse) -> String {
    let t = String::from_utf8_lossy(&resp.body);
    t.strip_prefix('\u{feff}').unwrap_or(&t).to_string()
}

/// `base + path + ?query`, each query key and value percent-encoded.
pub fn url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let mut url = format!("{base}{path}");
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(&encode(k));
        url.push('=');
        url.push_str(&encode(v));
    }
    url
}

/// `path?query` for messages and logs (not encoded; never for secrets).
pub fn label(path: &str, query: &[(&str, &str)]) -> String {
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if q.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", q.join("&"))
    }
}

/// Everything but RFC 3986's unreserved characters is encoded.
const QUERY_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encode a query component (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_COMPONENT).to_string()
}

/// Percent-decode a query component (`+` is a space; a `%` not followed
/// by two hex digits is kept as it is; invalid UTF-8 is replaced).
pub fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// The value of parameter `name` (matched ignoring ASCII case) in a query
/// string (with or without its leading `?`), percent-decoded.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| decode(k).eq_ignore_ascii_case(name))
        .map(|(_, v)| decode(v))
}

/// At most `max` bytes of `s` (on a character boundary), `...` when cut.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

mod json_api;
mod reply;

pub use json_api::JsonApi;
pub use reply::{JsonReply, not_the_api, read_json, status_error};

#[cfg(test)]
mod tests;
