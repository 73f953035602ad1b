//! Building an estimate request from a product type's example request.
//!
//! Steps, in order: set `Quantity`, `Customer.Code` and
//! `DeliveryCustomer.Code`, null the contacts, apply the mapping's overrides
//! and then the storefront's attributes (each a *path* = *value*), merge the
//! mapping's advanced JSON (RFC 7386 merge patch), and finally set a unique
//! `Title`.
//!
//! # Path syntax
//!
//! A path is dot-separated segments; each is a field name optionally
//! followed by selectors:
//!
//! * `Quantity`, `JobType`: a top-level field;
//! * `FinishedSize.Code`: a field of a nested object (missing objects are
//!   created);
//! * `Parts[0].PaperCode`, `Processes[1].Value`: an array element by
//!   0-based index (it must exist);
//! * `Processes[ProcessTypeID=12].Value`: the first array element whose field
//!   `ProcessTypeID` equals `12` (compared as text, case-insensitively).
//!
//! Field names match the example request case-insensitively; a name not in
//! it is added as written.
//!
//! # Values
//!
//! A value is converted to the type of the field it replaces: numbers for
//! numeric fields (`"250"` -> `250`), `true`/`false` for booleans, text for
//! text fields. For a field that is missing or `null`: `true`/`false`, JSON
//! numbers (`12`, `0.5`) and `null` are taken as such, anything else as
//! text. A value starting with `json:` is parsed as raw JSON
//! (`json:{"Code":"A4"}`).

use serde_json::{Map, Value};

use crate::PluginError;
use crate::sdk::json::{self, key as find_key};

/// One segment selector of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Index(usize),
    Match(String, String),
}

/// One segment of a path: a field name and its selectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub name: String,
    pub selectors: Vec<Selector>,
}

/// Parse a path such as `Parts[0].Processes[ProcessTypeID=3].Value`.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let path = path.trim();
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    let mut segments = Vec::new();
    let mut rest = path;
    loop {
        let name_end = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name.is_empty() {
            return Err(format!("`{path}`: a field name is missing"));
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
        {
            return Err(format!(
                "`{path}`: `{name}` is not a field name (letters, digits, `_` and `-` only)"
            ));
        }
        let mut seg = Segment {
            name: name.to_string(),
            selectors: Vec::new(),
        };
        rest = &rest[name_end..];
        while let Some(after) = rest.strip_prefix('[') {
            let close = after
                .find(']')
                .ok_or_else(|| format!("`{path}`: a `[` is not closed"))?;
            let inner = after[..close].trim();
            let sel = if let Some((k, v)) = inner.split_once('=') {
                let (k, v) = (k.trim(), v.trim());
                if k.is_empty() {
                    return Err(format!("`{path}`: `[{inner}]` lacks a field name"));
                }
                Selector::Match(k.to_string(), v.trim_matches('"').to_string())
            } else {
                Selector::Index(inner.parse().map_err(|_| {
                    format!(
                        "`{path}`: `[{inner}]` is not an index (0, 1, ...) nor a Field=Value match"
                    )
                })?)
            };
            seg.selectors.push(sel);
            rest = &after[close + 1..];
        }
        segments.push(seg);
        if rest.is_empty() {
            return Ok(segments);
        }
        rest = rest
            .strip_prefix('.')
            .ok_or_else(|| format!("`{path}`: unexpected `{rest}`"))?;
        if rest.is_empty() {
            return Err(format!("`{path}` ends with a `.`"));
        }
    }
}

