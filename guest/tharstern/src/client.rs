//! The Tharstern API client: URLs, authentication (token cached in the
//! tenant cache, re-authentication once on a 401), the response envelope,
//! paging, bounded retries of safe requests, and error mapping.

use base64::Engine;
use serde_json::Value;

use crate::json::{self, Step};
use crate::platform::{HttpError, HttpRequest, HttpResponse, LogLevel, Method, Platform};
use crate::settings::Settings;
use crate::types::PluginError;

/// How long a token is reused before a new one is generated. Tharstern's
/// token lifetime is not documented; a 401 re-authenticates anyway.
pub const TOKEN_TTL_SECS: u32 = 15 * 60;
/// What Tharstern answers for bad credentials.
pub const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";
/// Safety bound on paging loops.
const MAX_PAGES: u32 = 10_000;
const AUTH_PATH: &str = "authentication/GenerateAPIToken";

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

/// A client for one storefront's Tharstern API.
pub struct Client<'a, P: Platform> {
    p: &'a P,
    s: &'a Settings,
}

impl<'a, P: Platform> Client<'a, P> {
    pub fn new(p: &'a P, s: &'a Settings) -> Self {
        Client { p, s }
    }

    /// Cache key of the API token: a hash of the credentials, so it changes
    /// with them without containing the password.
    pub fn token_cache_key(&self) -> String {
        format!(
            "token:{}",
            crate::digest(&[
                &self.s.api_url,
                &self.s.email,
                &self.s.password,
                &self.s.application_id
            ])
        )
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> String {
        let mut url = format!("{}{}", self.s.api_url, path);
        for (i, (k, v)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode(k));
            url.push('=');
            url.push_str(&encode(v));
        }
        url
    }

