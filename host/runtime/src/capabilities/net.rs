//! Where an allowed outgoing request may connect: the host resolves the
//! origin's name itself, checks every address it got against the special-
//! purpose ranges (loopback, link-local, private, unspecified, multicast,
//! documentation, reserved...), and connects to an address that passed,
//! never re-resolving in between, so DNS rebinding cannot slip a checked
//! name onto a refused address.
//!
//! A storefront whose back office sits on the operator's own network (an
//! on-premises MIS) may be allowed private networks: then loopback and
//! private ranges pass, while link-local (cloud metadata endpoints at
//! 169.254.169.254), unspecified, multicast and reserved addresses stay
//! refused.
//!
//! The TLS and HTTP/1 steps follow `wasmtime_wasi_http::default_send_request`
//! (which would resolve the name again), adding a cap on the response head.

use std::future::{Future, poll_fn};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions};

/// Why an address is not a public internet address, if it is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// Loopback (127.0.0.0/8, ::1): this very machine.
    Loopback,
    /// Private (10/8, 172.16/12, 192.168/16, 100.64/10 shared, fc00::/7).
    Private,
    /// Link-local (169.254/16, fe80::/10): includes cloud metadata services.
    LinkLocal,
    /// Unspecified, multicast, broadcast, documentation, benchmarking or
    /// reserved: never a real server.
    Reserved,
}

impl Special {
    pub fn describe(self) -> &'static str {
        match self {
            Special::Loopback => "a loopback address",
            Special::Private => "a private-network address",
            Special::LinkLocal => "a link-local address (cloud metadata services live there)",
            Special::Reserved => {
                "a special-purpose address (unspecified, multicast, documentation or reserved)"
            }
        }
    }

    /// Whether allowing private networks lets this class through.
    fn private_network(self) -> bool {
        matches!(self, Special::Loopback | Special::Private)
    }
}

/// The class of `ip` when it is not a public unicast address.
pub fn classify(ip: IpAddr) -> Option<Special> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Special> {
    let [a, b, c, _] = ip.octets();
    match (a, b, c) {
        (127, ..) => Some(Special::Loopback),
        (10, ..) | (192, 168, _) => Some(Special::Private),
        (172, 16..=31, _) | (100, 64..=127, _) => Some(Special::Private),
        (169, 254, _) => Some(Special::LinkLocal),
        (0, ..) | (224..=255, ..) => Some(Special::Reserved),
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => Some(Special::Reserved),
        (198, 18..=19, _) | (192, 88, 99) => Some(Special::Reserved),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<Special> {
    // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses
    // reach the IPv4 address they carry.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return classify_v4(Ipv4Addr::from_bits(
            (u32::from(s[6]) << 16) | u32::from(s[7]),
        ));
    }
    if ip.is_loopback() {
        return Some(Special::Loopback);
    }
    match s[0] {
        0xfe80..=0xfebf => Some(Special::LinkLocal),
        0xfc00..=0xfdff => Some(Special::Private),
        // Site-local (deprecated), multicast, documentation, discard-only,
        // the IPv4-compatible block (::/96 incl. ::) and other reserved space.
        0xfec0..=0xffff => Some(Special::Reserved),
        0x2001 if s[1] == 0x0db8 || s[1] < 0x0200 => Some(Special::Reserved),
        0x0100 if s[1..4] == [0; 3] => Some(Special::Reserved),
        0 => Some(Special::Reserved),
        _ => None,
    }
}

/// Where one tenant's requests may connect and how big an answer's head
/// may be.
#[derive(Clone, Copy, Debug)]
pub struct NetPolicy {
    pub allow_private_networks: bool,
    pub max_response_header_bytes: usize,
}

/// Why a request did not get a connection, when the host decided it.
#[derive(Debug)]
pub enum ConnectFailure {
    /// Every address the name resolved to is refused.
    Prohibited {
        addr: IpAddr,
        class: Special,
    },
    Http(HttpError),
}

