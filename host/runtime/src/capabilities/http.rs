//! Outgoing HTTP: the `wasi:http/outgoing-handler` hook that enforces a
//! tenant's egress policy and bounds every request in time and size.
//!
//! Deny by default: a request leaves the host only if its scheme, host and
//! port equal one of the tenant's allowed origins, compared as written (an
//! IP literal, a decimal IP or another spelling of an allowed host is a
//! different host). `wasi:http` never follows redirects by itself, so a
//! redirect to another host is a new request that meets the same check.
//! Then `net` resolves the name and refuses loopback, link-local, private
//! and other special-purpose addresses (unless the tenant may reach private
//! networks), connecting only to the address it checked.
//!
//! Requests in flight are bounded per instance and per tenant (all of its
//! instances together): one beyond either is refused at once with
//! `connection-limit-reached`, so one call cannot open thousands of
//! connections. A request holds its place until its answer is read.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt as _;
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::bounds::TenantBounds;
use super::log::LogContext;
use super::net::{self, ConnectFailure, NetPolicy};

/// `scheme://host:port`: the unit of egress permission.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Origin {
    pub https: bool,
    /// Lowercase; IPv6 literals keep their brackets.
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// Parses the origin of an absolute `http` or `https` URL.
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: http::Uri = url
            .trim()
            .parse()
            .map_err(|e| format!("`{url}` is not a valid URL: {e}"))?;
        Self::of_uri(&uri)
            .ok_or_else(|| format!("`{url}` is not an absolute http:// or https:// URL"))
    }

    fn of_uri(uri: &http::Uri) -> Option<Self> {
        let https = match uri.scheme_str()? {
            s if s.eq_ignore_ascii_case("https") => true,
            s if s.eq_ignore_ascii_case("http") => false,
            _ => return None,
        };
        let host = uri.host()?.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return None;
        }
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Some(Self { https, host, port })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// The origins one tenant's plugin may reach.
#[derive(Clone, Debug, Default)]
pub struct EgressPolicy {
    pub allowed: Vec<Origin>,
    /// Whether loopback and private-network addresses may be reached (an
    /// on-premises back office). Link-local and reserved ones never may.
    pub allow_private_networks: bool,
}

impl EgressPolicy {
    pub fn allows(&self, uri: &http::Uri) -> bool {
        Origin::of_uri(uri).is_some_and(|o| self.allowed.contains(&o))
    }
}

/// Time and size bounds of one outgoing request. Guest-requested timeouts
/// are honoured only when shorter.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    pub connect_timeout: Duration,
    pub first_byte_timeout: Duration,
    pub between_bytes_timeout: Duration,
    /// From sending the request to the last byte of the response body.
    pub total_timeout: Duration,
    pub max_response_bytes: u64,
    /// Largest response head (status line and headers) read, in bytes.
    pub max_response_header_bytes: usize,
    /// Outgoing requests in flight per instance (one plugin call).
    pub max_requests_per_instance: usize,
    /// Outgoing requests in flight per tenant, all its instances together.
    pub max_requests_per_tenant: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            first_byte_timeout: Duration::from_secs(30),
            between_bytes_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            max_response_bytes: 32 << 20,
            max_response_header_bytes: 64 << 10,
            max_requests_per_instance: 16,
            max_requests_per_tenant: 64,
        }
    }
}

/// The `wasi:http` hooks of one tenant's store.
pub struct EgressHooks {
    pub policy: Arc<EgressPolicy>,
    pub limits: HttpLimits,
    pub log: LogContext,
    /// This instance's requests in flight.
    pub in_flight: Arc<Semaphore>,
    pub tenant: TenantBounds,
    /// When a refusal was last logged (at most one line a second).
    pub refusal_logged: Option<Instant>,
}

