//! Who may use the API and the admin pages: the admin token (as a bearer
//! token on `/api/v1`, or typed into the admin login), or a user name and
//! password from the configuration. (Storefront API keys, limited to one
//! storefront's price, stock and orders, are in [`crate::service::domain::keys`].)
//!
//! - Credentials are kept hashed: the login compares against Argon2id
//!   hashes (`auth.password_hash` keeps the password hashed in the
//!   configuration too). API bearer checks compare the SHA-256 of the token
//!   in constant time (`subtle`): the token is 256-bit random, so a slow
//!   hash would only slow every request, as for storefront keys.
//! - Logins are throttled per client address (`governor`).
//! - A session is a random 256-bit id kept server-side (only its SHA-256),
//!   expiring, revoked by logging out; "log out everywhere" revokes all.
//!   Sessions live in the store, so every node honours them and a restart
//!   logs nobody out.
//! - The cookie is `Secure` when `server.public_url` is `https://` (TLS in
//!   front of the service).

use std::net::IpAddr;
use std::num::NonZeroU32;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};

use crate::service::config::Config;
use crate::service::infra::secrets::{constant_time_eq, load_or_create_token, random};
use crate::service::infra::time::now;

pub const COOKIE: &str = "connect_admin";

/// Login throttle entries kept before the stale ones are dropped.
const MAX_CLIENTS: usize = 10_000;
/// The prefix of session marks in the store.
const SESSION: &str = "session:";

pub struct Auth {
    token_digest: [u8; 32],
    token_hash: String,
    /// User name and Argon2id hash of the password.
    user: Option<(String, String)>,
    session_secs: i64,
    secure_cookie: bool,
    logins: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Auth { .. }")
    }
}

/// The Argon2id hash (PHC string) of `secret`, with a random salt.
pub fn hash_secret(secret: &str) -> anyhow::Result<String> {
    let salt =
        SaltString::encode_b64(&random::<16>()?).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))
}

fn verify(secret: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &h)
            .is_ok()
    })
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
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
        let a = &config.auth;
        let user = match (
            a.username.is_empty(),
            a.password.is_empty(),
            a.password_hash.is_empty(),
        ) {
            (true, ..) => None,
            (false, false, _) => Some((a.username.clone(), hash_secret(&a.password)?)),
            (false, true, false) => {
                PasswordHash::new(&a.password_hash).map_err(|e| {
                    anyhow::anyhow!(
                        "auth.password_hash is not an Argon2 PHC string ({e}); make one with \
                         `connect-host hash-password`"
                    )
                })?;
                Some((a.username.clone(), a.password_hash.clone()))
            }
            (false, true, true) => {
                anyhow::bail!("auth.username needs auth.password or auth.password_hash")
            }
        };
        let per_minute = NonZeroU32::new(a.login_attempts_per_minute.max(1)).expect("at least 1");
        Ok(Self {
            token_digest: digest(&token),
            token_hash: hash_secret(&token)?,
            user,
            session_secs: (a.session_hours.max(1) * 3600) as i64,
            secure_cookie: config.public_url().starts_with("https://"),
            logins: RateLimiter::keyed(Quota::per_minute(per_minute)),
        })
    }

    pub fn has_user(&self) -> bool {
        self.user.is_some()
    }

    /// Checks an `Authorization` header value.
    pub fn bearer_ok(&self, header: Option<&str>) -> bool {
        bearer(header).is_some_and(|t| self.is_admin_token(t))
    }

    pub fn is_admin_token(&self, token: &str) -> bool {
        constant_time_eq(&digest(token), &self.token_digest)
    }

    /// Whether `client` may try a login now (counts the attempt).
    pub fn login_allowed(&self, client: IpAddr) -> bool {
        if self.logins.len() > MAX_CLIENTS {
            self.logins.retain_recent();
        }
        self.logins.check_key(&client).is_ok()
    }

    /// Checks a login: the token alone, or user name and password.
    pub fn login_ok(&self, username: &str, secret: &str) -> bool {
        match (&self.user, username.is_empty()) {
            (_, true) => verify(secret, &self.token_hash),
            (Some((u, phc)), false) => {
                let name_ok = constant_time_eq(username.as_bytes(), u.as_bytes());
                verify(secret, phc) & name_ok
            }
            (None, false) => false,
        }
    }

    /// The `Set-Cookie` value for session `id` (empty: clear the cookie).
    pub fn cookie(&self, id: &str) -> String {
        let max_age = if id.is_empty() { 0 } else { self.session_secs };
        let secure = if self.secure_cookie { "; Secure" } else { "" };
        format!("{COOKIE}={id}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
    }
}

