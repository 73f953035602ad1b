//! Money in integer minor units (pence, cents).
//!
//! Prices are computed in pence so that no float ever rounds a total; on the
//! wire they are JSON numbers with exactly two decimals (`123.50`).

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use std::fmt;

/// An amount in minor units (pence) of the account currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_pence(pence: i64) -> Self {
        Money(pence)
    }

    pub fn pence(self) -> i64 {
        self.0
    }

    /// The same as [`Money::from_pence`], for currencies with cents.
    pub fn from_minor(minor: i64) -> Self {
        Money(minor)
    }

    /// The amount in minor units.
    pub fn minor(self) -> i64 {
        self.0
    }

    /// Parses a decimal such as `123.45`, `-3`, `0.005` (rounded half up to
    /// the penny). Rejects exponents and anything but digits and one point:
    /// the input comes from JSON text, never from a float.
    pub fn parse(text: &str) -> Option<Money> {
        let text = text.trim();
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || !all_digits(frac) || whole.len() > 15 {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let mut frac_digits = frac.bytes().map(|b| i64::from(b - b'0'));
        let tenths = frac_digits.next().unwrap_or(0);
        let hundredths = frac_digits.next().unwrap_or(0);
        let round_up = i64::from(frac_digits.next().unwrap_or(0) >= 5);
        let pence = whole * 100 + tenths * 10 + hundredths + round_up;
        Some(Money(if negative { -pence } else { pence }))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Serialised as raw JSON text so that 1.50 stays `1.50`. Only
        // serde_json serialisers are used for output, which honour RawValue.
        match RawValue::from_string(self.to_string()) {
            Ok(raw) => raw.serialize(serializer),
            Err(_) => serializer.serialize_i64(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(Money::parse("123.45"), Some(Money(12345)));
        assert_eq!(Money::parse("7"), Some(Money(700)));
        assert_eq!(Money::parse("0.5"), Some(Money(50)));
        assert_eq!(Money::parse(".05"), Some(Money(5)));
        assert_eq!(Money::parse("1.005"), Some(Money(101)));
        assert_eq!(Money::parse("-2.10"), Some(Money(-210)));
        assert_eq!(Money::parse("1e3"), None);
        assert_eq!(Money::parse(""), None);
        assert_eq!(Money::parse("abc"), None);
        assert_eq!(Money(12350).to_string(), "123.50");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(-5).to_string(), "-0.05");
    }

    #[test]
    fn serialises_with_two_decimals() {
        #[derive(Serialize)]
        struct T {
            p: Money,
        }
        let s = serde_json::to_string(&T { p: Money(10000) }).unwrap_or_default();
        assert_eq!(s, r#"{"p":100.00}"#);
    }
}
