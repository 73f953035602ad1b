//! UTC timestamps: the simulator prints RFC 3339 instants and adds whole
//! days to dates (the calendar is the `time` crate's).

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `2026-11-29T10:00:00Z` for now.
pub fn now_rfc3339() -> String {
    rfc3339(unix_now())
}

/// `2026-11-29T10:00:00Z` for a Unix timestamp (the epoch beyond the years
/// 0-9999).
pub fn rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// `2026-11-29` for today plus `days`.
pub fn date_in_days(days: i64) -> String {
    let today = OffsetDateTime::now_utc().date();
    today
        .checked_add(Duration::days(days))
        .unwrap_or(today)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_860_000), "2026-11-28T10:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
