//! The component's side of [`Platform`] (wasm32 only): outgoing HTTP over
//! `wasi:http` (timeouts, a bounded body, typed errors) and the host's cache
//! and log imports.

use wasip2::http::types as http;

use crate::LogLevel;
use crate::platform::{HttpError, HttpRequest, HttpResponse, Method, Platform};
use crate::wit::connect::plugin as imports;

/// Time allowed to establish a connection.
const CONNECT_TIMEOUT_NS: u64 = 10_000_000_000;
/// Time allowed for the first byte of the answer (estimates can be slow).
const FIRST_BYTE_TIMEOUT_NS: u64 = 30_000_000_000;
/// Time allowed between two chunks of the answer.
const BETWEEN_BYTES_TIMEOUT_NS: u64 = 30_000_000_000;
/// Largest response body read (a product page of 1000 items is far below).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// [`Platform`] over the component's imports.
pub struct WasiPlatform;

impl Platform for WasiPlatform {
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        send(req)
    }

    fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        imports::cache::get(key)
    }

    fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32) {
        imports::cache::set(key, value, ttl_secs)
    }

    fn cache_delete(&self, key: &str) {
        imports::cache::delete(key)
    }

    fn cache_add(&self, key: &str, value: &[u8], ttl_secs: u32) -> bool {
        imports::cache::add(key, value, ttl_secs)
    }

    fn log(&self, level: LogLevel, msg: &str) {
        imports::log::log(level, msg)
    }

    fn now_unix_secs(&self) -> u64 {
        crate::platform::system_now()
    }
}

fn send(req: HttpRequest) -> Result<HttpResponse, HttpError> {
    let (scheme, rest) = req
        .url
        .split_once("://")
        .ok_or_else(|| HttpError::Other("the request URL has no scheme".into()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };

    let headers = http::Fields::new();
    for (name, value) in &req.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| HttpError::Other(format!("invalid request header {name}: {e:?}")))?;
    }
    let request = http::OutgoingRequest::new(headers);
    let method = match req.method {
        Method::Get => http::Method::Get,
        Method::Post => http::Method::Post,
        Method::Put => http::Method::Put,
        Method::Patch => http::Method::Patch,
        Method::Delete => http::Method::Delete,
    };
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        http::Scheme::Https
    } else {
        http::Scheme::Http
    };
    request
        .set_method(&method)
        .and_then(|_| request.set_scheme(Some(&scheme)))
        .and_then(|_| request.set_authority(Some(authority)))
        .and_then(|_| request.set_path_with_query(Some(path)))
        .map_err(|_| HttpError::Other("the request URL was not accepted".into()))?;

    let options = http::RequestOptions::new();
    // Hosts that do not support a timeout answer an error; ignore it.
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT_NS));
    let _ = options.set_first_byte_timeout(Some(FIRST_BYTE_TIMEOUT_NS));
    let _ = options.set_between_bytes_timeout(Some(BETWEEN_BYTES_TIMEOUT_NS));

    let body = request
        .body()
        .map_err(|_| HttpError::Other("could not open the request body".into()))?;
    let future =
        wasip2::http::outgoing_handler::handle(request, Some(options)).map_err(map_code)?;

    {
        let stream = body
            .write()
            .map_err(|_| HttpError::Other("could not write the request body".into()))?;
        if let Some(bytes) = &req.body {
            for chunk in bytes.chunks(4096) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|e| stream_error(e, &future))?;
            }
        }
    }
    http::OutgoingBody::finish(body, None).map_err(map_code)?;

    let response = loop {
        match future.get() {
            Some(Ok(Ok(resp))) => break resp,
            Some(Ok(Err(code))) => return Err(map_code(code)),
            Some(Err(())) => return Err(HttpError::Other("the response was already taken".into())),
            None => future.subscribe().block(),
        }
    };

    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = response
        .consume()
        .map_err(|_| HttpError::Other("could not read the response body".into()))?;
    let mut body = Vec::new();
    {
        let stream = incoming
            .stream()
            .map_err(|_| HttpError::Other("could not read the response body".into()))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(HttpError::TooLarge);
                    }
                    body.extend_from_slice(&chunk);
                }
                Err(wasip2::io::streams::StreamError::Closed) => break,
                Err(wasip2::io::streams::StreamError::LastOperationFailed(e)) => {
                    return Err(match http::http_error_code(&e) {
                        Some(code) => map_code(code),
                        None => HttpError::ConnectionClosed,
                    });
                }
            }
        }
    }
    let _trailers = http::IncomingBody::finish(incoming);
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn stream_error(
    e: wasip2::io::streams::StreamError,
    future: &http::FutureIncomingResponse,
) -> HttpError {
    // A failed body write usually means the request itself failed: prefer
    // the response's error code when there is one.
    if let Some(Ok(Err(code))) = future.get() {
        return map_code(code);
    }
    match e {
        wasip2::io::streams::StreamError::LastOperationFailed(err) => {
            match http::http_error_code(&err) {
                Some(code) => map_code(code),
                None => HttpError::ConnectionClosed,
            }
        }
        wasip2::io::streams::StreamError::Closed => HttpError::ConnectionClosed,
    }
}

fn map_code(code: http::ErrorCode) -> HttpError {
    use http::ErrorCode as E;
    match code {
        E::DnsTimeout => HttpError::Dns("the DNS lookup timed out".into()),
        E::DnsError(p) => HttpError::Dns(
            p.rcode
                .or(p.info_code.map(|c| format!("code {c}")))
                .unwrap_or_else(|| "the name did not resolve".into()),
        ),
        E::DestinationNotFound => HttpError::Dns("the host was not found".into()),
        E::ConnectionRefused | E::DestinationUnavailable | E::DestinationIpUnroutable => {
            HttpError::ConnectionRefused
        }
        E::DestinationIpProhibited => HttpError::Denied(
            "the endpoint's name resolves to a loopback, private or link-local address, which \
             this storefront may not reach (an operator can allow private networks in the \
             storefront's Connect settings, for a back office on their own network)"
                .into(),
        ),
        E::ConnectionLimitReached => HttpError::Other(
            "too many requests in flight at once: the platform bounds them per instance and per \
             storefront; make fewer at a time"
                .into(),
        ),
        E::HttpRequestDenied => HttpError::Denied("the request was denied".into()),
        E::ConnectionTimeout => HttpError::ConnectTimeout,
        E::ConnectionReadTimeout | E::ConnectionWriteTimeout | E::HttpResponseTimeout => {
            HttpError::ResponseTimeout
        }
        E::ConnectionTerminated | E::HttpResponseIncomplete => HttpError::ConnectionClosed,
        E::TlsProtocolError => HttpError::Tls("TLS protocol error".into()),
        E::TlsCertificateError => {
            HttpError::Tls("the server's TLS certificate was not accepted".into())
        }
        E::TlsAlertReceived(p) => HttpError::Tls(format!(
            "TLS alert received{}",
            p.alert_message
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )),
        E::HttpResponseBodySize(_) => HttpError::TooLarge,
        E::InternalError(m) => HttpError::Other(m.unwrap_or_else(|| "internal error".into())),
        other => HttpError::Other(format!("{other:?}")),
    }
}
