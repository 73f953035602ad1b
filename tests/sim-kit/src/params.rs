//! Query parameters with names matched case-insensitively (`customerCode`
//! and `customercode` are the same), as ASP.NET binds them.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use std::convert::Infallible;

/// Query parameters; never rejects a request.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Params::from_query(parts.uri.query().unwrap_or_default()))
    }
}

impl Params {
    /// Parses `a=1&b=2` (URL-decoded; also a form-encoded body).
    pub fn from_query(query: &str) -> Params {
        let pairs = Query::<Vec<(String, String)>>::try_from_uri(
            &format!("/?{query}").parse().unwrap_or_default(),
        )
        .map(|q| q.0)
        .unwrap_or_default();
        Params(
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect(),
        )
    }

    /// The value as sent (last one wins), untrimmed.
    pub fn raw(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.0
            .iter()
            .rev()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The trimmed value; empty counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.raw(name).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, String> {
        self.get(name)
            .map(|v| {
                v.parse().map_err(|_| {
                    format!("Query parameter '{name}' must be a whole number, not '{v}'.")
                })
            })
            .transpose()
    }

    /// No parameters at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the pairs of `other` after these (so `other` wins on `raw`).
    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_case_insensitively_and_values_decode() {
        let p = Params::from_query("UserName=a%40b.c&password=p+w&n=5");
        assert_eq!(p.get("username"), Some("a@b.c"));
        assert_eq!(p.get("Password"), Some("p w"));
        assert_eq!(p.int("N"), Ok(Some(5)));
        assert!(p.int("missing").unwrap_or(None).is_none());
    }
}
