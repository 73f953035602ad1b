//! Webhooks are authenticated by the host before any plugin runs.
//!
//! Each (storefront, plugin) pair has its own random webhook secret, made
//! and rotated by the operator, shown once, kept sealed like secret
//! settings. A back office proves it knows the secret in one of two ways:
//!
//! - **Signed** (`POST /webhooks/{storefront}/{plugin}`): headers
//!   `X-Connect-Timestamp: <unix seconds>` and `X-Connect-Signature:
//!   v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. The timestamp must
//!   be within `webhooks.max_age_secs` of now, and a signature is accepted
//!   once (a replay within the window is refused, on any node: accepted
//!   signatures are marked in the store).
//! - **Secret URL** (`POST /webhooks/{storefront}/{plugin}/{secret}`): for
//!   back offices that cannot sign (printIQ posts to a URL and nothing
//!   more). No replay window; plugins de-duplicate updates anyway.
//!
//! Comparisons are constant-time (`hmac`'s `verify_slice`,
//! [`constant_time_eq`]).
//! Failed attempts are throttled per client address, accepted webhooks per
//! storefront (`governor`), so one storefront's flood cannot take the
//! plugin pool from the others.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::service::config::WebhooksConfig;
use crate::service::infra::secrets::{constant_time_eq, random_token};
use crate::service::infra::time::{iso8601, now};
use crate::service::{Result, Service, ServiceError};

pub const TIMESTAMP_HEADER: &str = "x-connect-timestamp";
pub const SIGNATURE_HEADER: &str = "x-connect-signature";
/// Every secret starts with this, so a leaked one is recognisable.
pub const SECRET_PREFIX: &str = "cwh_";
/// Client addresses the failure throttle keeps before dropping stale ones.
const MAX_REMEMBERED: usize = 200_000;

/// How a webhook request claims to be authentic.
pub enum Credential<'a> {
    /// The secret as the last path segment.
    Url(&'a str),
    /// The signature headers (either may be missing: then it fails).
    Signed {
        timestamp: Option<&'a str>,
        signature: Option<&'a str>,
    },
}

/// What the operator sees of a pair's secret: never the secret itself.
#[derive(Clone, Debug, Serialize)]
pub struct WebhookSecretInfo {
    pub storefront: String,
    pub plugin: String,
    pub configured: bool,
    pub created_at: Option<String>,
    /// Where signed webhooks go.
    pub signed_url: String,
}

/// A secret just made: the only time it (and the URL holding it) is shown.
#[derive(Serialize)]
pub struct NewWebhookSecret {
    #[serde(flatten)]
    pub info: WebhookSecretInfo,
    pub secret: String,
    /// Where webhooks go for a back office that cannot sign.
    pub secret_url: String,
}

impl std::fmt::Debug for NewWebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewWebhookSecret")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// Throttles of webhook senders; one per node.
pub struct Guard {
    max_age_secs: i64,
    failures: DefaultKeyedRateLimiter<IpAddr>,
    accepted: DefaultKeyedRateLimiter<String>,
}

impl Guard {
    pub fn new(config: &WebhooksConfig) -> Self {
        let per_minute = NonZeroU32::new(config.failures_per_minute.max(1)).expect("at least 1");
        let per_second = NonZeroU32::new(config.per_storefront_per_second.max(1)).expect("≥ 1");
        let burst = per_second.saturating_mul(NonZeroU32::new(10).expect("10"));
        Self {
            max_age_secs: config.max_age_secs.max(1) as i64,
            failures: RateLimiter::keyed(Quota::per_minute(per_minute)),
            accepted: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
        }
    }

    /// Counts a failed attempt from `client`; true while it is within its
    /// allowance (answer 401), false beyond (answer 429).
    fn failure_allowed(&self, client: IpAddr) -> bool {
        if self.failures.len() > MAX_REMEMBERED {
            self.failures.retain_recent();
        }
        self.failures.check_key(&client).is_ok()
    }
}

/// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: what a sender puts
/// in `X-Connect-Signature`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = mac(secret, &timestamp.to_string());
    mac.update(body);
    format!("v1={}", hex(&mac.finalize().into_bytes()))
}

fn mac(secret: &str, timestamp: &str) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn context(storefront: &str, plugin: &str) -> String {
    format!("webhook:{storefront}/{plugin}")
}

impl Service {
    fn signed_url(&self, storefront: &str, plugin: &str) -> String {
        format!(
            "{}/webhooks/{storefront}/{plugin}",
            self.config.public_url()
        )
    }

