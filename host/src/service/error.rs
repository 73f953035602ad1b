//! Failures of service operations, typed so the API can answer the right
//! status and the admin pages the right message.

use connect_runtime::contract::FieldError;
use connect_runtime::error::CallError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The thing named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The input has problems; one entry per field.
    #[error("invalid input: {}", list(.0))]
    Invalid(Vec<FieldError>),
    /// The request conflicts with the stored state.
    #[error("{0}")]
    Conflict(String),
    /// The storefront has no plugin for this (its own price/stock applies).
    #[error("{0}")]
    NotHandled(String),
    /// A request's credential is missing or wrong (webhooks).
    #[error("{0}")]
    Unauthenticated(String),
    /// Over a rate limit; retry later.
    #[error("{0}")]
    Throttled(String),
    /// The plugin call failed.
    #[error(transparent)]
    Call(#[from] CallError),
    /// A bug or a storage failure.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<super::store::StoreError> for ServiceError {
    fn from(e: super::store::StoreError) -> Self {
        Self::Internal(anyhow::Error::new(e))
    }
}

impl ServiceError {
    pub fn invalid(key: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError {
            key: key.into(),
            message: message.into(),
        }])
    }

    /// A short, bounded label.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not-found",
            Self::Invalid(_) => "invalid",
            Self::Conflict(_) => "conflict",
            Self::NotHandled(_) => "not-handled",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Throttled(_) => "throttled",
            Self::Call(e) => e.kind(),
            Self::Internal(_) => "internal",
        }
    }
}

fn list(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.key, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