impl From<HttpError> for ConnectFailure {
    fn from(e: HttpError) -> Self {
        ConnectFailure::Http(e)
    }
}

/// The address to connect to: the first of `addrs` the policy admits, or
/// the refusal of the first one.
pub fn pick(addrs: &[SocketAddr], policy: &NetPolicy) -> Result<Vec<SocketAddr>, ConnectFailure> {
    let mut refused = None;
    let admitted: Vec<SocketAddr> = addrs
        .iter()
        .filter(|a| match classify(a.ip()) {
            None => true,
            Some(class) if class.private_network() && policy.allow_private_networks => true,
            Some(class) => {
                refused.get_or_insert((a.ip(), class));
                false
            }
        })
        .copied()
        .collect();
    match (admitted.is_empty(), refused) {
        (true, Some((addr, class))) => Err(ConnectFailure::Prohibited { addr, class }),
        (true, None) => Err(HttpError::DestinationNotFound.into()),
        (false, _) => Ok(admitted),
    }
}

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

type IoFuture = Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send>>;

/// Resolves, checks, connects to the checked address and sends `request`.
pub async fn send<B>(
    mut request: http::Request<B>,
    options: RequestOptions,
    policy: NetPolicy,
) -> Result<(http::Response<IncomingBody>, IoFuture), ConnectFailure>
where
    B: Body<Data = Bytes, Error = HttpError> + Send + 'static,
{
    let uri = request.uri();
    let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
    let host = uri
        .host()
        .ok_or(HttpError::HttpRequestUriInvalid)?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let connect_timeout = options.connect_timeout.unwrap_or(Duration::from_secs(5));

    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(connect_timeout, tokio::net::lookup_host((&*host, port)))
            .await
            .map_err(|_| HttpError::DnsTimeout)?
            .map_err(|e| HttpError::DnsError {
                rcode: Some(format!("name not resolved: {e}")),
                info_code: None,
            })?
            .collect(),
    };
    let admitted = pick(&addrs, &policy)?;

    let tcp = tokio::time::timeout(connect_timeout, connect_any(&admitted))
        .await
        .map_err(|_| HttpError::ConnectionTimeout)?
        .map_err(HttpError::Connect)?;
    let stream: Box<dyn Stream> = if https {
        let name = match host.parse::<IpAddr>() {
            Ok(ip) => rustls::pki_types::ServerName::from(ip),
            Err(_) => rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(HttpError::InvalidDnsNameError)?,
        };
        let tls = tokio::time::timeout(connect_timeout, tls().connect(name, tcp))
            .await
            .map_err(|_| HttpError::ConnectionTimeout)?
            .map_err(HttpError::Tls)?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let head_cap = policy.max_response_header_bytes;
    let (mut sender, conn) = tokio::time::timeout(
        connect_timeout,
        hyper::client::conn::http1::Builder::new()
            // hyper's smallest read buffer; the head is also measured below.
            .max_buf_size(head_cap.max(8192))
            .handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| HttpError::ConnectionTimeout)?
    .map_err(|e| hyper_error(e, head_cap))?;

    // Only a proxy wants scheme and authority in the request line.
    let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(path)
        .build()
        .map_err(|_| HttpError::HttpRequestUriInvalid)?;

    let first_byte = options
        .first_byte_timeout
        .unwrap_or(Duration::from_secs(30));
    let between = options
        .between_bytes_timeout
        .unwrap_or(Duration::from_secs(30))
        .max(Duration::from_nanos(1));
    let send = async {
        tokio::time::timeout(first_byte, sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(|e| hyper_error(e, head_cap))
    };
    let mut send = pin!(send);
    let mut conn = Some(conn);
    // Drive the connection while waiting for the answer's head.
    let response = poll_fn(|cx| match send.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(r),
        Poll::Pending => {
            let Some(c) = conn.as_mut() else {
                return Poll::Pending;
            };
            let done = ready!(Pin::new(c).poll(cx));
            conn = None;
            match done {
                Ok(()) => send.as_mut().poll(cx),
                Err(e) => Poll::Ready(Err(hyper_error(e, head_cap))),
            }
        }
    })
    .await?;

    let head: usize = response
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if head > head_cap {
        return Err(HttpError::HttpResponseHeaderSectionSize(Some(head_cap as u32)).into());
    }
    let io: IoFuture = Box::pin(async move {
        match conn {
            Some(conn) => conn.await.map_err(|e| hyper_error(e, head_cap)),
            None => Ok(()),
        }
    });
    let mut timer = tokio::time::interval(between);
    timer.reset();
    Ok((
        response.map(|incoming| IncomingBody { incoming, timer }),
        io,
    ))
}

