//! A back office's address: the endpoint setting parsed and checked (for a
//! setting's `normalise` hook, each message for the operator), and the
//! parts of it that messages name.

/// `scheme://host[:port]/path` of an `http` or `https` endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// Lower case; an IPv6 address in brackets.
    pub host: String,
    /// As given, if given.
    pub port: Option<u16>,
    /// As given, from its `/` (or empty).
    pub path: String,
}

impl BaseUrl {
    /// Parses `input`: an `http://` or `https://` URL with a valid host
    /// name or IP address and port, and no user info, query, fragment or
    /// whitespace in it.
    pub fn parse(input: &str) -> Result<BaseUrl, String> {
        let input = input.trim();
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(format!(
                "`{input}` is not a full URL; include the scheme, e.g. https://{input}"
            ));
        };
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!(
                "scheme `{scheme}` is not supported; the URL must start with http:// or https://"
            ));
        }
        let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(
                "the URL must not contain a user name or password; they have settings of their own"
                    .into(),
            );
        }
        if path.contains(['?', '#']) {
            return Err("the URL must not contain a query (?...) or fragment (#...)".into());
        }
        let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
            let Some((h, after)) = stripped.split_once(']') else {
                return Err("the IPv6 address in the URL lacks its closing `]`".into());
            };
            (
                format!("[{}]", h.to_ascii_lowercase()),
                after.strip_prefix(':'),
            )
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h.to_ascii_lowercase(), Some(p)),
                None => (authority.to_ascii_lowercase(), None),
            }
        };
        let host_ok = if host.starts_with('[') {
            host.len() > 2
                && host[1..host.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        } else {
            !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
                && !host.starts_with('.')
                && !host.ends_with("..")
        };
        if !host_ok {
            return Err(format!(
                "`{host}` is not a valid host name; enter the server's host name or IP address"
            ));
        }
        let port = match port {
            None => None,
            Some(p) => match p.parse::<u16>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(format!(
                        "port `{p}` is not valid; enter a number from 1 to 65535, e.g. https://host:8443/"
                    ));
                }
            },
        };
        if path.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the URL path contains spaces; remove them".into());
        }
        Ok(BaseUrl {
            scheme,
            host,
            port,
            path: path.to_string(),
        })
    }

    /// `scheme://host[:port]`, the port only when given.
    pub fn origin(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// The port, or the scheme's default.
    pub fn port_or_default(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }
}

/// `scheme://host[:port]` of a URL, for messages (the URL up to its path).
pub fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find('/').map_or(url.len(), |i| start + i);
    &url[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_into_their_parts() {
        let u = BaseUrl::parse(" HTTPS://H.Example.com:8443/mis/x ").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port, u.path.as_str()),
            ("https", "h.example.com", Some(8443), "/mis/x")
        );
        assert_eq!(u.origin(), "https://h.example.com:8443");
        let v6 = BaseUrl::parse("http://[::1]").unwrap();
        assert_eq!((v6.host.as_str(), v6.port_or_default()), ("[::1]", 80));
        assert_eq!(BaseUrl::parse("https://h").unwrap().port_or_default(), 443);
        for bad in [
            "h.example.com",
            "ftp://h",
            "https://u:p@h",
            "https://h:99999",
            "https://h:0",
            "https://h/?x=1",
            "https://h#f",
            "https://bad host/",
            "https:///x",
            "http://[::1",
            "https://h/a b",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(origin("http://127.0.0.1:9/a/b"), "http://127.0.0.1:9");
        assert_eq!(origin("https://h"), "https://h");
    }
}
