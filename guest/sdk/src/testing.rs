//! A scripted [`Platform`] for unit tests of connector logic (native only).
//!
//! HTTP answers come from routes (method + path prefix, later routes win),
//! every request is recorded, the cache lives in memory with TTLs against a
//! settable clock, and logs are kept, so a test can assert "no HTTP call",
//! "one retry", "never twice" or "no secret logged" by counting.
//!
//! A `TestPlatform` is a cheap handle: clones share one state, so a test
//! gives one clone to the connector and keeps another to script and inspect.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use crate::LogLevel;
use crate::platform::{HttpError, HttpRequest, HttpResponse, Method, Platform};

/// A cached value and when it expires.
type Entry = (Vec<u8>, Option<u64>);

type Responder = Box<dyn FnMut(&HttpRequest) -> Result<HttpResponse, HttpError>>;

struct Route {
    method: Method,
    pattern: String,
    responder: Responder,
}

#[derive(Default)]
struct State {
    base: String,
    routes: RefCell<Vec<Route>>,
    calls: RefCell<Vec<HttpRequest>>,
    cache: RefCell<HashMap<String, Entry>>,
    logs: RefCell<Vec<(LogLevel, String)>>,
    now: Cell<u64>,
}

/// See the module documentation.
#[derive(Clone)]
pub struct TestPlatform(Rc<State>);

impl Default for TestPlatform {
    fn default() -> Self {
        TestPlatform::new("")
    }
}

impl TestPlatform {
    /// Routes match the part of the URL after `base` (the whole URL when it
    /// does not start with `base`). The clock starts at 1,800,000,000.
    pub fn new(base: &str) -> Self {
        let state = State {
            base: base.to_string(),
            ..State::default()
        };
        state.now.set(1_800_000_000);
        TestPlatform(Rc::new(state))
    }

    /// The platform as a connector's [`crate::Host`] (sharing this state).
    pub fn host(&self) -> crate::Host {
        Box::new(self.clone())
    }

    fn rel<'a>(&self, url: &'a str) -> &'a str {
        url.strip_prefix(self.0.base.as_str()).unwrap_or(url)
    }

    /// Answer requests whose path after the base starts with `pattern`
    /// (case-insensitive).
    pub fn on(
        &self,
        method: Method,
        pattern: &str,
        responder: impl FnMut(&HttpRequest) -> Result<HttpResponse, HttpError> + 'static,
    ) {
        self.0.routes.borrow_mut().push(Route {
            method,
            pattern: pattern.to_lowercase(),
            responder: Box::new(responder),
        });
    }

    /// Always answer this response.
    pub fn respond(&self, method: Method, pattern: &str, response: HttpResponse) {
        self.on(method, pattern, move |_| Ok(response.clone()));
    }

    /// Always answer this JSON with this status.
    pub fn respond_json(&self, method: Method, pattern: &str, status: u16, body: Value) {
        self.respond(method, pattern, json_response(status, &body));
    }

    /// Requests sent so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.0.calls.borrow().clone()
    }

    /// How many requests matched `method` and `pattern`.
    pub fn count(&self, method: Method, pattern: &str) -> usize {
        let pattern = pattern.to_lowercase();
        self.0
            .calls
            .borrow()
            .iter()
            .filter(|c| c.method == method && self.rel(&c.url).to_lowercase().starts_with(&pattern))
            .count()
    }

    pub fn total_calls(&self) -> usize {
        self.0.calls.borrow().len()
    }

    /// The JSON bodies of requests matching `pattern`.
    pub fn bodies(&self, pattern: &str) -> Vec<Value> {
        let pattern = pattern.to_lowercase();
        self.0
            .calls
            .borrow()
            .iter()
            .filter(|c| self.rel(&c.url).to_lowercase().starts_with(&pattern))
            .filter_map(|c| c.body.as_ref())
            .map(|b| serde_json::from_slice(b).expect("a JSON request body"))
            .collect()
    }

    /// Move the clock on (cache entries expire).
    pub fn advance(&self, secs: u64) {
        self.0.now.set(self.0.now.get() + secs);
    }

    /// Every log line, `Level message`, one per line.
    pub fn logs_text(&self) -> String {
        self.0
            .logs
            .borrow()
            .iter()
            .map(|(l, m)| format!("{l:?} {m}\n"))
            .collect()
    }

    /// Live cache keys.
    pub fn cache_keys(&self) -> Vec<String> {
        let now = self.0.now.get();
        let mut keys: Vec<String> = self
            .0
            .cache
            .borrow()
            .iter()
            .filter(|(_, (_, exp))| exp.is_none_or(|e| e > now))
            .map(|(k, _)| k.clone())
            .collect();
        keys.sort();
        keys
    }
}

impl Platform for TestPlatform {
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        self.0.calls.borrow_mut().push(req.clone());
        let path = self.rel(&req.url).to_lowercase();
        let mut routes = self.0.routes.borrow_mut();
        let route = routes
            .iter_mut()
            .rev()
            .find(|r| r.method == req.method && path.starts_with(&r.pattern))
            .unwrap_or_else(|| {
                panic!(
                    "unexpected request {} {}",
                    req.method.as_str(),
                    self.rel(&req.url)
                )
            });
        (route.responder)(&req)
    }

    fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        let cache = self.0.cache.borrow();
        let (v, exp) = cache.get(key)?;
        match exp {
            Some(e) if *e <= self.0.now.get() => None,
            _ => Some(v.clone()),
        }
    }

    fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32) {
        let exp = (ttl_secs > 0).then(|| self.0.now.get() + u64::from(ttl_secs));
        self.0
            .cache
            .borrow_mut()
            .insert(key.to_string(), (value.to_vec(), exp));
    }

    fn cache_delete(&self, key: &str) {
        self.0.cache.borrow_mut().remove(key);
    }

    fn sleep(&self, duration: std::time::Duration) {
        // Time passes on the test clock only.
        let _ = duration;
    }

    fn log(&self, level: LogLevel, msg: &str) {
        self.0.logs.borrow_mut().push((level, msg.to_string()));
    }

    fn now_unix_secs(&self) -> u64 {
        self.0.now.get()
    }
}

/// A response with a JSON body.
pub fn json_response(status: u16, body: &Value) -> HttpResponse {
    text_response(status, "application/json", &body.to_string())
}

/// A response with any body and content type.
pub fn text_response(status: u16, content_type: &str, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: body.as_bytes().to_vec(),
    }
}
