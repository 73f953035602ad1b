//! The WebAssembly component glue (wasm32 only): the wit-bindgen exports,
//! and [`WasiPlatform`], which implements [`Platform`] with the wasi:http
//! outgoing handler and the host's cache and log imports.

use std::cell::RefCell;

use crate::platform::{HttpError, HttpRequest, HttpResponse, LogLevel, Method, Platform};
use crate::types as t;
use crate::{Connector, Settings};

wit_bindgen::generate!({
    path: "../wit/since_v0.1.0",
    world: "connect-plugin",
    generate_all,
});

use connect::plugin::types as w;
use exports::connect::plugin::plugin::Guest;
use wasi::http::types as http;

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
        connect::plugin::cache::get(key)
    }

    fn cache_set(&self, key: &str, value: &[u8], ttl_secs: u32) {
        connect::plugin::cache::set(key, value, ttl_secs)
    }

    fn cache_delete(&self, key: &str) {
        connect::plugin::cache::delete(key)
    }

    fn cache_add(&self, key: &str, value: &[u8], ttl_secs: u32) -> bool {
        connect::plugin::cache::add(key, value, ttl_secs)
    }

    fn log(&self, level: LogLevel, msg: &str) {
        use connect::plugin::log::Level;
        let level = match level {
            LogLevel::Trace => Level::Trace,
            LogLevel::Debug => Level::Debug,
            LogLevel::Info => Level::Info,
            LogLevel::Warn => Level::Warn,
            LogLevel::Error => Level::Error,
        };
        connect::plugin::log::log(level, msg)
    }

    fn now_unix_secs(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
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
    let future = wasi::http::outgoing_handler::handle(request, Some(options)).map_err(map_code)?;

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
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(wasi::io::streams::StreamError::LastOperationFailed(e)) => {
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
    e: wasi::io::streams::StreamError,
    future: &http::FutureIncomingResponse,
) -> HttpError {
    // A failed body write usually means the request itself failed: prefer
    // the response's error code when there is one.
    if let Some(Ok(Err(code))) = future.get() {
        return map_code(code);
    }
    match e {
        wasi::io::streams::StreamError::LastOperationFailed(err) => {
            match http::http_error_code(&err) {
                Some(code) => map_code(code),
                None => HttpError::ConnectionClosed,
            }
        }
        wasi::io::streams::StreamError::Closed => HttpError::ConnectionClosed,
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
        E::DestinationIpProhibited => {
            HttpError::Denied("the destination IP address is prohibited".into())
        }
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

thread_local! {
    static CONNECTOR: RefCell<Option<Connector<WasiPlatform>>> = const { RefCell::new(None) };
}

fn with<T>(
    f: impl FnOnce(&Connector<WasiPlatform>) -> Result<T, t::PluginError>,
) -> Result<T, w::PluginError> {
    CONNECTOR.with(|c| match &*c.borrow() {
        Some(conn) => f(conn).map_err(err_out),
        None => Err(w::PluginError::Configuration(
            "the plugin was called before `init`: the host must initialise it with the storefront's settings"
                .into(),
        )),
    })
}

struct Component;

impl Guest for Component {
    fn info() -> w::PluginInfo {
        info_out(crate::info())
    }

    fn configure(settings: w::Settings) -> Result<w::Settings, Vec<w::FieldError>> {
        crate::configure(&settings).map_err(|errs| {
            errs.into_iter()
                .map(|e| w::FieldError {
                    key: e.key,
                    message: e.message,
                })
                .collect()
        })
    }

    fn init(settings: w::Settings) -> Result<(), w::PluginError> {
        let s: Settings = crate::settings_for_init(&settings).map_err(err_out)?;
        CONNECTOR.with(|c| *c.borrow_mut() = Some(Connector::new(WasiPlatform, s)));
        Ok(())
    }

    fn check_connection() -> Result<w::ConnectionReport, w::PluginError> {
        with(|c| c.check_connection()).map(|r| w::ConnectionReport {
            summary: r.summary,
            checks: r
                .checks
                .into_iter()
                .map(|c| w::Check {
                    name: c.name,
                    detail: c.detail,
                })
                .collect(),
        })
    }

    fn price(request: w::PriceRequest) -> Result<w::PriceQuote, w::PluginError> {
        let req = t::PriceRequest {
            product: t::ProductMapping {
                product_ref: request.product.product_ref,
                overrides: request.product.overrides,
                advanced_json: request.product.advanced_json,
            },
            quantity: request.quantity,
            customer: customer_in(request.customer),
            attributes: request.attributes,
        };
        with(|c| c.price(&req)).map(|q| w::PriceQuote {
            total: money_out(q.total),
            quote_ref: q.quote_ref,
            customer_code: q.customer_code,
            customer_link: q.customer_link.map(link_out),
            cached: q.cached,
        })
    }

    fn stock(request: w::StockRequest) -> Result<w::StockLevel, w::PluginError> {
        let req = t::StockRequest {
            product_ref: request.product_ref,
            minimum_order: request.minimum_order,
        };
        with(|c| c.stock(&req)).map(|s| w::StockLevel {
            product_ref: s.product_ref,
            free: s.free,
            meets_minimum: s.meets_minimum,
            cached: s.cached,
        })
    }

    fn submit_order(order: w::Order) -> Result<w::OrderReceipt, w::PluginError> {
        let order = t::Order {
            order_id: order.order_id,
            customer: customer_in(order.customer),
            order_date: order.order_date,
            required_date: order.required_date,
            reference: order.reference,
            lines: order
                .lines
                .into_iter()
                .map(|l| t::OrderLine {
                    line_ref: l.line_ref,
                    product_ref: l.product_ref,
                    quantity: l.quantity,
                    quote_ref: l.quote_ref,
                    price: l.price.map(|m| t::Money {
                        minor_units: m.minor_units,
                        currency: m.currency,
                    }),
                    price_source: match l.price_source {
                        w::PriceSource::Quote => t::PriceSource::Quote,
                        w::PriceSource::PriceList => t::PriceSource::PriceList,
                        w::PriceSource::None => t::PriceSource::None,
                    },
                    description: l.description,
                })
                .collect(),
        };
        with(|c| c.submit_order(&order)).map(|r| w::OrderReceipt {
            backend_order_id: r.backend_order_id,
            backend_order_no: r.backend_order_no,
            customer_code: r.customer_code,
            customer_link: r.customer_link.map(link_out),
        })
    }

    fn order_status(
        order_id: String,
        backend_order_id: Option<String>,
    ) -> Result<w::OrderUpdate, w::PluginError> {
        with(|c| c.order_status(&order_id, backend_order_id.as_deref())).map(update_out)
    }

    fn refresh_catalogue() -> Result<w::CatalogueReport, w::PluginError> {
        with(|c| c.refresh_catalogue()).map(|r| w::CatalogueReport {
            product_types: r.product_types,
            products: r.products,
        })
    }

    fn products(
        offset: u32,
        limit: u32,
        search: Option<String>,
    ) -> Result<w::ProductPage, w::PluginError> {
        with(|c| c.products(offset, limit, search.as_deref())).map(|p| w::ProductPage {
            items: p
                .items
                .into_iter()
                .map(|i| w::ProductSummary {
                    product_ref: i.product_ref,
                    code: i.code,
                    name: i.name,
                    kind: i.kind,
                })
                .collect(),
            total: p.total,
        })
    }

    fn handle_webhook(request: w::WebhookRequest) -> Result<Vec<w::OrderUpdate>, w::PluginError> {
        let req = t::WebhookRequest {
            headers: request.headers,
            body: request.body,
        };
        with(|c| c.handle_webhook(&req)).map(|u| u.into_iter().map(update_out).collect())
    }
}

export!(Component);

fn customer_in(c: w::CustomerContext) -> t::CustomerContext {
    t::CustomerContext {
        department_code: c.department_code,
        email: c.email,
        name: c.name,
    }
}

fn money_out(m: t::Money) -> w::Money {
    w::Money {
        minor_units: m.minor_units,
        currency: m.currency,
    }
}

fn link_out(l: t::CustomerLink) -> w::CustomerLink {
    w::CustomerLink {
        email: l.email,
        customer_code: l.customer_code,
        created: l.created,
    }
}

fn update_out(u: t::OrderUpdate) -> w::OrderUpdate {
    w::OrderUpdate {
        order_id: u.order_id,
        backend_order_id: u.backend_order_id,
        job_no: u.job_no,
        status: u.status,
        tracking_number: u.tracking_number,
        at: u.at,
    }
}

fn err_out(e: t::PluginError) -> w::PluginError {
    match e {
        t::PluginError::Configuration(m) => w::PluginError::Configuration(m),
        t::PluginError::Authentication(m) => w::PluginError::Authentication(m),
        t::PluginError::Unreachable(m) => w::PluginError::Unreachable(m),
        t::PluginError::Rejected(m) => w::PluginError::Rejected(m),
        t::PluginError::NotFound(m) => w::PluginError::NotFound(m),
        t::PluginError::NoPrice(m) => w::PluginError::NoPrice(m),
        t::PluginError::Unsupported(m) => w::PluginError::Unsupported(m),
        t::PluginError::Internal(m) => w::PluginError::Internal(m),
    }
}

fn info_out(i: t::PluginInfo) -> w::PluginInfo {
    w::PluginInfo {
        id: i.id,
        name: i.name,
        version: i.version,
        description: i.description,
        capabilities: i
            .capabilities
            .into_iter()
            .map(|c| match c {
                t::Capability::Price => w::Capability::Price,
                t::Capability::Stock => w::Capability::Stock,
                t::Capability::Orders => w::Capability::Orders,
                t::Capability::Catalogue => w::Capability::Catalogue,
                t::Capability::Webhooks => w::Capability::Webhooks,
            })
            .collect(),
        settings: i
            .settings
            .into_iter()
            .map(|s| w::SettingSpec {
                key: s.key,
                label: s.label,
                kind: match s.kind {
                    t::SettingKind::Text => w::SettingKind::Text,
                    t::SettingKind::Url => w::SettingKind::Url,
                    t::SettingKind::Email => w::SettingKind::Email,
                    t::SettingKind::Password => w::SettingKind::Password,
                    t::SettingKind::Integer => w::SettingKind::Integer,
                    t::SettingKind::Boolean => w::SettingKind::Boolean,
                    t::SettingKind::Choice => w::SettingKind::Choice,
                    t::SettingKind::MultiChoice => w::SettingKind::MultiChoice,
                    t::SettingKind::Json => w::SettingKind::Json,
                },
                required: s.required,
                secret: s.secret,
                default_value: s.default_value,
                help: s.help,
                choices: s.choices,
                min: s.min,
                max: s.max,
            })
            .collect(),
        endpoint_setting: i.endpoint_setting,
    }
}
