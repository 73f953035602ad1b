//! Building the answer of `check-connection`: each step that passed, and
//! the warnings.

use crate::platform::Platform;
use crate::{Check, ConnectionReport, LogLevel};

/// A connection check being run: each step that passed, and what works but
/// deserves attention.
#[derive(Default)]
pub struct Diagnosis {
    checks: Vec<Check>,
    warnings: Vec<String>,
}

impl Diagnosis {
    /// A step that passed: `name` says what was verified, `detail` what was seen.
    pub fn pass(&mut self, name: &str, detail: impl Into<String>) {
        let detail = detail.into();
        self.checks.push(Check {
            name: name.into(),
            detail,
        });
    }

    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// The report, its summary marked "(with warnings)" when there are any,
    /// and logged.
    pub fn report(self, p: &dyn Platform, summary: &str) -> ConnectionReport {
        let mark = if self.warnings.is_empty() {
            ""
        } else {
            " (with warnings)"
        };
        let summary = format!("{summary}{mark}");
        p.log(LogLevel::Info, &summary);
        ConnectionReport {
            summary,
            checks: self.checks,
            warnings: self.warnings,
        }
    }
}
