//! Money without floats: decimal JSON number text -> integer minor units,
//! and back to decimal text.

use crate::platform::{Log, Platform};
use crate::{Money, PluginError};

impl Money {
    /// Money from a decimal text in `currency` (rounded half away from zero
    /// to the currency's minor unit).
    pub fn from_decimal(text: &str, currency: &str) -> Result<Money, String> {
        Ok(Money {
            minor_units: parse_minor(text, exponent(currency))?,
            currency: currency.to_ascii_uppercase(),
        })
    }

    /// The amount as decimal text, e.g. `123.45`.
    pub fn to_decimal(&self) -> String {
        format_minor(self.minor_units, exponent(&self.currency))
    }
}

/// Minor-unit exponent of an ISO 4217 currency (2 unless listed).
pub fn exponent(currency: &str) -> u32 {
    const ZERO: [&str; 17] = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ];
    const THREE: [&str; 7] = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    const FOUR: [&str; 2] = ["CLF", "UYW"];
    let c = currency.to_ascii_uppercase();
    if ZERO.contains(&c.as_str()) {
        0
    } else if THREE.contains(&c.as_str()) {
        3
    } else if FOUR.contains(&c.as_str()) {
        4
    } else {
        2
    }
}

/// Parse a decimal number's text (a JSON number, possibly quoted as a JSON
/// string, possibly with an exponent) into integer units of
/// `10^-exponent`, rounding half away from zero past that precision.
pub fn parse_minor(text: &str, exponent: u32) -> Result<i64, String> {
    let mut s = text.trim();
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        s = s[1..s.len() - 1].trim();
    }
    let bad = || format!("`{text}` is not a decimal number");
    let (neg, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exp10) = match unsigned.find(['e', 'E']) {
        Some(i) => {
            let e: i32 = unsigned[i + 1..].parse().map_err(|_| bad())?;
            (&unsigned[..i], e)
        }
        None => (unsigned, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let int_part = int_part.trim_start_matches('0');
    // All digits, with the decimal point `point` digits from the left.
    let digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let point = int_part.len() as i64 + exp10 as i64;
    // Keep digits up to `point + exponent`; the next digit decides rounding.
    let keep = point + exponent as i64;
    if keep > 40 {
        return Err(format!("`{text}` is too large"));
    }
    let mut value: i64 = 0;
    let overflow = || format!("`{text}` is too large");
    for i in 0..keep.max(0) {
        let d = if (i as usize) < digits.len() {
            digits[i as usize]
        } else {
            0
        };
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(d as i64))
            .ok_or_else(overflow)?;
    }
    let round_digit = if keep >= 0 && (keep as usize) < digits.len() {
        digits[keep as usize]
    } else {
        0
    };
    if round_digit >= 5 {
        value = value.checked_add(1).ok_or_else(overflow)?;
    }
    Ok(if neg { -value } else { value })
}

/// Whether `text` has more decimals than the currency's minor unit (so
/// [`parse_minor`] rounded).
pub fn needs_rounding(text: &str, exponent: u32) -> bool {
    match (parse_minor(text, exponent), parse_minor(text, exponent + 6)) {
        (Ok(a), Ok(b)) => a.checked_mul(1_000_000) != Some(b),
        _ => false,
    }
}

/// Minor units as decimal text: `12345, 2` -> `123.45`.
pub fn format_minor(minor: i64, exponent: u32) -> String {
    let neg = minor < 0;
    let digits = minor.unsigned_abs().to_string();
    let e = exponent as usize;
    let body = if e == 0 {
        digits
    } else if digits.len() > e {
        format!(
            "{}.{}",
            &digits[..digits.len() - e],
            &digits[digits.len() - e..]
        )
    } else {
        format!("0.{}{}", "0".repeat(e - digits.len()), digits)
    };
    if neg { format!("-{body}") } else { body }
}

