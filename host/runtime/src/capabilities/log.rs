//! The `log` import: guest messages go to `tracing`, tagged with tenant and
//! plugin, truncated to a bound, at most `LogBudget`'s lines per second per
//! tenant (the rest dropped, counted, and summed up once a second).

use std::sync::Arc;

use super::bounds::LogBudget;

/// A guest message's level, whichever contract version sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Longest message kept from a guest, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 2048;

/// Who is logging.
#[derive(Clone, Debug)]
pub struct LogContext {
    pub tenant: Arc<str>,
    pub plugin: Arc<str>,
    /// Shared by the tenant's instances.
    pub budget: Arc<LogBudget>,
}

impl LogContext {
    pub fn log(&self, level: Level, message: &str) {
        let admitted = self.budget.admit(|dropped, rate| {
            tracing::warn!(
                target: "plugin", tenant = &*self.tenant, plugin = &*self.plugin, dropped,
                "plugin log flood: dropped {dropped} lines beyond this tenant's {rate} lines/s \
                 (runtime.log_lines_per_sec); all drops are counted in \
                 connect_plugin_log_lines_dropped_total"
            )
        });
        if !admitted {
            return;
        }
        let message = truncate(message, MAX_MESSAGE_BYTES);
        let (tenant, plugin) = (&*self.tenant, &*self.plugin);
        match level {
            Level::Trace => tracing::trace!(target: "plugin", tenant, plugin, "{message}"),
            Level::Debug => tracing::debug!(target: "plugin", tenant, plugin, "{message}"),
            Level::Info => tracing::info!(target: "plugin", tenant, plugin, "{message}"),
            Level::Warn => tracing::warn!(target: "plugin", tenant, plugin, "{message}"),
            Level::Error => tracing::error!(target: "plugin", tenant, plugin, "{message}"),
        }
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut.
pub fn truncate(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return s.into();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} bytes truncated]", &s[..end], s.len() - end).into()
}

#[cfg(test)]
mod tests {
    use super::truncate;

    #[test]
    fn truncates_on_a_char_boundary() {
        let s = "ééé"; // 6 bytes
        assert_eq!(truncate(s, 6), "ééé");
        let cut = truncate(s, 3);
        assert!(cut.starts_with("é…"), "{cut}");
        assert!(cut.ends_with("[4 bytes truncated]"), "{cut}");
    }
}
