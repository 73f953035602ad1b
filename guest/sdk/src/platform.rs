//! The platform abstraction: everything a connector needs from its host.
//!
//! Connector logic talks only to a [`Platform`], so the same code runs inside
//! the component (over `wasi:http` and the host's cache and log imports) and
//! natively ([`crate::native::NativePlatform`], [`crate::testing::TestPlatform`],
//! or a host's own backend in a benchmark).

use std::fmt;

use crate::LogLevel;

/// The platform a connector is given at `init`.
pub type Host = Box<dyn Platform>;

/// HTTP method of an outgoing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether repeating the request is harmless (RFC 9110 §9.2.2).
    pub fn is_idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }
}

/// An outgoing HTTP request. `url` is absolute (`scheme://authority/path?query`).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for HttpRequest {
    // Never print headers (credentials) nor the query (it may carry one).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = self.url.split('?').next().unwrap_or_default();
        write!(f, "HttpRequest({} {url})", self.method.as_str())
    }
}

/// An HTTP response with its complete body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First header value with that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why an HTTP request got no response: the cases of wasi:http's
/// `error-code` a connector tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The server actively refused the connection (nothing listens on that
    /// port, or a firewall rejects us).
    ConnectionRefused,
    /// The host name could not be resolved.
    Dns(String),
    /// TLS handshake, protocol or certificate failure.
    Tls(String),
    /// No connection could be established in time (often a firewall that
    /// silently drops packets: an IP allow-list).
    ConnectTimeout,
    /// Connected, but the answer did not come in time.
    ResponseTimeout,
    /// The host's egress policy denied the request.
    Denied(String),
    /// The connection broke before a complete answer arrived.
    ConnectionClosed,
    /// The response body exceeded the size cap.
    TooLarge,
    /// Anything else.
    Other(String),
}

impl HttpError {
    /// Whether the request may have reached the server (so a non-idempotent
    /// request may have taken effect).
    pub fn maybe_delivered(&self) -> bool {
        matches!(
            self,
            HttpError::ResponseTimeout
                | HttpError::ConnectionClosed
                | HttpError::TooLarge
                | HttpError::Other(_)
        )
    }

    /// Whether one immediate retry of an idempotent request is worth it.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            HttpError::ResponseTimeout | HttpError::ConnectionClosed | HttpError::Other(_)
        )
    }
}

/// What a connector needs from its host: outgoing HTTP, a tenant-private
/// cache, logging and a clock.
pub trait Platform {
    /// Send one request and read the whole response.
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError>;
    /// The cached value, unless missing or expired.
    fn cache_get(&self, key: &str) -> Option<Vec<u8>>;
    /// Store a value for `ttl_secs` seconds (0: until evicted).
    fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32);
    fn cache_delete(&self, key: &str);
    /// Store a value only if no live entry exists; true when stored. The
    /// host makes it atomic across the tenant's instances; this default is
    /// not, and serves single-instance platforms.
    fn cache_add(&self, key: &str, value: &[u8], ttl_secs: u32) -> bool {
        if self.cache_get(key).is_some() {
            return false;
        }
        self.cache_set(key, value, ttl_secs);
        true
    }
    /// Wait a while (for a concurrent call's result).
    fn sleep(&self, duration: std::time::Duration) {
        std::thread::sleep(duration)
    }
    /// Log a message. Callers never pass secrets.
    fn log(&self, level: LogLevel, msg: &str);
    /// Seconds since the Unix epoch.
    fn now_unix_secs(&self) -> u64;
}

/// Logging shorthands on any platform.
pub trait Log {
    fn debug(&self, msg: &str);
    fn info(&self, msg: &str);
    fn warn(&self, msg: &str);
    fn error(&self, msg: &str);
}

impl<P: Platform + ?Sized> Log for P {
    fn debug(&self, msg: &str) {
        self.log(LogLevel::Debug, msg)
    }
    fn info(&self, msg: &str) {
        self.log(LogLevel::Info, msg)
    }
    fn warn(&self, msg: &str) {
        self.log(LogLevel::Warn, msg)
    }
    fn error(&self, msg: &str) {
        self.log(LogLevel::Error, msg)
    }
}

/// Seconds since the Unix epoch from the system clock.
pub fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

macro_rules! forward {
    ($($t:ty),*) => {$(
        impl<P: Platform + ?Sized> Platform for $t {
            fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
                (**self).http(req)
            }
            fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
                (**self).cache_get(key)
            }
            fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32) {
                (**self).cache_set(key, value, ttl_secs)
            }
            fn cache_delete(&self, key: &str) {
                (**self).cache_delete(key)
            }
            fn cache_add(&self, key: &str, value: &[u8], ttl_secs: u32) -> bool {
                (**self).cache_add(key, value, ttl_secs)
            }
            fn sleep(&self, duration: std::time::Duration) {
                (**self).sleep(duration)
            }
            fn log(&self, level: LogLevel, msg: &str) {
                (**self).log(level, msg)
            }
            fn now_unix_secs(&self) -> u64 {
                (**self).now_unix_secs()
            }
        }
    )*};
}

forward!(&P, Box<P>, std::rc::Rc<P>, std::sync::Arc<P>);
