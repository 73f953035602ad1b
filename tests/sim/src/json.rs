//! Lenient reading of request bodies, the way ASP.NET model binding reads
//! them: field names match case-insensitively, `null` counts as missing, and
//! numbers may come as strings.

use serde_json::Value;

pub use sim_kit::json::{decimal_text, field, int, optional_text, text};

/// A required integer field; the problem text names the field.
pub fn required_int(obj: &Value, name: &str, label: &str) -> Result<i64, String> {
    match field(obj, name) {
        None => Err(format!("{label} is required.")),
        Some(v) => int(v).ok_or_else(|| format!("{label} must be a whole number.")),
    }
}

/// An optional integer field: `Ok(None)` when missing or null.
pub fn optional_int(obj: &Value, name: &str, label: &str) -> Result<Option<i64>, String> {
    match field(obj, name) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => int(v)
            .map(Some)
            .ok_or_else(|| format!("{label} must be a whole number.")),
    }
}

/// The `Code` of a nested object such as `Customer` or `InvoiceCustomer`.
/// A bare string is accepted as the code too.
pub fn nested_code(obj: &Value, name: &str) -> Option<String> {
    match field(obj, name)? {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        nested => optional_text(nested, "Code"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_fields() {
        let v =
            json!({"quantity": "500", "Title": null, "price": 12.5, "Customer": {"code": "ACME"}});
        assert_eq!(field(&v, "Quantity").and_then(int), Some(500));
        assert!(field(&v, "Title").is_none());
        assert_eq!(
            required_int(&v, "Missing", "Missing"),
            Err("Missing is required.".into())
        );
        assert_eq!(nested_code(&v, "customer").as_deref(), Some("ACME"));
        assert_eq!(
            field(&v, "PRICE").and_then(decimal_text).as_deref(),
            Some("12.5")
        );
        assert_eq!(int(&json!(3.0)), Some(3));
        assert_eq!(int(&json!(3.5)), None);
    }
}
