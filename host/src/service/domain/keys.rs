//! Storefront API keys: a storefront (shop) calls price, stock and orders
//! with its own key instead of the admin token, so a leaked shop key cannot
//! change settings or touch another storefront. Which routes a key may call
//! is decided in [`crate::service::http::api`]; here keys are made, listed,
//! revoked and resolved.
//!
//! A key is shown once, when it is created. Only its SHA-256 is stored: keys
//! are 256-bit random tokens, so a slow KDF would add nothing but latency on
//! every price request, and a hash lookup compares no secret bytes itself.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::service::infra::secrets::{random, random_token};
use crate::service::infra::time::{iso8601, now};
use crate::service::store::KeyRow;
use crate::service::{Result, Service, ServiceError};

/// Every key starts with this, so a key is recognisable in a config file
/// (and a secret scanner can find a leaked one).
pub const KEY_PREFIX: &str = "csk_";
/// How much of a key is kept and shown to tell keys apart.
const SHOWN_CHARS: usize = KEY_PREFIX.len() + 6;
const MAX_LABEL: usize = 100;

/// A key as listed: never the key itself.
#[derive(Clone, Debug, Serialize)]
pub struct ApiKey {
    pub id: String,
    pub storefront: String,
    pub label: String,
    /// The key's first characters, e.g. `csk_Ab12Cd`.
    pub prefix: String,
    pub created_at: String,
}

/// A key just created: the only time the key is answered.
#[derive(Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub info: ApiKey,
    pub key: String,
}

impl std::fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedKey")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = KeyRequest)]
pub struct KeyInput {
    /// What the key is for, e.g. "live shop".
    #[serde(default)]
    #[schema(max_length = 100)]
    pub label: Option<String>,
}

fn hash(key: &str) -> String {
    format!("{:x}", Sha256::digest(key.as_bytes()))
}

impl Service {
    pub async fn create_key(&self, storefront: &str, input: KeyInput) -> Result<CreatedKey> {
        self.storefront(storefront).await?;
        let label = input
            .label
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| "API key".into());
        if label.chars().count() > MAX_LABEL || label.chars().any(char::is_control) {
            return Err(ServiceError::invalid(
                "label",
                format!("must be at most {MAX_LABEL} characters, without control characters"),
            ));
        }
        let key = format!("{KEY_PREFIX}{}", random_token()?);
        let id = format!("{:016x}", u64::from_be_bytes(random::<8>()?));
        let prefix = key[..SHOWN_CHARS].to_string();
        let created = now();
        self.store
            .insert_key(&KeyRow {
                id: id.clone(),
                storefront: storefront.into(),
                label: label.clone(),
                prefix: prefix.clone(),
                hash: hash(&key),
                created_at: created,
            })
            .await?;
        tracing::info!(storefront, key_id = id, "storefront API key created");
        Ok(CreatedKey {
            info: ApiKey {
                id,
                storefront: storefront.into(),
                label,
                prefix,
                created_at: iso8601(created),
            },
            key,
        })
    }

    pub async fn keys(&self, storefront: &str) -> Result<Vec<ApiKey>> {
        self.storefront(storefront).await?;
        let rows = self.store.keys(storefront).await?;
        Ok(rows
            .into_iter()
            .map(|k| ApiKey {
                id: k.id,
                storefront: k.storefront,
                label: k.label,
                prefix: k.prefix,
                created_at: iso8601(k.created_at),
            })
            .collect())
    }

    /// Revokes a key at once: the next request with it is refused.
    pub async fn revoke_key(&self, storefront: &str, id: &str) -> Result<()> {
        if !self.store.delete_key(storefront, id).await? {
            return Err(ServiceError::NotFound(format!(
                "storefront `{storefront}` has no API key `{id}`"
            )));
        }
        tracing::info!(storefront, key_id = id, "storefront API key revoked");
        Ok(())
    }

    /// The storefront a presented key belongs to, if it is a live key.
    pub async fn key_storefront(&self, key: &str) -> Result<Option<String>> {
        if !key.starts_with(KEY_PREFIX) {
            return Ok(None);
        }
        Ok(self.store.key_storefront(&hash(key)).await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            super::hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
