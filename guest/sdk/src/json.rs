//! Tolerant JSON access: field names case-insensitive, `null` treated as
//! missing, numbers accepted as strings and strings as numbers; and JSON
//! merge patches (RFC 7386) that respect that case-insensitivity.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::PluginError;

/// The field `key` of an object, matched exactly first, then ignoring ASCII
/// case. `null` counts as missing.
pub fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    let found = obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })?;
    (!found.is_null()).then_some(found)
}

/// The first present field among several names.
pub fn get_any<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| get(v, k))
}

/// Follow a path of field names.
pub fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |cur, k| get(cur, k))
}

/// A scalar as text: strings as they are, numbers and booleans printed.
pub fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A non-empty trimmed text field.
pub fn text_field(v: &Value, keys: &[&str]) -> Option<String> {
    get_any(v, keys)
        .and_then(text)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// An integer: a JSON integer, an integral decimal (`12.0`), or a string
/// holding one. Fractions are truncated toward zero.
pub fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| int_text(&n.to_string())),
        Value::String(s) => int_text(s.trim()),
        _ => None,
    }
}

pub fn int_field(v: &Value, keys: &[&str]) -> Option<i64> {
    get_any(v, keys).and_then(int)
}

/// Parse the integer part of a decimal text without floats.
fn int_text(s: &str) -> Option<i64> {
    if s.contains(['e', 'E']) {
        // Exponent forms: go through the exact decimal parser.
        return crate::money::parse_minor(s, 0).ok();
    }
    let int_part = s.split('.').next()?;
    if int_part.is_empty() || int_part == "-" || int_part == "+" {
        return if s.starts_with('.') || s.starts_with("-.") {
            Some(0)
        } else {
            None
        };
    }
    int_part.parse().ok()
}

/// A boolean: JSON booleans, `"true"`/`"false"`, 1/0.
pub fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// `Details.Items` of a list answer (also accepts `Details` being the array).
pub fn items(details: &Value) -> &[Value] {
    if let Some(a) = details.as_array() {
        return a;
    }
    get(details, "Items")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The key of `obj` matching `name`: exactly, else ignoring ASCII case.
pub fn key(obj: &Map<String, Value>, name: &str) -> Option<String> {
    if obj.contains_key(name) {
        return Some(name.to_string());
    }
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// Merge a product mapping's advanced JSON (`advanced`: blank for none)
/// over a request body, as an RFC 7386 merge patch; it must be an object.
pub fn merge_advanced(body: &mut Value, advanced: Option<&str>) -> Result<(), PluginError> {
    let Some(adv) = advanced.map(str::trim).filter(|a| !a.is_empty()) else {
        return Ok(());
    };
    let patch: Value = serde_json::from_str(adv).map_err(|e| {
        PluginError::Rejected(format!(
            "the product mapping's advanced JSON is not valid JSON ({e}); fix it in the mapping"
        ))
    })?;
    if !patch.is_object() {
        return Err(PluginError::Rejected(
            "the product mapping's advanced JSON must be a JSON object (a merge patch over the request); fix it in the mapping".into(),
        ));
    }
    merge_patch(body, &patch);
    Ok(())
}

/// RFC 7386 JSON merge patch; object keys match as [`key`] finds them (for
/// APIs that ignore field-name case, so a patch never duplicates a field).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_obj) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(obj) = target else {
        unreachable!("made an object above")
    };
    for (k, v) in patch_obj {
        let found = key(obj, k);
        if v.is_null() {
            if let Some(found) = found {
                obj.remove(&found);
            }
        } else {
            let slot = obj.entry(found.unwrap_or_else(|| k.clone()));
            merge_patch(slot.or_insert(Value::Null), v);
        }
    }
}

