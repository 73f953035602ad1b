//! A connect plugin that misbehaves on purpose, so tests can prove the
//! sandbox holds. `price` picks the misbehaviour from the product reference:
//!
//! | product-ref            | does                                               |
//! |------------------------|----------------------------------------------------|
//! | `echo`                 | answers `quantity` × 100 pence (well-behaved)      |
//! | `loop`                 | loops forever                                      |
//! | `grow`                 | allocates memory until it is refused               |
//! | `panic`                | panics                                             |
//! | `fetch:<url>`          | GETs `<url>`, reads the body; answers the outcome  |
//! | `follow:<url>`         | as `fetch`, following one redirect by itself       |
//! | `cache-set:<k>=<v>`    | stores `<v>` under `<k>` in its cache              |
//! | `cache-get:<k>`        | answers the cached value of `<k>` in `quote-ref`   |
//! | `burst:<n>:<url>`      | opens `n` GETs of `<url>` at once, then reads them |
//! |                        | all; answers `ok:<a> refused:<b> other:<c>`        |
//! | `log:<n>`              | logs `n` lines at `info`                           |

wit_bindgen::generate!({ path: "../../../wit/since_v0.1.0", world: "connect-plugin", generate_all });

use connect::plugin::types::*;
use exports::connect::plugin::plugin::Guest;
use wasi::http::types::{Fields, Method, OutgoingRequest, Scheme};

struct Rogue;

impl Guest for Rogue {
    fn info() -> PluginInfo {
        PluginInfo {
            id: "rogue".into(),
            name: "Rogue (test plugin)".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Misbehaves on purpose to test the sandbox.".into(),
            capabilities: vec![Capability::Price],
            settings: vec![SettingSpec {
                key: "endpoint".into(),
                label: "Endpoint".into(),
                kind: SettingKind::Url,
                required: false,
                secret: false,
                default_value: None,
                help: "The only origin this plugin may reach.".into(),
                choices: vec![],
                min: None,
                max: None,
            }],
            endpoint_setting: Some("endpoint".into()),
        }
    }

    fn configure(settings: Settings) -> Result<Settings, Vec<FieldError>> {
        let errors: Vec<FieldError> = settings
            .iter()
            .filter(|(k, _)| k != "endpoint")
            .map(|(k, _)| FieldError {
                key: k.clone(),
                message: "unknown setting".into(),
            })
            .collect();
        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }

    fn init(_settings: Settings) -> Result<(), PluginError> {
        Ok(())
    }

    fn check_connection() -> Result<ConnectionReport, PluginError> {
        unsupported()
    }

    fn price(request: PriceRequest) -> Result<PriceQuote, PluginError> {
        let reference = request.product.product_ref.as_str();
        let answer = match reference.split_once(':') {
            None if reference == "echo" => None,
            None if reference == "loop" => loop {
                std::hint::black_box(0u64);
            },
            None if reference == "grow" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    // Touch every page so the memory is really used.
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            None if reference == "panic" => panic!("rogue plugin panicked on purpose"),
            Some(("fetch", url)) => Some(fetch(url).0),
            Some(("follow", url)) => Some(match fetch(url) {
                (_, Some(location)) => fetch(&location).0,
                (outcome, None) => outcome,
            }),
            Some(("cache-set", kv)) => {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                connect::plugin::cache::set(k, v.as_bytes(), 0);
                Some("stored".into())
            }
            Some(("cache-get", k)) => Some(match connect::plugin::cache::get(k) {
                Some(v) => format!("found:{}", String::from_utf8_lossy(&v)),
                None => "missing".into(),
            }),
            Some(("burst", rest)) => {
                let (n, url) = rest.split_once(':').unwrap_or((rest, ""));
                Some(burst(n.parse().unwrap_or(0), url))
            }
            Some(("log", n)) => {
                let n: u32 = n.parse().unwrap_or(0);
                for i in 0..n {
                    connect::plugin::log::log(
                        connect::plugin::log::Level::Info,
                        &format!("rogue log line {i} of {n}"),
                    );
                }
                Some(format!("logged:{n}"))
            }
            _ => return Err(PluginError::NotFound(format!("no behaviour `{reference}`"))),
        };
        Ok(PriceQuote {
            total: Money {
                minor_units: i64::from(request.quantity) * 100,
                currency: "GBP".into(),
            },
            quote_ref: answer,
            customer_code: "ROGUE".into(),
            customer_link: None,
            cached: false,
        })
    }