    /// `path?query` for messages and logs (never used for the auth call).
    fn label(path: &str, query: &[(&str, &str)]) -> String {
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if q.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", q.join("&"))
        }
    }

    /// Generate a fresh token (GenerateAPIToken) and cache it.
    pub fn authenticate(&self) -> Result<String, PluginError> {
        let url = self.url(
            AUTH_PATH,
            &[
                ("email", &self.s.email),
                ("password", &self.s.password),
                ("applicationId", &self.s.application_id),
            ],
        );
        let req = HttpRequest {
            method: Method::Get,
            url,
            headers: base_headers(),
            body: None,
        };
        let resp = self
            .p
            .http(req)
            .map_err(|e| http_error(self.s, "GET authentication/GenerateAPIToken", &e))?;
        self.log_response("GET", AUTH_PATH, &resp);
        if resp.status == 401 || resp.status == 403 {
            return Err(bad_credentials());
        }
        // GenerateAPIToken always exists: a 404 means the URL is wrong.
        if resp.status == 404 {
            return Err(wrong_path(self.s, "GET authentication/GenerateAPIToken"));
        }
        let reply = interpret(self.s, "GET authentication/GenerateAPIToken", resp)?;
        let token = json::get(reply.details(), "Token")
            .and_then(json::text)
            .or_else(|| reply.details().as_str().map(str::to_string))
            .map(|t| t.trim().trim_matches('"').to_string())
            .unwrap_or_default();
        if token.is_empty() || token == ZERO_GUID || token.trim_matches(['0', '-']).is_empty() {
            return Err(bad_credentials());
        }
        if !reply.success() {
            return Err(PluginError::Authentication(format!(
                "Tharstern refused to generate an API token ({}): check the email, password and application ID settings",
                reply.message().unwrap_or_else(|| "no reason given".into())
            )));
        }
        self.p
            .cache_set(&self.token_cache_key(), token.as_bytes(), TOKEN_TTL_SECS);
        self.p
            .log(LogLevel::Debug, "generated a new Tharstern API token");
        Ok(token)
    }

    fn token(&self) -> Result<String, PluginError> {
        if let Some(t) = self.p.cache_get(&self.token_cache_key())
            && let Ok(t) = String::from_utf8(t)
            && !t.is_empty()
        {
            return Ok(t);
        }
        self.authenticate()
    }

    /// Send with the token; on a 401 re-authenticate once and retry once.
    /// A transport failure comes back unmapped so callers can judge it.
    fn send_authed(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Result<HttpResponse, HttpError>, PluginError> {
        let label = Self::label(path, query);
        let mut token = self.token()?;
        for attempt in 0..2 {
            let mut headers = base_headers();
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
            headers.push(("Authorization".into(), format!("Basic {basic}")));
            if body.is_some() {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            let req = HttpRequest {
                method,
                url: self.url(path, query),
                headers,
                body: body.map(<[u8]>::to_vec),
            };
            let resp = match self.p.http(req) {
                Ok(r) => r,
                Err(e) => return Ok(Err(e)),
            };
            self.log_response(method.as_str(), &label, &resp);
            if resp.status == 401 && attempt == 0 {
                self.p.log(
                    LogLevel::Info,
                    "Tharstern refused the cached API token (401); generating a new one",
                );
                self.p.cache_delete(&self.token_cache_key());
                token = self.authenticate()?;
                continue;
            }
            return Ok(Ok(resp));
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// GET, retried once at once on a transient failure (a timeout, a broken
    /// connection, a 5xx): GETs are safe to repeat.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Reply, PluginError> {
        let what = format!("GET {}", Self::label(path, query));
        for attempt in 0..2 {
            let last = attempt == 1;
            match self.send_authed(Method::Get, path, query, None)? {
                Err(e) if !last && transient_http(&e) => {
                    self.p.log(
                        LogLevel::Warn,
                        &format!("{what} failed ({e:?}); retrying once"),
                    );
                }
                Err(e) => return Err(http_error(self.s, &what, &e)),
                Ok(resp) if !last && transient_status(resp.status) => {
                    self.p.log(
                        LogLevel::Warn,
                        &format!("{what} answered HTTP {}; retrying once", resp.status),
                    );
                }
                Ok(resp) => match interpret_flagged(self.s, &what, resp) {
                    Err((e, true)) if !last => {
                        self.p.log(
                            LogLevel::Warn,
                            &format!("{what}: {}; retrying once", e.message()),
                        );
                    }
                    other => return other.map_err(|(e, _)| e),
                },
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    /// POST a JSON body. Never retried here on a transient failure (it may
    /// have taken effect): callers look the result up before any retry.
    pub fn post(&self, path: &str, body: &[u8]) -> Result<Reply, PluginError> {
        let what = format!("POST {path}");
        match self.send_authed(Method::Post, path, &[], Some(body))? {
            Ok(resp) => interpret(self.s, &what, resp),
            Err(e) => Err(http_error(self.s, &what, &e)),
        }
    }

    /// Walk a paged list, calling `on_items` with each page's items; answers
    /// (items seen, TotalItemCount when given).
    pub fn get_pages(
        &self,
        path: &str,
        query: &[(&str, &str)],
        page_size: u32,
        mut on_items: impl FnMut(&[Value]) -> Result<(), PluginError>,
    ) -> Result<(u64, Option<u64>), PluginError> {
        let mut seen = 0u64;
        let mut total = None;
        let size = page_size.to_string();
        for page in 1..=MAX_PAGES {
            let page_s = page.to_string();
            let mut q: Vec<(&str, &str)> = query.to_vec();
            q.push(("page", &page_s));
            q.push(("pageSize", &size));
            let reply = self.get(path, &q)?;
            let details = reply.details();
            total = json::int_field(details, &["TotalItemCount", "TotalCount", "Total"])
                .map(|t| t.max(0) as u64)
                .or(total);
            let items = json::items(details);
            on_items(items)?;
            seen += items.len() as u64;
            if items.is_empty()
                || (items.len() as u32) < page_size
                || total.is_some_and(|t| seen >= t)
            {
                break;
            }
        }
        Ok((seen, total))
    }

    fn log_response(&self, method: &str, label: &str, resp: &HttpResponse) {
        self.p.log(
            LogLevel::Debug,
            &format!(
                "{method} {label} -> HTTP {} ({} bytes)",
                resp.status,
                resp.body.len()
            ),
        );
    }
}

fn base_headers() -> Vec<(String, String)> {
    vec![
        ("Accept".into(), "application/json".into()),
        (
            "User-Agent".into(),
            concat!("connect-tharstern/", env!("CARGO_PKG_VERSION")).into(),
        ),
    ]
}

fn bad_credentials() -> PluginError {
    PluginError::Authentication(
        "Tharstern did not accept the credentials (it answered an empty token): check the API \
         user's email and password, and that the application ID is filled in"
            .into(),
    )
}

/// Transport failures worth one immediate retry of a safe request.
fn transient_http(e: &HttpError) -> bool {
    matches!(
        e,
        HttpError::ResponseTimeout | HttpError::ConnectionClosed | HttpError::Other(_)
    )
}

/// Statuses worth one immediate retry of a safe request.
fn transient_status(status: u16) -> bool {
    matches!(status, 408 | 500 | 502 | 503 | 504)
}

/// Percent-encode a query component (everything but unreserved characters).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

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
fn interpret_flagged(
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

fn wrong_path(s: &Settings, what: &str) -> PluginError {
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
