//! Lenient reading of request bodies, the way ASP.NET model binding reads
//! them: field names match case-insensitively, `null` counts as missing, and
//! numbers may come as strings.

use serde_json::Value;

/// A field of a JSON object by case-insensitive name; `null` is `None`.
pub fn field<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    let map = obj.as_object()?;
    let value = match map.get(name) {
        Some(v) => Some(v),
        None => map
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v),
    };
    value.filter(|v| !v.is_null())
}

/// An integer from a JSON integer, an integral float, or a numeric string.
pub fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Text from a JSON string or number; empty strings count as missing.
pub fn text(value: &Value) -> Option<String> {
    let s = match value {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// A boolean from `true`/`false`, `"true"`/`"false"`, `"yes"`/`"no"`, 1/0.
pub fn boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Decimal text of a JSON number or numeric string (for money; never via a
/// float's arithmetic).
pub fn decimal_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.trim().to_string()),
        _ => None,
    }
}

/// An optional text field.
pub fn optional_text(obj: &Value, name: &str) -> Option<String> {
    field(obj, name).and_then(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_fields() {
        let v = json!({"quantity": "500", "Title": null, "price": 12.5, "ok": "Yes"});
        assert_eq!(field(&v, "Quantity").and_then(int), Some(500));
        assert!(field(&v, "Title").is_none());
        assert_eq!(
            field(&v, "PRICE").and_then(decimal_text).as_deref(),
            Some("12.5")
        );
        assert_eq!(field(&v, "OK").and_then(boolean), Some(true));
        assert_eq!(int(&json!(3.0)), Some(3));
        assert_eq!(int(&json!(3.5)), None);
    }
}