    fn stock(_: StockRequest) -> Result<StockLevel, PluginError> {
        unsupported()
    }

    fn submit_order(_: Order) -> Result<OrderReceipt, PluginError> {
        unsupported()
    }

    fn order_status(_: String, _: Option<String>) -> Result<OrderUpdate, PluginError> {
        unsupported()
    }

    fn refresh_catalogue() -> Result<CatalogueReport, PluginError> {
        unsupported()
    }

    fn products(_: u32, _: u32, _: Option<String>) -> Result<ProductPage, PluginError> {
        unsupported()
    }

    fn handle_webhook(_: WebhookRequest) -> Result<Vec<OrderUpdate>, PluginError> {
        unsupported()
    }
}

fn unsupported<T>() -> Result<T, PluginError> {
    Err(PluginError::Unsupported(
        "the rogue plugin only prices".into(),
    ))
}

/// Opens `n` GETs of `url` without waiting for any, then waits for each
/// and reads its body.
fn burst(n: u32, url: &str) -> String {
    let (mut ok, mut refused, mut other) = (0, 0, 0);
    let pending: Vec<_> = (0..n)
        .map(|_| match request(url) {
            Ok(request) => wasi::http::outgoing_handler::handle(request, None),
            Err(_) => Err(wasi::http::types::ErrorCode::HttpRequestUriInvalid),
        })
        .collect();
    for future in pending {
        let outcome = future.and_then(|f| {
            f.subscribe().block();
            match f.get() {
                Some(Ok(result)) => result,
                _ => Err(wasi::http::types::ErrorCode::InternalError(None)),
            }
        });
        match outcome {
            Ok(response) => {
                if let Ok(body) = response.consume()
                    && let Ok(stream) = body.stream()
                {
                    while stream.blocking_read(64 * 1024).is_ok() {}
                }
                ok += 1;
            }
            Err(wasi::http::types::ErrorCode::ConnectionLimitReached) => refused += 1,
            Err(_) => other += 1,
        }
    }
    format!("ok:{ok} refused:{refused} other:{other}")
}

/// A GET of `url`, or why not.
fn request(url: &str) -> Result<OutgoingRequest, String> {
    let (scheme, rest) = match url.split_once("://") {
        Some(("https", rest)) => (Scheme::Https, rest),
        Some(("http", rest)) => (Scheme::Http, rest),
        Some((other, rest)) => (Scheme::Other(other.into()), rest),
        None => return Err("error:bad url".into()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let request = OutgoingRequest::new(Fields::new());
    let _ = request.set_method(&Method::Get);
    let _ = request.set_scheme(Some(&scheme));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(path));
    Ok(request)
}

/// GETs `url` and reads its body; answers `status:<code> bytes:<n>` or
/// `error:<wasi:http error code>`, and the redirect location, if any.
fn fetch(url: &str) -> (String, Option<String>) {
    let request = match request(url) {
        Ok(request) => request,
        Err(e) => return (e, None),
    };
    let response = match wasi::http::outgoing_handler::handle(request, None) {
        Ok(future) => {
            future.subscribe().block();
            match future.get() {
                Some(Ok(Ok(response))) => response,
                Some(Ok(Err(code))) => return (format!("error:{code:?}"), None),
                _ => return ("error:no response".into(), None),
            }
        }
        Err(code) => return (format!("error:{code:?}"), None),
    };
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .first()
        .map(|v| String::from_utf8_lossy(v).into_owned());
    let Ok(body) = response.consume() else {
        return (format!("status:{status} error:no body"), location);
    };
    let Ok(stream) = body.stream() else {
        return (format!("status:{status} error:no body stream"), location);
    };
    let mut bytes = 0usize;
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => bytes += chunk.len(),
            Err(wasi::io::streams::StreamError::Closed) => break,
            Err(wasi::io::streams::StreamError::LastOperationFailed(e)) => {
                let code = wasi::http::types::http_error_code(&e);
                return (
                    format!("status:{status} bytes:{bytes} error:{code:?}"),
                    location,
                );
            }
        }
    }
    (format!("status:{status} bytes:{bytes}"), location)
}

export!(Rogue);
