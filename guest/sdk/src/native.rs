//! A std-only [`Platform`] for running a connector natively (smoke tests
//! against a simulator, benchmarks): plain-`http://` HTTP/1.1 over
//! `TcpStream`, an in-memory cache with TTLs, logging to stderr. Not compiled
//! for wasm32. It speaks no TLS: `https://` URLs answer [`HttpError::Tls`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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

fn io_error(e: std::io::Error) -> HttpError {
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

impl Platform for NativePlatform {
    fn http(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let rest = match req.url.split_once("://") {
            Some((s, rest)) if s.eq_ignore_ascii_case("http") => rest,
            Some((s, _)) if s.eq_ignore_ascii_case("https") => {
                return Err(HttpError::Tls("the native platform speaks no TLS".into()));
            }
            _ => return Err(HttpError::Other("unsupported URL".into())),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let addr_text = if authority
            .rsplit_once(':')
            .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            && !authority.ends_with(']')
        {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        let addrs: Vec<_> = addr_text
            .to_socket_addrs()
            .map_err(|e| HttpError::Dns(e.to_string()))?
            .collect();
        let addr = addrs
            .first()
            .ok_or_else(|| HttpError::Dns("no address".into()))?;
        let mut stream = TcpStream::connect_timeout(addr, self.connect_timeout).map_err(|e| {
            if e.kind() == std::io::ErrorKind::TimedOut {
                HttpError::ConnectTimeout
            } else {
                io_error(e)
            }
        })?;
        stream
            .set_read_timeout(Some(self.read_timeout))
            .map_err(io_error)?;
        let body = req.body.unwrap_or_default();
        let mut head = format!(
            "{} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nContent-Length: {}\r\n",
            req.method.as_str(),
            body.len()
        );
        for (k, v) in &req.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).map_err(io_error)?;
        stream.write_all(&body).map_err(io_error)?;

        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        reader.read_line(&mut line).map_err(io_error)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(HttpError::ConnectionClosed)?;
        let mut headers = Vec::new();
        loop {
            line.clear();
            reader.read_line(&mut line).map_err(io_error)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let mut body = Vec::new();
        if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
            loop {
                line.clear();
                reader.read_line(&mut line).map_err(io_error)?;
                let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| HttpError::ConnectionClosed)?;
                if size == 0 {
                    break;
                }
                if body.len() + size > MAX_BODY_BYTES {
                    return Err(HttpError::TooLarge);
                }
                let start = body.len();
                body.resize(start + size, 0);
                reader.read_exact(&mut body[start..]).map_err(io_error)?;
                line.clear();
                reader.read_line(&mut line).map_err(io_error)?;
            }
        } else if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
            if len > MAX_BODY_BYTES {
                return Err(HttpError::TooLarge);
            }
            body.resize(len, 0);
            reader.read_exact(&mut body).map_err(io_error)?;
        } else {
            reader
                .take(MAX_BODY_BYTES as u64 + 1)
                .read_to_end(&mut body)
                .map_err(io_error)?;
            if body.len() > MAX_BODY_BYTES {
                return Err(HttpError::TooLarge);
            }
        }
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