/// One step of a [`raw_at`] path.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The exact source text of the value at `steps` inside `json`, so numbers
/// can be read without going through a float. Keys match case-insensitively;
/// `null` counts as missing.
pub fn raw_at<'a>(json: &'a str, steps: &[Step<'_>]) -> Option<&'a str> {
    let mut cur: &'a str = json;
    for step in steps {
        let next: &'a RawValue = match step {
            Step::Key(key) => {
                let map: BTreeMap<String, &'a RawValue> = serde_json::from_str(cur).ok()?;
                map.get(*key).copied().or_else(|| {
                    map.iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(key))
                        .map(|(_, v)| *v)
                })?
            }
            Step::Index(i) => {
                let list: Vec<&'a RawValue> = serde_json::from_str(cur).ok()?;
                list.get(*i)?
            }
        };
        cur = next.get();
    }
    let text = cur.trim();
    (text != "null").then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn case_insensitive_and_null_is_missing() {
        let v = json!({"Status": {"Success": true}, "details": {"TOTALITEMCOUNT": "3", "Items": [1]}, "X": null});
        assert_eq!(
            path(&v, &["status", "success"]).and_then(boolean),
            Some(true)
        );
        assert_eq!(
            int_field(get(&v, "Details").unwrap(), &["TotalItemCount"]),
            Some(3)
        );
        assert!(get(&v, "x").is_none());
        assert_eq!(items(get(&v, "Details").unwrap()).len(), 1);
    }

    #[test]
    fn lenient_numbers() {
        assert_eq!(int(&json!("42")), Some(42));
        assert_eq!(int(&json!(" 7 ")), Some(7));
        assert_eq!(int(&json!(12.0)), Some(12));
        assert_eq!(int(&json!("12.75")), Some(12));
        assert_eq!(int(&json!("-3.5")), Some(-3));
        assert_eq!(int(&json!("abc")), None);
        assert_eq!(int(&json!(true)), None);
        assert_eq!(text(&json!(5)), Some("5".into()));
        assert_eq!(boolean(&json!("False")), Some(false));
    }

    #[test]
    fn raw_numbers_keep_their_text() {
        let body = r#"{"Status":{"Success":true},"Details":{"Estimate":{"ID":5,"totalPrice":123.45}, "Items":[{"TotalPrice":0.1},{"TotalPrice":"9.99"}]}}"#;
        assert_eq!(
            raw_at(
                body,
                &[
                    Step::Key("details"),
                    Step::Key("Estimate"),
                    Step::Key("TotalPrice")
                ]
            ),
            Some("123.45")
        );
        assert_eq!(
            raw_at(
                body,
                &[
                    Step::Key("Details"),
                    Step::Key("Items"),
                    Step::Index(1),
                    Step::Key("TotalPrice")
                ]
            ),
            Some("\"9.99\"")
        );
        assert_eq!(
            raw_at(body, &[Step::Key("Details"), Step::Key("Nope")]),
            None
        );
        assert_eq!(raw_at(r#"{"a":null}"#, &[Step::Key("a")]), None);
    }

    #[test]
    fn merge_patch_rfc7386_examples() {
        // The examples of RFC 7386 section 3 / appendix A.
        let cases = [
            (json!({"a":"b"}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"b"}), json!({"b":"c"}), json!({"a":"b","b":"c"})),
            (json!({"a":"b"}), json!({"a":null}), json!({})),
            (
                json!({"a":"b","b":"c"}),
                json!({"a":null}),
                json!({"b":"c"}),
            ),
            (json!({"a":["b"]}), json!({"a":"c"}), json!({"a":"c"})),
            (json!({"a":"c"}), json!({"a":["b"]}), json!({"a":["b"]})),
            (
                json!({"a":{"b":"c"}}),
                json!({"a":{"b":"d","c":null}}),
                json!({"a":{"b":"d"}}),
            ),
            (json!({"a":[{"b":"c"}]}), json!({"a":[1]}), json!({"a":[1]})),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a":"b"}), json!(["c"]), json!(["c"])),
            (json!({"a":"foo"}), json!(null), json!(null)),
            (json!({"a":"foo"}), json!("bar"), json!("bar")),
            (json!({"e":null}), json!({"a":1}), json!({"e":null,"a":1})),
            (json!([1, 2]), json!({"a":"b","c":null}), json!({"a":"b"})),
            (
                json!({}),
                json!({"a":{"bb":{"ccc":null}}}),
                json!({"a":{"bb":{}}}),
            ),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, &patch);
            assert_eq!(target, want, "patch {patch}");
        }
        let mut t = json!({"Quantity": 1});
        merge_patch(&mut t, &json!({"quantity": 2}));
        assert_eq!(t, json!({"Quantity": 2}));
    }
}
