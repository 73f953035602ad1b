//! The printIQ API as the SDK's HTTP client speaks it: the QuoteProcess
//! login token (cached in the tenant cache, sent as `?LoginToken=`, renewed
//! once when printIQ calls it invalid), the webhook-service headers, and
//! printIQ's answers: HTTP 200 with `IsError`/`ErrorMessage` (and
//! `IsWarning`/`WarningMessage`, logged) mapped onto typed errors.

use serde_json::Value;

use crate::sdk::cache::Token;
use crate::sdk::errors;
use crate::sdk::http::{self, Api, Failure, JsonReply, clip};
use crate::sdk::json;
use crate::sdk::platform::Log;
use crate::sdk::url::origin;
use crate::settings::Settings;
use crate::{HttpError, HttpResponse, Method, Platform, PluginError};

pub const QUOTE_PROCESS: &str = "/api/QuoteProcess/";
pub const WEBHOOK_SERVICE: &str = "/WebService/WebHook.svc/json/";
const LOGIN: &str = "GetApplicationLogInToken";
/// printIQ's token lifetime is not published (the simulator: 60 minutes,
/// sliding); an "invalid token" answer logs in again anyway.
pub const TOKEN_TTL_SECS: u32 = 50 * 60;
/// Largest answer read; anything bigger is refused unread.
pub const MAX_BODY: usize = 8 << 20;

/// Which of printIQ's two APIs a request goes to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `/api/QuoteProcess/...`: `?LoginToken=`, JSON POSTs.
    QuoteProcess,
    /// `/WebService/WebHook.svc/json/...`: `PrintIQ-API-Name`/`-Key` headers.
    WebHook,
}

/// An answer printIQ gave without error.
pub type Reply = JsonReply;

/// The secrets (and the cached login token), for [`errors::redact`].
pub fn secrets(p: &dyn Platform, s: &Settings) -> Vec<String> {
    let token = login_token(p, s).cached().filter(|t| t.len() >= 6);
    s.secrets()
        .into_iter()
        .map(String::from)
        .chain(token)
        .collect()
}

/// `text` with every secret (and the cached token) replaced by `***`.
pub fn redact(p: &dyn Platform, s: &Settings, text: String) -> String {
    errors::redact(text, &secrets(p, s))
}

/// The cached login token of these credentials.
pub fn login_token<'a>(p: &'a dyn Platform, s: &Settings) -> Token<'a> {
    let (u, pw, n, k) = (
        &s.user_name,
        &s.password,
        &s.application_name,
        &s.application_key,
    );
    Token::new(p, &[&s.api_url, u, pw, n, k], TOKEN_TTL_SECS)
}

pub struct PrintIqApi<'a> {
    p: &'a dyn Platform,
    s: &'a Settings,
    service: Service,
}

impl PrintIqApi<'_> {
    /// Log in (`GetApplicationLogInToken`) and cache the token. A blank
    /// token means the credentials were refused; it is never cached.
    pub fn login(&self) -> Result<String, PluginError> {
        let s = self.s;
        let what = format!("POST {LOGIN}");
        let url = http::url(
            &s.api_url,
            &format!("{QUOTE_PROCESS}{LOGIN}"),
            &[
                ("UserName", &s.user_name),
                ("Password", &s.password),
                ("ApplicationName", &s.application_name),
                ("ApplicationKey", &s.application_key),
            ],
        );
        let resp = http::send_once(self.p, self, Method::Post, &what, url)?;
        if !(200..300).contains(&resp.status) {
            return Err(self.status_error(&what, resp.status, &http::body_text(&resp)));
        }
        let body = http::body_text(&resp);
        let body = body.trim();
        let token = match serde_json::from_str::<Value>(body) {
            Ok(Value::String(t)) => t,
            Ok(v) if json::get(&v, "IsError").and_then(json::boolean) == Some(true) => {
                return Err(PluginError::Authentication(format!(
                    "printIQ refused the login: {}; check the user name, password, application name and application key",
                    clip(
                        &json::text_field(&v, &["ErrorMessage"]).unwrap_or_default(),
                        300
                    )
                )));
            }
            Ok(_) => return Err(not_printiq(s, &what, "an unexpected JSON answer")),
            Err(_) if body.starts_with('<') => return Err(not_printiq(s, &what, "an HTML page")),
            Err(_) => body.trim_matches('"').to_string(),
        };
        let token = token.trim().to_string();
        if token.is_empty() {
            return Err(PluginError::Authentication(
                "printIQ refused the login (it answered an empty token): the user name, password, \
                 application name or application key is wrong (printIQ does not say which)"
                    .into(),
            ));
        }
        login_token(self.p, s).store(&token);
        self.p.debug("logged in to printIQ");
        Ok(token)
    }

    fn status_error(&self, what: &str, status: u16, body: &str) -> PluginError {
        let origin = origin(&self.s.api_url);
        match (status, self.service) {
            (401 | 403, Service::WebHook) => PluginError::Authentication(format!(
                "printIQ refused the webhook-service API name/key for {what} (HTTP {status}): check the API name and API key settings"
            )),
            (401 | 403, Service::QuoteProcess) => PluginError::Authentication(format!(
                "printIQ at {origin} refused {what} (HTTP {status}): printIQ may need to allow-list this platform's outgoing IP addresses"
            )),
            _ => http::status_error("printIQ", origin, what, status, body),
        }
    }
}