/// A request's places in the instance's and the tenant's bounds, released
/// when both its answer's body and its connection are done.
struct Places(
    #[allow(dead_code)] OwnedSemaphorePermit,
    #[allow(dead_code)] OwnedSemaphorePermit,
);

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        let method = request.method().clone();
        let origin = Origin::of_uri(request.uri()).map(|o| o.to_string());
        // Never log the query: it may carry credentials.
        let path = request.uri().path().to_owned();
        let (tenant, plugin) = (self.log.tenant.clone(), self.log.plugin.clone());

        if !self.policy.allows(request.uri()) {
            tracing::warn!(
                target: "egress", tenant = &*tenant, plugin = &*plugin, %method,
                origin = origin.as_deref().unwrap_or("(none)"), path,
                "outgoing request denied: origin not allowed for this tenant"
            );
            return Box::new(async { Err(HttpError::HttpRequestDenied) });
        }

        let places = match self.take_places() {
            Ok(places) => Arc::new(places),
            Err((whose, limit)) => {
                self.tenant.requests_refused.fetch_add(1, Ordering::Relaxed);
                if self
                    .refusal_logged
                    .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
                {
                    self.refusal_logged = Some(Instant::now());
                    tracing::warn!(
                        target: "egress", tenant = &*tenant, plugin = &*plugin, %method,
                        origin = origin.as_deref().unwrap_or("(none)"), path, limit,
                        "outgoing request refused: {whose} already has {limit} requests in flight \
                         (runtime.{}); the plugin sees connection-limit-reached",
                        if whose == "this instance" { "max_requests_per_instance" } else { "max_requests_per_tenant" }
                    );
                }
                return Box::new(async { Err(HttpError::ConnectionLimitReached) });
            }
        };
        let limits = self.limits;
        let options = clamp(options, &limits);
        let policy = NetPolicy {
            allow_private_networks: self.policy.allow_private_networks,
            max_response_header_bytes: limits.max_response_header_bytes,
        };
        Box::new(async move {
            let started = Instant::now();
            let deadline = tokio::time::Instant::now() + limits.total_timeout;
            let sent = tokio::time::timeout_at(deadline, net::send(request, options, policy)).await;
            let (response, io) = match sent {
                Ok(Ok(sent)) => sent,
                Ok(Err(ConnectFailure::Prohibited { addr, class })) => {
                    tracing::warn!(
                        target: "egress", tenant = &*tenant, plugin = &*plugin, %method, origin, path, %addr,
                        "outgoing request denied: the endpoint resolves to {}; if this storefront's \
                         back office really is on the operator's own network, allow private networks \
                         in its Connect settings (`allow_private_networks`)",
                        class.describe()
                    );
                    return Err(HttpError::DestinationIpProhibited);
                }
                Ok(Err(ConnectFailure::Http(err))) => {
                    tracing::info!(target: "egress", tenant = &*tenant, plugin = &*plugin, %method, origin, path, error = ?err, "outgoing request failed");
                    return Err(err);
                }
                Err(_) => return Err(HttpError::HttpResponseTimeout),
            };
            tracing::debug!(
                target: "egress", tenant = &*tenant, plugin = &*plugin, %method, origin, path,
                status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64,
                "outgoing request"
            );
            let held = places.clone();
            let response = response.map(|body| {
                BoundedBody {
                    inner: body,
                    deadline: Box::pin(tokio::time::sleep_until(deadline)),
                    remaining: limits.max_response_bytes,
                    limit: limits.max_response_bytes,
                    _places: held,
                }
                .boxed_unsync()
            });
            let io = async move {
                let done = io.await;
                drop(places);
                done
            };
            Ok((response, Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }

    // The plugin receives these as typed error codes and reports them; the
    // host logs them at debug level only, tagged with the tenant.
    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> ErrorCode {
        self.quiet("hyper error", err);
        ErrorCode::HttpProtocolError
    }

    fn p2_error_from_connect(&mut self, err: &std::io::Error) -> ErrorCode {
        self.quiet("connect error", err);
        connect_error_code(err)
    }

    fn p2_error_from_tls(&mut self, err: &std::io::Error) -> ErrorCode {
        self.quiet("tls error", err);
        ErrorCode::TlsProtocolError
    }
}

impl EgressHooks {
    /// A place for one more request, or who is full and at what limit.
    fn take_places(&self) -> Result<Places, (&'static str, usize)> {
        let instance = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| ("this instance", self.limits.max_requests_per_instance))?;
        let tenant = self
            .tenant
            .requests
            .clone()
            .try_acquire_owned()
            .map_err(|_| ("this tenant", self.limits.max_requests_per_tenant))?;
        Ok(Places(instance, tenant))
    }

    fn quiet(&self, what: &str, err: &dyn std::fmt::Debug) {
        tracing::debug!(target: "egress", tenant = &*self.log.tenant, plugin = &*self.log.plugin, error = ?err, "{what}");
    }
}

/// Keeps the cause of a failed connection precise, so the plugin can tell
/// the operator whether the name, the route or the port is wrong.
fn connect_error_code(err: &std::io::Error) -> ErrorCode {
    use std::io::ErrorKind as K;
    match err.kind() {
        K::ConnectionRefused => ErrorCode::ConnectionRefused,
        K::TimedOut => ErrorCode::ConnectionTimeout,
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
            ErrorCode::DestinationUnavailable
        }
        K::ConnectionReset | K::ConnectionAborted => ErrorCode::ConnectionTerminated,
        // Names are resolved before connecting (`net::send`), so a failed
        // resolution is a `DnsError` there and never reaches this.
        _ => ErrorCode::ConnectionRefused,
    }
}

