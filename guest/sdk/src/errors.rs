//! What a connector does with an operation's error on its way out (its
//! [`Connector::on_error`](crate::Connector::on_error) hook): keep every
//! secret out of the message, and log the failure at its kind's level.

use crate::http::encode;
use crate::{LogLevel, Platform, PluginError};

/// `text` with every secret of 3 characters or more replaced by `***`, as
/// typed and percent-encoded (as it travels in a URL).
pub fn redact<S: AsRef<str>>(text: String, secrets: &[S]) -> String {
    secrets
        .iter()
        .map(AsRef::as_ref)
        .filter(|s| s.len() >= 3)
        .fold(text, |t, s| t.replace(s, "***").replace(&encode(s), "***"))
}

/// The usual error hook: the error with `secrets` redacted from its
/// message, logged as `{operation} failed: {kind}: {message}`; `internal`
/// at error level, `unreachable`, `configuration` and `authentication` at
/// warn (the operator's to look at), the rest (refusals of a request) at
/// info.
pub fn report<S: AsRef<str>>(
    p: &dyn Platform,
    secrets: &[S],
    operation: &str,
    error: PluginError,
) -> PluginError {
    let e = error.map_message(|m| redact(m, secrets));
    let level = match e {
        PluginError::Internal(_) => LogLevel::Error,
        PluginError::Unreachable(_)
        | PluginError::Configuration(_)
        | PluginError::Authentication(_) => LogLevel::Warn,
        _ => LogLevel::Info,
    };
    p.log(level, &format!("{operation} failed: {}", e.describe()));
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::TestPlatform;

    #[test]
    fn secrets_leave_neither_the_message_nor_the_log() {
        let p = TestPlatform::default();
        let e = report(
            &p,
            &["p&ss w", "tok-123", "ab"],
            "price",
            PluginError::Unreachable("GET /x?pw=p%26ss%20w failed; token tok-123; ab".into()),
        );
        assert_eq!(e.message(), "GET /x?pw=*** failed; token ***; ab");
        assert_eq!(
            p.logs_text().trim(),
            "Level::Warn price failed: unreachable: GET /x?pw=*** failed; token ***; ab"
        );
        report::<&str>(&p, &[], "stock", PluginError::NotFound("no".into()));
        assert!(
            p.logs_text()
                .contains("Level::Info stock failed: not-found: no")
        );
    }
}