    /// Whether the pair has a secret, and where webhooks go.
    pub async fn webhook_secret_info(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> Result<WebhookSecretInfo> {
        self.storefront(storefront).await?;
        self.runtime.info(plugin)?;
        let created = self
            .store
            .webhook_secret(storefront, plugin)
            .await?
            .map(|(_, at)| at);
        Ok(WebhookSecretInfo {
            storefront: storefront.into(),
            plugin: plugin.into(),
            configured: created.is_some(),
            created_at: created.map(iso8601),
            signed_url: self.signed_url(storefront, plugin),
        })
    }

    /// Makes a new secret for the pair, replacing the old one at once (the
    /// back office must be given the new one).
    pub async fn rotate_webhook_secret(
        &self,
        storefront: &str,
        plugin: &str,
    ) -> Result<NewWebhookSecret> {
        self.storefront(storefront).await?;
        self.runtime.info(plugin)?;
        let secret = format!("{SECRET_PREFIX}{}", random_token()?);
        let sealed = self
            .secrets
            .seal(&context(storefront, plugin), secret.as_bytes())?;
        let created = now();
        self.store
            .put_webhook_secret(storefront, plugin, &sealed, created)
            .await?;
        tracing::info!(storefront, plugin, "webhook secret rotated");
        let signed_url = self.signed_url(storefront, plugin);
        Ok(NewWebhookSecret {
            secret_url: format!("{signed_url}/{secret}"),
            info: WebhookSecretInfo {
                storefront: storefront.into(),
                plugin: plugin.into(),
                configured: true,
                created_at: Some(iso8601(created)),
                signed_url,
            },
            secret,
        })
    }

    async fn webhook_secret(&self, storefront: &str, plugin: &str) -> Result<Option<String>> {
        let sealed = self
            .store
            .webhook_secret(storefront, plugin)
            .await?
            .map(|(sealed, _)| sealed);
        let Some(sealed) = sealed else {
            return Ok(None);
        };
        let plain = self.secrets.open(&context(storefront, plugin), &sealed)?;
        Ok(Some(String::from_utf8(plain).map_err(|_| {
            anyhow::anyhow!("a stored webhook secret is not text")
        })?))
    }

    /// Checks a webhook's credential before its plugin sees it. Refusals
    /// are `Unauthenticated` (401) or, past the failure allowance of the
    /// client address or the storefront's webhook rate, `Throttled` (429).
    pub async fn authenticate_webhook(
        &self,
        storefront: &str,
        plugin: &str,
        credential: Credential<'_>,
        body: &[u8],
        client: IpAddr,
    ) -> Result<()> {
        let outcome = self
            .check_credential(storefront, plugin, credential, body)
            .await;
        if let Err(reason) = outcome {
            tracing::warn!(storefront, plugin, %client, reason, "webhook refused");
            return Err(if self.webhook_guard.failure_allowed(client) {
                ServiceError::Unauthenticated(format!(
                    "webhook refused: {reason}. Give the back office this storefront's webhook URL \
                     (with its secret) or sign with X-Connect-Timestamp and X-Connect-Signature"
                ))
            } else {
                ServiceError::Throttled(
                    "too many refused webhooks from this address: wait a minute".into(),
                )
            });
        }
        if self
            .webhook_guard
            .accepted
            .check_key(&storefront.to_string())
            .is_err()
        {
            return Err(ServiceError::Throttled(format!(
                "storefront `{storefront}` receives webhooks faster than `webhooks.per_storefront_per_second` allows: retry later"
            )));
        }
        Ok(())
    }

    /// `Err` holds why, for the log (never a secret).
    async fn check_credential(
        &self,
        storefront: &str,
        plugin: &str,
        credential: Credential<'_>,
        body: &[u8],
    ) -> Result<(), &'static str> {
        let secret = match self.webhook_secret(storefront, plugin).await {
            Ok(Some(s)) => s,
            Ok(None) => return Err("no webhook secret is set for this storefront and plugin"),
            Err(e) => {
                tracing::error!(storefront, plugin, error = %e, "webhook secret unreadable");
                return Err("the webhook secret cannot be read");
            }
        };
        match credential {
            Credential::Url(given) => {
                if constant_time_eq(given.as_bytes(), secret.as_bytes()) {
                    Ok(())
                } else {
                    Err("the secret in the URL is wrong")
                }
            }
            Credential::Signed {
                timestamp,
                signature,
            } => {
                let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
                    return Err("no secret in the URL and no signature headers");
                };
                let at: i64 = timestamp
                    .trim()
                    .parse()
                    .map_err(|_| "X-Connect-Timestamp is not Unix seconds")?;
                let now = now();
                let max_age = self.webhook_guard.max_age_secs;
                if (now - at).abs() > max_age {
                    return Err("X-Connect-Timestamp is outside the replay window");
                }
                let given = signature
                    .trim()
                    .strip_prefix("v1=")
                    .and_then(unhex)
                    .ok_or("X-Connect-Signature is not v1=<hex>")?;
                let mut mac = mac(&secret, timestamp.trim());
                mac.update(body);
                mac.verify_slice(&given)
                    .map_err(|_| "the signature does not match")?;
                let id: [u8; 32] = Sha256::new()
                    .chain_update(storefront)
                    .chain_update([0])
                    .chain_update(plugin)
                    .chain_update([0])
                    .chain_update(&given)
                    .finalize()
                    .into();
                // Remembered in the store: a replay to another node is one.
                let key = format!("webhook:{}", hex(&id));
                let fresh = self.store.mark(&key, at + max_age + 1).await.map_err(|e| {
                    tracing::error!(error = %e, "recording a webhook signature failed");
                    "the signature could not be recorded; send it again"
                })?;
                if fresh {
                    Ok(())
                } else {
                    Err("this signed webhook was received before (a replay)")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_round_trip() {
        let s = sign("cwh_x", 1_700_000_000, b"{}");
        let given = unhex(s.strip_prefix("v1=").unwrap()).unwrap();
        let mut m = mac("cwh_x", "1700000000");
        m.update(b"{}");
        assert!(m.verify_slice(&given).is_ok());
        let mut m = mac("cwh_y", "1700000000");
        m.update(b"{}");
        assert!(m.verify_slice(&given).is_err());

        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
    }
}