fn clamp(options: Option<RequestOptions>, limits: &HttpLimits) -> RequestOptions {
    let pick = |asked: Option<Duration>, max: Duration| Some(asked.map_or(max, |a| a.min(max)));
    let asked = options.unwrap_or_default();
    RequestOptions {
        connect_timeout: pick(asked.connect_timeout, limits.connect_timeout),
        first_byte_timeout: pick(asked.first_byte_timeout, limits.first_byte_timeout),
        between_bytes_timeout: pick(asked.between_bytes_timeout, limits.between_bytes_timeout),
    }
}

/// A response body cut off at a size cap and at the request's total deadline,
/// so an endless or huge answer cannot hold a tenant's call or memory.
struct BoundedBody<B> {
    inner: B,
    deadline: Pin<Box<tokio::time::Sleep>>,
    remaining: u64,
    limit: u64,
    _places: Arc<Places>,
}

impl<B> Body for BoundedBody<B>
where
    B: Body<Data = Bytes, Error = HttpError> + Unpin,
{
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)));
        }
        let frame = std::task::ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(data)) = frame.as_ref().map(|f| f.as_ref().map(Frame::data_ref)) {
            let len = data.map_or(0, |d| d.len() as u64);
            if len > self.remaining {
                return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(self.limit)))));
            }
            self.remaining -= len;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(urls: &[&str]) -> EgressPolicy {
        EgressPolicy {
            allowed: urls.iter().map(|u| Origin::parse(u).unwrap()).collect(),
            allow_private_networks: false,
        }
    }

    #[test]
    fn only_the_exact_origin_is_allowed() {
        let p = policy(&["http://Tharstern.example.com:8080/TharsternAPI/api/"]);
        let ok = |u: &str| p.allows(&u.parse().unwrap());
        assert!(ok(
            "http://tharstern.example.com:8080/TharsternAPI/api/products"
        ));
        assert!(ok("http://THARSTERN.example.com.:8080/x"));
        assert!(!ok("https://tharstern.example.com:8080/x"), "other scheme");
        assert!(!ok("http://tharstern.example.com:8081/x"), "other port");
        assert!(
            !ok("http://tharstern.example.com/x"),
            "default port is another port"
        );
        assert!(!ok("http://evil.example.com:8080/x"), "other host");
        assert!(
            !ok("http://tharstern.example.com.evil.com:8080/x"),
            "suffix trick"
        );
        assert!(!ok("/relative"), "no authority");
    }

    #[test]
    fn ip_literals_in_other_spellings_are_other_hosts() {
        let p = policy(&["http://127.0.0.1:9000"]);
        let ok = |u: &str| p.allows(&u.parse().unwrap());
        assert!(ok("http://127.0.0.1:9000/"));
        for other in [
            "http://2130706433:9000/",
            "http://0x7f000001:9000/",
            "http://127.1:9000/",
            "http://[::1]:9000/",
            "http://[::ffff:127.0.0.1]:9000/",
            "http://localhost:9000/",
        ] {
            assert!(!ok(other), "{other} must be denied");
        }
    }

    #[test]
    fn default_ports_follow_the_scheme() {
        assert_eq!(Origin::parse("https://a.example").unwrap().port, 443);
        assert_eq!(Origin::parse("http://a.example").unwrap().port, 80);
        assert!(Origin::parse("ftp://a.example").is_err());
        assert!(Origin::parse("not a url").is_err());
    }

    #[test]
    fn guest_timeouts_are_honoured_only_when_shorter() {
        let limits = HttpLimits::default();
        let asked = RequestOptions {
            connect_timeout: Some(Duration::from_millis(100)),
            first_byte_timeout: Some(Duration::from_secs(3600)),
            between_bytes_timeout: None,
        };
        let got = clamp(Some(asked), &limits);
        assert_eq!(got.connect_timeout, Some(Duration::from_millis(100)));
        assert_eq!(got.first_byte_timeout, Some(limits.first_byte_timeout));
        assert_eq!(
            got.between_bytes_timeout,
            Some(limits.between_bytes_timeout)
        );
    }
}
