//! Typed failures of a plugin call, each with a message for the operator.

use std::time::Duration;

use crate::contract::{FieldError, PluginError};

/// Why a plugin call did not produce an answer.
#[derive(Debug, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CallError {
    /// The plugin answered with one of its typed errors.
    #[error("{}", .error.message())]
    Plugin { error: PluginError },
    /// `configure` found problems in the settings; one entry per field.
    #[error("invalid settings: {}", list_fields(.fields))]
    InvalidSettings { fields: Vec<FieldError> },
    /// The guest ran past its execution deadline and was stopped.
    #[error("the plugin ran for more than its execution deadline of {} ms and was stopped; the next call starts a fresh instance", .deadline_ms)]
    Deadline { deadline_ms: u64 },
    /// The whole call (guest and host I/O) took too long and was cancelled.
    #[error("the call did not finish within {} ms and was cancelled; the next call starts a fresh instance", .timeout_ms)]
    Timeout { timeout_ms: u64 },
    /// The guest tried to grow its memory past the tenant's cap.
    #[error("the plugin tried to use more than its memory cap of {} MiB and was stopped; the next call starts a fresh instance", .limit_bytes >> 20)]
    MemoryLimit { limit_bytes: u64 },
    /// The guest trapped (a panic, an abort, a bug).
    #[error("the plugin crashed: {message}; the next call starts a fresh instance")]
    Crashed { message: String },
    /// No plugin with this id is loaded.
    #[error("no plugin `{id}` is loaded")]
    UnknownPlugin { id: String },
    /// The host could not create an instance (e.g. at capacity).
    #[error("could not start the plugin: {message}")]
    Unavailable { message: String },
}

impl CallError {
    pub(crate) fn deadline(d: Duration) -> Self {
        Self::Deadline {
            deadline_ms: d.as_millis() as u64,
        }
    }

    pub(crate) fn timeout(d: Duration) -> Self {
        Self::Timeout {
            timeout_ms: d.as_millis() as u64,
        }
    }

    /// A short, bounded label for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Plugin { error } => error.kind(),
            Self::InvalidSettings { .. } => "invalid-settings",
            Self::Deadline { .. } => "deadline",
            Self::Timeout { .. } => "timeout",
            Self::MemoryLimit { .. } => "memory-limit",
            Self::Crashed { .. } => "crashed",
            Self::UnknownPlugin { .. } => "unknown-plugin",
            Self::Unavailable { .. } => "unavailable",
        }
    }

    /// Whether the same call may succeed later unchanged (used by the order
    /// outbox to decide between retrying and parking an order).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Plugin { error } => matches!(
                error,
                PluginError::Unreachable(_) | PluginError::Internal(_)
            ),
            Self::Deadline { .. }
            | Self::Timeout { .. }
            | Self::Crashed { .. }
            | Self::Unavailable { .. } => true,
            Self::InvalidSettings { .. }
            | Self::MemoryLimit { .. }
            | Self::UnknownPlugin { .. } => false,
        }
    }
}

impl From<PluginError> for CallError {
    fn from(error: PluginError) -> Self {
        Self::Plugin { error }
    }
}

fn list_fields(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.key, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}
