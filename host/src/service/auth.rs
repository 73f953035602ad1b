//! Who may use the API and the admin pages: the admin token (as a bearer
//! token on `/api/v1`, or typed into the admin login), or a user name and
//! password from the configuration. (Storefront API keys, limited to one
//! storefront's price, stock and orders, are in [`super::keys`].) An admin login is a signed, expiring
//! cookie (HMAC-SHA256 keyed by the credentials, so changing them logs
//! everyone out); nothing is kept server-side.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::config::Config;
use super::db::now;
use super::secrets::{constant_time_eq, load_or_create_token};

pub const COOKIE: &str = "connect_admin";

pub struct Auth {
    token: String,
    user: Option<(String, String)>,
    key: Vec<u8>,
    session_secs: i64,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth { .. }")
    }
}

impl Auth {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let token = if config.auth.token.is_empty() {
            load_or_create_token(&config.admin_token_path())?
        } else {
            config.auth.token.clone()
        };
        if token.len() < 16 {
            anyhow::bail!("auth.token must be at least 16 characters");
        }
        let user = (!config.auth.username.is_empty())
            .then(|| (config.auth.username.clone(), config.auth.password.clone()));
        let mut mac = <Hmac<Sha256>>::new_from_slice(b"connect-admin-session").expect("any key");
        mac.update(token.as_bytes());
        if let Some((u, p)) = &user {
            mac.update(u.as_bytes());
            mac.update(p.as_bytes());
        }
        Ok(Self {
            token,
            user,
            key: mac.finalize().into_bytes().to_vec(),
            session_secs: (config.auth.session_hours.max(1) * 3600) as i64,
        })
    }

    /// The admin token (for the demo's printout; never logged).
    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn has_user(&self) -> bool {
        self.user.is_some()
    }

    /// Checks an `Authorization` header value.
    pub fn bearer_ok(&self, header: Option<&str>) -> bool {
        bearer(header).is_some_and(|t| self.is_admin_token(t))
    }

    pub fn is_admin_token(&self, token: &str) -> bool {
        constant_time_eq(token.as_bytes(), self.token.as_bytes())
    }

    /// Checks a login: the token alone, or user name and password.
    pub fn login_ok(&self, username: &str, secret: &str) -> bool {
        let token_ok = constant_time_eq(secret.as_bytes(), self.token.as_bytes());
        match (&self.user, username.is_empty()) {
            (_, true) => token_ok,
            (Some((u, p)), false) => {
                constant_time_eq(username.as_bytes(), u.as_bytes())
                    & constant_time_eq(secret.as_bytes(), p.as_bytes())
            }
            (None, false) => false,
        }
    }

    /// A new session cookie value.
    pub fn session(&self) -> String {
        let expires = now() + self.session_secs;
        format!("{expires}.{}", self.sign(expires))
    }

    pub fn session_ok(&self, value: &str) -> bool {
        let Some((expires, sig)) = value.split_once('.') else {
            return false;
        };
        let Ok(expires) = expires.parse::<i64>() else {
            return false;
        };
        expires > now() && constant_time_eq(sig.as_bytes(), self.sign(expires).as_bytes())
    }

    fn sign(&self, expires: i64) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.key).expect("any key");
        mac.update(expires.to_string().as_bytes());
        format!("{:x}", mac.finalize().into_bytes())
    }

    pub fn session_secs(&self) -> i64 {
        self.session_secs
    }
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    header
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(user: bool) -> Auth {
        let mut config = Config::default();
        config.auth.token = "a-long-enough-admin-token".into();
        if user {
            config.auth.username = "ops".into();
            config.auth.password = "pw".into();
        }
        Auth::from_config(&config).unwrap()
    }

    #[test]
    fn sessions_are_signed_and_bound_to_the_credentials() {
        let a = auth(false);
        let s = a.session();
        assert!(a.session_ok(&s));
        let (exp, sig) = s.split_once('.').unwrap();
        let later = format!("{}.{sig}", exp.parse::<i64>().unwrap() + 1000);
        assert!(
            !a.session_ok(&later),
            "a changed expiry breaks the signature"
        );
        assert!(!auth(true).session_ok(&s), "other credentials, other key");
        assert!(!a.session_ok("garbage"));
    }

    #[test]
    fn logins() {
        let a = auth(true);
        assert!(a.login_ok("", "a-long-enough-admin-token"));
        assert!(a.login_ok("ops", "pw"));
        assert!(!a.login_ok("ops", "a-long-enough-admin-token"));
        assert!(!auth(false).login_ok("ops", "pw"));
        assert!(a.bearer_ok(Some("Bearer a-long-enough-admin-token")));
        assert!(!a.bearer_ok(Some("Bearer nope")));
        assert!(!a.bearer_ok(None));
    }
}