/// A back office's price `text` for `what` (e.g. "printIQ quote Q1") in
/// minor units of `currency`: more decimals than the currency has are
/// rounded (and logged), text that is not a number is an internal error,
/// and a price of zero or less is no price ("please call for price").
pub fn price_minor(
    p: &dyn Platform,
    what: &str,
    text: &str,
    currency: &str,
) -> Result<i64, PluginError> {
    let exponent = exponent(currency);
    let minor = parse_minor(text, exponent)
        .map_err(|e| PluginError::Internal(format!("the price of {what}: {e}")))?;
    if needs_rounding(text, exponent) {
        p.warn(&format!(
            "{what}: price {text} rounded to {currency}'s minor unit"
        ));
    }
    if minor <= 0 {
        return Err(PluginError::NoPrice(format!(
            "{what} is priced at {text}: no usable price for this request (please call for price)"
        )));
    }
    Ok(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly() {
        assert_eq!(parse_minor("123.45", 2), Ok(12345));
        assert_eq!(parse_minor("0.1", 2), Ok(10));
        assert_eq!(parse_minor("0.29", 2), Ok(29)); // 0.29 * 100.0 = 28.999999999999996 as f64
        assert_eq!(parse_minor("1.005", 2), Ok(101)); // half away from zero
        assert_eq!(parse_minor("1.004", 2), Ok(100));
        assert_eq!(parse_minor("-2.5", 0), Ok(-3));
        assert_eq!(parse_minor("12", 2), Ok(1200));
        assert_eq!(parse_minor("\"19.99\"", 2), Ok(1999));
        assert_eq!(parse_minor("1.2345e2", 2), Ok(12345));
        assert_eq!(parse_minor("5E-1", 2), Ok(50));
        assert_eq!(parse_minor("1e-5", 2), Ok(0));
        assert_eq!(parse_minor(".5", 2), Ok(50));
        assert_eq!(parse_minor("92233720368547758.07", 2), Ok(i64::MAX));
        assert!(parse_minor("92233720368547758.08", 2).is_err());
        assert!(parse_minor("1e300", 2).is_err());
        assert!(parse_minor("abc", 2).is_err());
        assert!(parse_minor("", 2).is_err());
        assert!(parse_minor("1.2.3", 2).is_err());
        assert!(parse_minor("NaN", 2).is_err());
        assert_eq!(parse_minor("123.456", 3), Ok(123456));
    }

    #[test]
    fn rounding_detection() {
        assert!(!needs_rounding("123.45", 2));
        assert!(needs_rounding("123.455", 2));
        assert!(needs_rounding("1.5", 0));
    }

    #[test]
    fn formats() {
        assert_eq!(format_minor(12345, 2), "123.45");
        assert_eq!(format_minor(5, 2), "0.05");
        assert_eq!(format_minor(-5, 2), "-0.05");
        assert_eq!(format_minor(100, 0), "100");
        assert_eq!(format_minor(1, 3), "0.001");
        assert_eq!(exponent("jpy"), 0);
        assert_eq!(exponent("KWD"), 3);
        assert_eq!(exponent("GBP"), 2);
    }

    #[test]
    fn money_round_trips_through_decimal_text() {
        let m = Money::from_decimal("\"19.999\"", "gbp").unwrap();
        assert_eq!((m.minor_units, m.currency.as_str()), (2000, "GBP"));
        assert_eq!(m.to_decimal(), "20.00");
        assert_eq!(
            Money::from_decimal("1500", "JPY").unwrap().to_decimal(),
            "1500"
        );
        assert!(Money::from_decimal("1,5", "EUR").is_err());
    }

    #[test]
    fn a_price_is_exact_rounded_with_a_warning_or_no_price() {
        let p = crate::testing::TestPlatform::default();
        assert_eq!(price_minor(&p, "quote Q1", "12.34", "GBP"), Ok(1234));
        assert_eq!(price_minor(&p, "quote Q1", "12.345", "GBP"), Ok(1235));
        assert!(p.logs_text().contains("rounded"));
        assert_eq!(price_minor(&p, "quote Q1", "1200", "JPY"), Ok(1200));
        let zero = price_minor(&p, "quote Q1", "0.00", "GBP");
        assert!(matches!(zero, Err(PluginError::NoPrice(m)) if m.contains("call for price")));
        let text = price_minor(&p, "quote Q1", "n/a", "GBP");
        assert!(matches!(text, Err(PluginError::Internal(m)) if m.contains("quote Q1")));
    }
}
