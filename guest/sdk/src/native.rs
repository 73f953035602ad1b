//! A [`Platform`] for running a connector natively (smoke tests against a
//! simulator, benchmarks): plain-`http://` HTTP/1.1 through `ureq`, an
//! in-memory cache with TTLs, logging to stderr. Not compiled for wasm32. It
//! speaks no TLS: `https://` URLs answer [`HttpError::Tls`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::LogLevel;
use crate::platform::{HttpError, HttpRequest, HttpResponse, Platform};

/// Largest response body read.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

type Entry = (Vec<u8>, Option<u64>);

/// See the module documentation.
pub struct NativePlatform {
    cache: Mutex<HashMap<String, Entry>>,
    /// Messages at or above this level go to stderr.
    pub log_level: LogLevel,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for NativePlatform {
    fn default() -> Self {
        NativePlatform {
            cache: Mutex::new(HashMap::new()),
            log_level: LogLevel::Warn,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
        }
    }
}

impl NativePlatform {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forget every cached entry.
    pub fn clear_cache(&self) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl NativePlatform {
    /// An agent with this platform's timeouts that hands back every status
    /// (and redirects unfollowed), as `wasi:http` does.
    fn agent(&self) -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_recv_response(Some(self.read_timeout))
            .timeout_recv_body(Some(self.read_timeout))
            .build()
            .into()
    }
}

fn http_error(e: ureq::Error) -> HttpError {
    use ureq::Timeout;
    match e {
        ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => HttpError::ConnectTimeout,
        ureq::Error::Timeout(_) => HttpError::ResponseTimeout,
        ureq::Error::HostNotFound => HttpError::Dns("no address".into()),
        ureq::Error::ConnectionFailed => HttpError::ConnectionRefused,
        ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge,
        ureq::Error::Io(e) => {
            use std::io::ErrorKind as K;
            match e.kind() {
                K::ConnectionRefused => HttpError::ConnectionRefused,
                K::TimedOut | K::WouldBlock => HttpError::ResponseTimeout,
                K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                    HttpError::ConnectionClosed
                }
                _ => HttpError::Other(e.to_string()),
            }
        }
        ureq::Error::Protocol(_) => HttpError::ConnectionClosed,
        other => HttpError::Other(other.to_string()),
    }
}

impl Platform for NativePlatform {
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        if req
            .url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            return Err(HttpError::Tls("the native platform speaks no TLS".into()));
        }
        let mut builder = ureq::http::Request::builder()
            .method(req.method.as_str())
            .uri(&req.url);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let request = builder
            .body(req.body.unwrap_or_default())
            .map_err(|e| HttpError::Other(format!("bad request: {e}")))?;
        let mut response = self.agent().run(request).map_err(http_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES as u64)
            .read_to_vec()
            .map_err(http_error)?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        let now = self.now_unix_secs();
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match cache.get(key)? {
            (_, Some(exp)) if *exp <= now => None,
            (v, _) => Some(v.clone()),
        }
    }

    fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32) {
        let exp = (ttl_secs > 0).then(|| self.now_unix_secs() + u64::from(ttl_secs));
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), (value.to_vec(), exp));
    }

    fn cache_delete(&self, key: &str) {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    fn log(&self, level: LogLevel, msg: &str) {
        if level >= self.log_level {
            eprintln!("[{level:?}] {msg}");
        }
    }

    fn now_unix_secs(&self) -> u64 {
        crate::platform::system_now()
    }
}