impl Api for PrintIqApi<'_> {
    type Reply = Reply;

    fn headers(&self) -> Vec<(String, String)> {
        headers()
    }

    fn authorise(&self, headers: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        if self.service == Service::WebHook {
            let (Some(name), Some(key)) = (&self.s.api_name, &self.s.api_key) else {
                return Err(PluginError::Configuration(
                    "the webhook-service API name and API key are not set: printIQ's stock and customer look-ups need them".into(),
                ));
            };
            headers.push(("PrintIQ-API-Name".into(), name.clone()));
            headers.push(("PrintIQ-API-Key".into(), key.clone()));
        }
        Ok(())
    }

    fn authorise_query(&self, query: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        if self.service == Service::QuoteProcess {
            query.push((
                "LoginToken".into(),
                login_token(self.p, self.s).get_or(|| self.login())?,
            ));
        }
        Ok(())
    }

    fn refused(&self, resp: &HttpResponse) -> bool {
        self.service == Service::QuoteProcess
            && resp.status == 200
            && resp.body.len() < 4096
            && serde_json::from_slice::<Value>(&resp.body)
                .ok()
                .and_then(|v| error_message(&v))
                .is_some_and(|m| is_token_error(&m))
    }

    fn reauthenticate(&self) -> Result<bool, PluginError> {
        if self.service == Service::WebHook {
            return Ok(false);
        }
        self.p
            .info("printIQ called the cached login token invalid; logging in again");
        login_token(self.p, self.s).forget();
        self.login()?;
        Ok(true)
    }

    fn transport_error(&self, what: &str, e: &HttpError) -> PluginError {
        http::transport_error("printIQ", origin(&self.s.api_url), what, e)
    }

    fn interpret(&self, what: &str, resp: HttpResponse) -> Result<Reply, Failure> {
        let origin = origin(&self.s.api_url);
        let reply = http::read_json("printIQ", origin, what, resp, MAX_BODY, |status, body| {
            self.status_error(what, status, body)
        })?;
        let json = &reply.json;
        if let Some(m) = error_message(json) {
            return Err(classify(what, &m).into());
        }
        if json::get(json, "IsWarning").and_then(json::boolean) == Some(true) {
            let m = json::text_field(json, &["WarningMessage"]).unwrap_or_default();
            self.p.warn(&redact(
                self.p,
                self.s,
                format!("printIQ warned on {what}: {}", clip(&m, 300)),
            ));
        }
        Ok(reply)
    }
}

/// `ErrorMessage` of an answer whose `IsError` is true.
pub fn error_message(v: &Value) -> Option<String> {
    (json::get(v, "IsError").and_then(json::boolean) == Some(true))
        .then(|| json::text_field(v, &["ErrorMessage"]).unwrap_or_else(|| "no reason given".into()))
}

fn is_token_error(m: &str) -> bool {
    let m = m.to_ascii_lowercase();
    m.contains("token") || m.contains("not logged in") || m.contains("session")
}

/// An `IsError` answer as a typed error; the message is printIQ's verbatim.
pub fn classify(what: &str, message: &str) -> PluginError {
    let m = message.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    let message = clip(message, 500);
    if is_token_error(&m) {
        // Only after a fresh login printIQ had just accepted: its sessions
        // are failing, not the credentials, so this is worth trying again.
        PluginError::Unreachable(format!(
            "printIQ refused the login token for {what} even after logging in again: {message}; try again later"
        ))
    } else if has(&[
        "call for price",
        "please call",
        "no price",
        "cannot be priced",
        "unable to price",
    ]) {
        PluginError::NoPrice(format!("printIQ gives no price: {message}"))
    } else if has(&[
        "not found",
        "invalid product code",
        "unknown",
        "does not exist",
        "no such",
    ]) {
        PluginError::NotFound(format!("printIQ: {message} ({what})"))
    } else {
        PluginError::Rejected(format!("printIQ rejected {what}: {message}"))
    }
}

fn not_printiq(s: &Settings, what: &str, got: &str) -> PluginError {
    http::not_the_api("printIQ", origin(&s.api_url), what, got)
}

fn headers() -> Vec<(String, String)> {
    vec![
        ("Accept".into(), "application/json".into()),
        (
            "User-Agent".into(),
            concat!("connect-printiq/", env!("CARGO_PKG_VERSION")).into(),
        ),
    ]
}

/// One storefront's printIQ client.
pub struct Client<'a> {
    qp: http::Client<'a, PrintIqApi<'a>>,
    ws: http::Client<'a, PrintIqApi<'a>>,
}

impl<'a> Client<'a> {
    pub fn new(p: &'a dyn Platform, s: &'a Settings) -> Self {
        let api = |service| PrintIqApi { p, s, service };
        Client {
            qp: http::Client::new(p, &s.api_url, api(Service::QuoteProcess)),
            ws: http::Client::new(p, &s.api_url, api(Service::WebHook)),
        }
    }

    /// A fresh login (check-connection).
    pub fn login(&self) -> Result<String, PluginError> {
        self.qp.api().login()
    }

    /// A QuoteProcess call that only reads: retried once on a transient failure.
    pub fn read(&self, endpoint: &str, body: &Value) -> Result<Reply, PluginError> {
        self.qp.post_read(
            &format!("{QUOTE_PROCESS}{endpoint}"),
            body.to_string().as_bytes(),
        )
    }

    /// A QuoteProcess call that creates something: never repeated here.
    pub fn create(&self, endpoint: &str, body: &Value) -> Result<Reply, PluginError> {
        self.qp.post(
            &format!("{QUOTE_PROCESS}{endpoint}"),
            body.to_string().as_bytes(),
        )
    }

    /// GET on the webhook-service API (`path` below `/json/`).
    pub fn service_get(&self, path: &str) -> Result<Reply, PluginError> {
        self.ws.get(&format!("{WEBHOOK_SERVICE}{path}"), &[])
    }
}

#[cfg(test)]
mod tests;