/// Set the value at `path` to the text `value`, converted (see module doc).
pub fn set_path(root: &mut Value, path: &str, value: &str) -> Result<(), String> {
    let segments = parse_path(path)?;
    let mut cur = root;
    let last_index = segments.len() - 1;
    for (i, seg) in segments.iter().enumerate() {
        if !cur.is_object() {
            if cur.is_null() {
                *cur = Value::Object(Map::new());
            } else {
                return Err(format!(
                    "`{path}`: cannot set `{}` inside a value that is not an object",
                    seg.name
                ));
            }
        }
        let Value::Object(obj) = cur else {
            unreachable!("made an object above")
        };
        let key = find_key(obj, &seg.name).unwrap_or_else(|| seg.name.clone());
        let is_leaf = i == last_index && seg.selectors.is_empty();
        if is_leaf {
            let new = convert(obj.get(&key), value)?;
            obj.insert(key, new);
            return Ok(());
        }
        let mut slot = obj.entry(key.clone()).or_insert(Value::Null);
        for (j, sel) in seg.selectors.iter().enumerate() {
            let Value::Array(items) = slot else {
                return Err(format!("`{path}`: `{key}` is not a list"));
            };
            let len = items.len();
            let idx = match sel {
                Selector::Index(n) if *n < len => *n,
                Selector::Index(n) => {
                    return Err(format!(
                        "`{path}`: `{key}` has {len} entr{} in the example request, so [{n}] does not exist",
                        if len == 1 { "y" } else { "ies" }
                    ));
                }
                Selector::Match(field, want) => items
                    .iter()
                    .position(|item| {
                        crate::json::get(item, field)
                            .and_then(crate::json::text)
                            .is_some_and(|t| t.eq_ignore_ascii_case(want))
                    })
                    .ok_or_else(|| format!("`{path}`: no entry of `{key}` has {field} = {want}"))?,
            };
            let leaf = i == last_index && j == seg.selectors.len() - 1;
            if leaf {
                let new = convert(Some(&items[idx]), value)?;
                items[idx] = new;
                return Ok(());
            }
            slot = &mut items[idx];
        }
        cur = slot;
    }
    Ok(())
}

/// Convert override text to the JSON type of the value it replaces.
pub fn convert(existing: Option<&Value>, raw: &str) -> Result<Value, String> {
    if let Some(json) = raw.strip_prefix("json:") {
        return serde_json::from_str(json.trim())
            .map_err(|e| format!("`{raw}` is not valid JSON after `json:` ({e})"));
    }
    let trimmed = raw.trim();
    match existing {
        Some(Value::Number(_)) => serde_json::from_str::<Value>(trimmed)
            .ok()
            .filter(Value::is_number)
            .ok_or_else(|| format!("`{raw}` is not a number, but this field is numeric")),
        Some(Value::Bool(_)) => crate::json::boolean(&Value::String(trimmed.to_string()))
            .map(Value::Bool)
            .ok_or_else(|| {
                format!("`{raw}` is not true or false, but this field is a yes/no field")
            }),
        Some(Value::String(_)) => Ok(Value::String(raw.to_string())),
        Some(Value::Object(_)) | Some(Value::Array(_)) => serde_json::from_str::<Value>(trimmed)
            .ok()
            .filter(|v| v.is_object() || v.is_array() || v.is_null())
            .ok_or_else(|| {
                format!(
                    "this field holds a structure; give JSON (e.g. `json:{{...}}`), not `{raw}`"
                )
            }),
        Some(Value::Null) | None => Ok(match trimmed {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => match serde_json::from_str::<Value>(trimmed) {
                Ok(v @ Value::Number(_)) => v,
                _ => Value::String(raw.to_string()),
            },
        }),
    }
}

/// What the storefront asks to be priced.
pub struct Inputs<'a> {
    pub quantity: u32,
    pub customer_code: &'a str,
    pub overrides: &'a [(String, String)],
    pub attributes: &'a [(String, String)],
    pub advanced_json: Option<&'a str>,
}

