//! Time helpers: Unix seconds and milliseconds, ISO 8601 dates (the
//! calendar is the `time` crate's).

use std::sync::OnceLock;

use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Milliseconds since the Unix epoch (outbox scheduling).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` of Unix seconds (UTC); the epoch for an instant
/// beyond the years 0-9999.
pub fn iso8601(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// `YYYY-MM-DD` of today (UTC).
pub fn today() -> String {
    OffsetDateTime::now_utc().date().to_string()
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
pub fn valid_date(s: &str) -> bool {
    static FORMAT: OnceLock<Vec<BorrowedFormatItem<'static>>> = OnceLock::new();
    let format = FORMAT.get_or_init(|| {
        time::format_description::parse_borrowed::<2>("[year]-[month]-[day]")
            .expect("a valid date format")
    });
    s.len() == 10 && Date::parse(s, format).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_709_210_096), "2024-02-29T12:34:56Z");
    }

    #[test]
    fn validates_calendar_dates() {
        for ok in ["2026-11-29", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(valid_date(ok), "{ok}");
        }
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026/01/01",
            "+026-01-01",
            "2026-01-01T",
        ] {
            assert!(!valid_date(bad), "{bad}");
        }
    }
}