impl crate::service::Service {
    /// Opens an admin session; answers its id (the cookie value).
    pub async fn open_session(&self) -> anyhow::Result<String> {
        let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?);
        let until = now() + self.auth.session_secs;
        self.store.mark(&session_key(&id), until).await?;
        Ok(id)
    }

    /// Whether `id` is an open session (a store failure: no).
    pub async fn session_ok(&self, id: &str) -> bool {
        self.store
            .marked(&session_key(id))
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "reading admin sessions failed");
                false
            })
    }

    /// Logs one session out.
    pub async fn close_session(&self, id: &str) -> anyhow::Result<()> {
        Ok(self.store.unmark(&session_key(id)).await?)
    }

    /// Logs every session out; answers how many were open.
    pub async fn close_all_sessions(&self) -> anyhow::Result<usize> {
        Ok(self.store.unmark_prefix(SESSION).await?)
    }
}

/// A session's key in the store: the digest of its id, never the id.
fn session_key(id: &str) -> String {
    let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest(id));
    format!("{SESSION}{digest}")
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
    fn logins_compare_argon2_hashes() {
        let a = auth(true);
        assert!(a.token_hash.starts_with("$argon2id$"));
        assert!(!a.token_hash.contains("a-long-enough-admin-token"));
        assert!(a.login_ok("", "a-long-enough-admin-token"));
        assert!(a.login_ok("ops", "pw"));
        assert!(!a.login_ok("ops", "a-long-enough-admin-token"));
        assert!(!a.login_ok("", "a-long-enough-admin-tokeN"));
        assert!(!auth(false).login_ok("ops", "pw"));
        assert!(a.bearer_ok(Some("Bearer a-long-enough-admin-token")));
        assert!(!a.bearer_ok(Some("Bearer nope")));
        assert!(!a.bearer_ok(None));
    }

    #[test]
    fn a_stored_password_hash_logs_in() {
        let mut config = Config::default();
        config.auth.token = "a-long-enough-admin-token".into();
        config.auth.username = "ops".into();
        config.auth.password_hash = hash_secret("s3cret").unwrap();
        let a = Auth::from_config(&config).unwrap();
        assert!(a.login_ok("ops", "s3cret"));
        assert!(!a.login_ok("ops", "other"));
        config.auth.password_hash = "s3cret".into();
        assert!(Auth::from_config(&config).is_err(), "not a hash");
    }

    #[test]
    fn logins_are_throttled_per_address() {
        let mut config = Config::default();
        config.auth.token = "a-long-enough-admin-token".into();
        config.auth.login_attempts_per_minute = 3;
        let a = Auth::from_config(&config).unwrap();
        let (one, two): (IpAddr, IpAddr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert_eq!((0..5).filter(|_| a.login_allowed(one)).count(), 3);
        assert!(a.login_allowed(two), "another address is not throttled");
    }

    #[test]
    fn the_cookie_is_secure_behind_tls() {
        let mut config = Config::default();
        config.auth.token = "a-long-enough-admin-token".into();
        assert!(
            !Auth::from_config(&config)
                .unwrap()
                .cookie("x")
                .contains("Secure")
        );
        config.server.public_url = "https://connect.example.com".into();
        let cookie = Auth::from_config(&config).unwrap().cookie("x");
        assert!(cookie.ends_with("; Secure"), "{cookie}");
        assert!(cookie.contains("HttpOnly; SameSite=Strict"), "{cookie}");
    }
}