/// A part's own `Quantity` wins over the request's in Tharstern. The example
/// request fills every part with the example quantity, so a part that still
/// carries it (or none) follows the requested quantity; a part with a
/// deliberately different quantity (e.g. extra covers) keeps it.
fn follow_quantity_in_parts(
    obj: &mut Map<String, Value>,
    example_quantity: Option<i64>,
    quantity: u32,
) {
    let Some(Value::Array(parts)) = find_key(obj, "Parts").and_then(|k| obj.get_mut(&k)) else {
        return;
    };
    for part in parts.iter_mut().filter_map(Value::as_object_mut) {
        let current = find_key(part, "Quantity")
            .and_then(|k| part.get(&k))
            .and_then(as_whole_number);
        let follows = match current {
            None | Some(0) => false, // 0 or missing already means "the request's quantity"
            Some(q) => Some(q) == example_quantity,
        };
        if follows {
            set_field(part, "Quantity", Value::from(quantity));
        }
    }
}

fn as_whole_number(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Build the estimate request body (without its title).
pub fn build(
    example: &Value,
    product_type_id: i64,
    inp: &Inputs<'_>,
    mut skipped: impl FnMut(&str, &str),
) -> Result<Value, PluginError> {
    let mut req = match example {
        Value::Object(_) => example.clone(),
        _ => {
            return Err(PluginError::Internal(format!(
                "the example estimate request of product type {product_type_id} is not a JSON object"
            )));
        }
    };
    let Value::Object(obj) = &mut req else {
        unreachable!("checked above")
    };
    let example_quantity = find_key(obj, "Quantity")
        .and_then(|k| obj.get(&k))
        .and_then(as_whole_number);
    set_field(obj, "Quantity", Value::from(inp.quantity));
    follow_quantity_in_parts(obj, example_quantity, inp.quantity);
    if find_key(obj, "ProductTypeId").is_none() {
        set_field(obj, "ProductTypeId", Value::from(product_type_id));
    }
    for party in ["Customer", "DeliveryCustomer"] {
        let key = find_key(obj, party).unwrap_or_else(|| party.to_string());
        let slot = obj.entry(key).or_insert(Value::Null);
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Value::Object(c) = slot {
            set_field(c, "Code", Value::String(inp.customer_code.to_string()));
            null_contacts(c);
        }
    }
    null_contacts(obj);

    for (path, value) in inp.overrides {
        set_path(&mut req, path, value).map_err(|e| {
            PluginError::Rejected(format!(
                "the product mapping's override {path} = {value} cannot be applied: {e}; fix the mapping's overrides"
            ))
        })?;
    }
    for (name, value) in inp.attributes {
        if parse_path(name).is_err() {
            skipped(name, "not a field path");
            continue;
        }
        set_path(&mut req, name, value).map_err(|e| {
            PluginError::Rejected(format!(
                "the selection {name} = {value} cannot be applied to the estimate request: {e}"
            ))
        })?;
    }
    json::merge_advanced(&mut req, inp.advanced_json)?;
    Ok(req)
}

fn set_field(obj: &mut Map<String, Value>, name: &str, v: Value) {
    let key = find_key(obj, name).unwrap_or_else(|| name.to_string());
    obj.insert(key, v);
}

/// Set every field whose name contains "contact" to null.
fn null_contacts(obj: &mut Map<String, Value>) {
    for (k, v) in obj.iter_mut() {
        if k.to_ascii_lowercase().contains("contact") {
            *v = Value::Null;
        }
    }
}

/// Set the request's title.
pub fn set_title(req: &mut Value, title: &str) {
    if let Value::Object(obj) = req {
        set_field(obj, "Title", Value::String(title.to_string()));
    }
}

/// A title unique to what determines the price, and to the cache period
/// (`bucket`), so the quirk recovery can find exactly this estimate.
pub fn title_for(req: &Value, bucket: u64) -> String {
    let mut canonical = req.clone();
    if let Value::Object(obj) = &mut canonical
        && let Some(k) = find_key(obj, "Title")
    {
        obj.remove(&k);
    }
    // serde_json's map is ordered by key, so this text is canonical.
    let text = canonical.to_string();
    format!(
        "connect:{}-{bucket:x}",
        &crate::sdk::cache::digest(&[&text])[..20]
    )
}

#[cfg(test)]
mod tests;