async fn connect_any(addrs: &[SocketAddr]) -> std::io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::ErrorKind::AddrNotAvailable.into()))
}

fn tls() -> tokio_rustls::TlsConnector {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.into(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("the ring provider supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    });
    tokio_rustls::TlsConnector::from(config.clone())
}

fn hyper_error(e: hyper::Error, head_cap: usize) -> HttpError {
    if e.is_parse_too_large() {
        HttpError::HttpResponseHeaderSectionSize(Some(head_cap as u32))
    } else if e.is_timeout() {
        HttpError::HttpResponseTimeout
    } else {
        HttpError::from(e)
    }
}

/// An answer's body with the between-bytes timeout.
pub struct IncomingBody {
    incoming: hyper::body::Incoming,
    timer: tokio::time::Interval,
}

impl Body for IncomingBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                self.timer.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(if e.is_timeout() {
                HttpError::HttpResponseTimeout
            } else {
                HttpError::from(e)
            }))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                ready!(self.timer.poll_tick(cx));
                Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Option<Special> {
        classify(s.parse().unwrap())
    }

    #[test]
    fn special_ranges_are_recognised() {
        use Special::*;
        for (addr, want) in [
            ("127.0.0.1", Some(Loopback)),
            ("127.9.9.9", Some(Loopback)),
            ("::1", Some(Loopback)),
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("64:ff9b::7f00:1", Some(Loopback)),
            ("10.1.2.3", Some(Private)),
            ("172.16.0.1", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("192.168.1.1", Some(Private)),
            ("100.64.0.1", Some(Private)),
            ("fd00::1", Some(Private)),
            ("169.254.169.254", Some(LinkLocal)),
            ("fe80::1", Some(LinkLocal)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("0.0.0.0", Some(Reserved)),
            ("::", Some(Reserved)),
            ("255.255.255.255", Some(Reserved)),
            ("224.0.0.1", Some(Reserved)),
            ("ff02::1", Some(Reserved)),
            ("192.0.2.1", Some(Reserved)),
            ("2001:db8::1", Some(Reserved)),
            ("8.8.8.8", None),
            ("172.32.0.1", None),
            ("93.184.216.34", None),
            ("2606:4700::1111", None),
        ] {
            assert_eq!(class(addr), want, "{addr}");
        }
    }

    #[test]
    fn private_networks_open_loopback_and_private_only() {
        let addr = |s: &str| vec![SocketAddr::new(s.parse().unwrap(), 80)];
        let closed = NetPolicy {
            allow_private_networks: false,
            max_response_header_bytes: 8192,
        };
        let open = NetPolicy {
            allow_private_networks: true,
            ..closed
        };
        assert!(pick(&addr("127.0.0.1"), &closed).is_err());
        assert!(pick(&addr("127.0.0.1"), &open).is_ok());
        assert!(pick(&addr("10.0.0.1"), &open).is_ok());
        assert!(pick(&addr("169.254.169.254"), &open).is_err());
        assert!(pick(&addr("0.0.0.0"), &open).is_err());
        assert!(pick(&addr("8.8.8.8"), &closed).is_ok());
        // A name resolving to a public and a refused address: only the
        // public one is connected to.
        let both = [addr("127.0.0.1")[0], addr("8.8.8.8")[0]];
        assert_eq!(pick(&both, &closed).unwrap(), vec![both[1]]);
    }
}
