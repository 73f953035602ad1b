//! The Tharstern API client: authentication (token cached in the tenant
//! cache, re-authentication once on a 401), the response envelope, paging
//! (`client/pages.rs`), and Tharstern's wording of every failure. The request discipline (one
//! retry of safe requests, the re-authentication itself) is the SDK's
//! [`http::Client`]; this module is Tharstern's [`Api`] for it.

use base64::Engine;

use crate::json;
use crate::sdk::cache::Token;
use crate::sdk::http::{self, Api, Failure};
use crate::sdk::platform::Log;
use crate::settings::Settings;
use crate::{HttpError, HttpResponse, Method, Platform, PluginError};

/// How long a token is reused before a new one is generated. Tharstern's
/// token lifetime is not documented; a 401 re-authenticates anyway.
pub const TOKEN_TTL_SECS: u32 = 15 * 60;
/// What Tharstern answers for bad credentials.
pub const ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";
const AUTH_PATH: &str = "authentication/GenerateAPIToken";

mod pages;
mod reply;

pub use pages::{End, MAX_PAGES, PAGE_SIZE, Walk};
pub use reply::{Reply, http_error, interpret};
use reply::{interpret_flagged, wrong_path};

/// Tharstern's API as the SDK's HTTP client speaks it.
pub struct TharsternApi<'a> {
    p: &'a dyn Platform,
    s: &'a Settings,
}

impl<'a> TharsternApi<'a> {
    /// The cached API token of these credentials (its key a hash of them).
    pub fn token(&self) -> Token<'a> {
        let s = self.s;
        let credentials = [&s.api_url, &s.email, &s.password, &s.application_id];
        Token::new(self.p, &credentials.map(String::as_str), TOKEN_TTL_SECS)
    }

    fn authenticate(&self) -> Result<String, PluginError> {
        let url = http::url(
            &self.s.api_url,
            AUTH_PATH,
            &[
                ("email", &self.s.email),
                ("password", &self.s.password),
                ("applicationId", &self.s.application_id),
            ],
        );
        let what = format!("GET {AUTH_PATH}");
        let resp = http::send_once(self.p, self, Method::Get, &what, url)?;
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
        self.token().store(&token);
        self.p.debug("generated a new Tharstern API token");
        Ok(token)
    }
}

impl Api for TharsternApi<'_> {
    type Reply = Reply;

    fn headers(&self) -> Vec<(String, String)> {
        base_headers()
    }

    fn authorise(&self, headers: &mut Vec<(String, String)>) -> Result<(), PluginError> {
        let token = self.token().get_or(|| self.authenticate())?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{token}:"));
        headers.push(("Authorization".into(), format!("Basic {basic}")));
        Ok(())
    }

    fn reauthenticate(&self) -> Result<bool, PluginError> {
        self.p
            .info("Tharstern refused the cached API token (401); generating a new one");
        self.token().forget();
        self.authenticate()?;
        Ok(true)
    }

    fn transport_error(&self, what: &str, e: &HttpError) -> PluginError {
        http_error(self.s, what, e)
    }

    fn interpret(&self, what: &str, resp: HttpResponse) -> Result<Reply, Failure> {
        interpret_flagged(self.s, what, resp).map_err(|(error, retry)| Failure { error, retry })
    }
}

/// A client for one storefront's Tharstern API.
pub struct Client<'a> {
    http: http::Client<'a, TharsternApi<'a>>,
}

impl<'a> Client<'a> {
    pub fn new(p: &'a dyn Platform, s: &'a Settings) -> Self {
        Client {
            http: http::Client::new(p, &s.api_url, TharsternApi { p, s }),
        }
    }

    /// The cached API token.
    pub fn token(&self) -> Token<'a> {
        self.http.api().token()
    }

    /// Generate a fresh token (GenerateAPIToken) and cache it.
    pub fn authenticate(&self) -> Result<String, PluginError> {
        self.http.api().authenticate()
    }

    /// GET, retried once at once on a transient failure (a timeout, a broken
    /// connection, a 5xx, a broken JSON answer): GETs are safe to repeat.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Reply, PluginError> {
        self.http.get(path, query)
    }

    /// POST a JSON body. Never retried here on a transient failure (it may
    /// have taken effect): callers look the result up before any retry.
    pub fn post(&self, path: &str, body: &[u8]) -> Result<Reply, PluginError> {
        self.http.post(path, body)
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

#[cfg(test)]
mod tests;
