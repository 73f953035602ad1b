//! The estimate request document: the example a product type offers, and
//! reading a posted request into a [`pricing::EstimateInput`].

use crate::data::Catalog;
use crate::json::{field, int, nested_code, optional_int, optional_text, required_int, text};
use crate::model::{FinishedSize, PartTemplate, ProcessLine, ProductType};
use crate::pricing::{self, EstimateInput, PartInput};
use serde_json::{Value, json};

pub const MAX_QUANTITY: i64 = 10_000_000;
pub const MAX_PAGES: i64 = 2_000;
pub const MAX_SIZE_MM: i64 = 10_000;
pub const MAX_PROCESS_VALUE: i64 = 1_000;

/// A request that parsed. Only the presence of `Customer.Code` is checked
/// here; the caller checks that the customers exist.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub product_type_id: i64,
    pub title: Option<String>,
    pub input: EstimateInput,
}

fn size_json(size: &FinishedSize) -> Value {
    json!({"Code": size.code, "Width": size.width, "Depth": size.depth})
}

fn processes_json(lines: &[ProcessLine]) -> Value {
    lines
        .iter()
        .map(|l| {
            json!({
                "ProcessTypeID": l.process_type_id,
                "CostCentreID": null,
                "OutworkID": null,
                "MaterialCode": null,
                "Value": l.value,
            })
        })
        .collect()
}

fn part_json(part: &PartTemplate, pt: &ProductType) -> Value {
    json!({
        "Name": part.name,
        "ProductTypePartId": part.id,
        "Pages": part.pages,
        "PaperCode": part.paper_code,
        "GSM": part.gsm,
        "FrontProcess": part.front_process,
        "BackProcess": part.back_process,
        "Quantity": pt.default_quantity,
        "FinishedSize": size_json(&pt.finished_size),
        "BindingSide": part.binding_side,
        "Processes": processes_json(&part.processes),
    })
}

/// The example estimate request of a product type (`EstRequest/{id}/Example`).
pub fn example(pt: &ProductType) -> Value {
    let mut doc = json!({
        "Title": pt.name,
        "ProductTypeId": pt.id,
        "Quantity": pt.default_quantity,
        "RequiredDateTime": format!("{}T17:00:00", crate::time::date_in_days(7)),
        "JobType": "Standard",
        "FinishedSize": size_json(&pt.finished_size),
        "Customer": {"Code": "", "Contact": null},
        "DeliveryCustomer": {"Code": "", "Contact": null},
        "Orientation": {"Value": "Portrait", "EnumType": "Orientation"},
        "Processes": processes_json(&pt.processes),
        "Parts": pt.parts.iter().map(|p| part_json(p, pt)).collect::<Value>(),
    });
    if let Some(map) = doc.as_object_mut() {
        for i in 1..=10 {
            map.insert(format!("Ref{i}"), Value::Null);
        }
    }
    doc
}

/// Reads a finished size; `Ok(None)` when nothing usable was given.
fn parse_size(v: Option<&Value>, label: &str, problems: &mut Vec<String>) -> Option<FinishedSize> {
    let v = v?;
    let code = optional_text(v, "Code");
    let mut dim = |name: &str| match optional_int(v, name, &format!("{label}.{name}")) {
        Ok(Some(n)) if n > 0 && n <= MAX_SIZE_MM => Some(n as u32),
        Ok(Some(0)) | Ok(None) => None,
        Ok(Some(n)) => {
            problems.push(format!(
                "{label}.{name} must be between 1 and {MAX_SIZE_MM} mm, not {n}."
            ));
            None
        }
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let (width, depth) = (dim("Width"), dim("Depth"));
    match (width, depth, &code) {
        (Some(width), Some(depth), _) => Some(FinishedSize { code, width, depth }),
        (_, _, Some(c)) => match pricing::standard_size(c) {
            Some((width, depth)) => Some(FinishedSize {
                code: Some(c.clone()),
                width,
                depth,
            }),
            None => {
                problems.push(format!(
                    "{label}.Code '{c}' is not a known size; give Width and Depth in mm."
                ));
                None
            }
        },
        _ => None,
    }
}

/// Reads a `Processes` array. Entries without a `ProcessTypeID` (or with 0)
/// are placeholders and are skipped.
fn parse_processes(v: Option<&Value>, label: &str, problems: &mut Vec<String>) -> Vec<ProcessLine> {
    let Some(v) = v else { return Vec::new() };
    let Some(items) = v.as_array() else {
        problems.push(format!("{label} must be an array."));
        return Vec::new();
    };
    let mut lines = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let here = format!("{label}[{i}]");
        let id = match optional_int(item, "ProcessTypeID", &format!("{here}.ProcessTypeID")) {
            Ok(Some(id)) if id != 0 => id,
            Ok(_) => continue,
            Err(p) => {
                problems.push(p);
                continue;
            }
        };
        let value = match field(item, "Value") {
            None => 1,
            Some(Value::Bool(b)) => i64::from(*b),
            Some(v) => match (int(v), text(v).map(|t| t.to_ascii_lowercase())) {
                (Some(n), _) => n,
                (None, Some(t)) if t == "yes" || t == "true" => 1,
                (None, Some(t)) if t == "no" || t == "false" => 0,
                (None, None) => 1,
                (None, Some(_)) => {
                    problems.push(format!("{here}.Value must be a number."));
                    continue;
                }
            },
        };
        if !(0..=MAX_PROCESS_VALUE).contains(&value) {
            problems.push(format!(
                "{here}.Value must be between 0 and {MAX_PROCESS_VALUE}."
            ));
            continue;
        }
        lines.push(ProcessLine {
            process_type_id: id,
            value: value as u32,
        });
    }
    lines
}

/// Parses and validates an estimate request (without customer checks or
/// prices). All problems are collected, not just the first.
pub fn parse(catalog: &Catalog, body: &Value) -> Result<ParsedRequest, Vec<String>> {
    if !body.is_object() {
        return Err(vec!["The request body must be a JSON object.".into()]);
    }
    let mut problems = Vec::new();
    let type_id = match required_int(body, "ProductTypeId", "ProductTypeId") {
        Ok(id) => id,
        Err(p) => return Err(vec![p]),
    };
    let Some(pt) = catalog.product_type(type_id) else {
        return Err(vec![format!("Product type {type_id} does not exist.")]);
    };

    let quantity = match required_int(body, "Quantity", "Quantity") {
        Ok(q) if q < 1 => {
            problems.push("Quantity must be at least 1.".to_string());
            1
        }
        Ok(q) if q > MAX_QUANTITY => {
            problems.push(format!("Quantity must be at most {MAX_QUANTITY}."));
            1
        }
        Ok(q) => q,
        Err(p) => {
            problems.push(p);
            1
        }
    };
    if nested_code(body, "Customer").is_none() {
        problems.push("Customer.Code is required.".into());
    }
    let size = parse_size(field(body, "FinishedSize"), "FinishedSize", &mut problems)
        .unwrap_or_else(|| pt.finished_size.clone());
    let processes = parse_processes(field(body, "Processes"), "Processes", &mut problems);

    let parts = match field(body, "Parts") {
        None => pt
            .parts
            .iter()
            .map(|t| PartInput {
                name: t.name.clone(),
                pages: t.pages,
                paper_code: t.paper_code.clone(),
                gsm: Some(t.gsm),
                front_process: t.front_process.clone(),
                back_process: t.back_process.clone(),
                quantity,
                finished_size: size.clone(),
                processes: t.processes.clone(),
            })
            .collect(),
        Some(Value::Array(items)) => {
            if items.is_empty() && !pt.parts.is_empty() {
                problems.push(format!(
                    "Parts must not be empty: product type {type_id} has parts."
                ));
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| parse_part(pt, i, item, quantity, &size, &mut problems))
                .collect()
        }
        Some(_) => {
            problems.push("Parts must be an array.".into());
            Vec::new()
        }
    };

    if problems.is_empty() {
        Ok(ParsedRequest {
            product_type_id: type_id,
            title: optional_text(body, "Title"),
            input: EstimateInput {
                quantity,
                parts,
                processes,
            },
        })
    } else {
        Err(problems)
    }
}

fn parse_part(
    pt: &ProductType,
    i: usize,
    item: &Value,
    quantity: i64,
    size: &FinishedSize,
    problems: &mut Vec<String>,
) -> Option<PartInput> {
    let here = format!("Parts[{i}]");
    if !item.is_object() {
        problems.push(format!("{here} must be an object."));
        return None;
    }
    let template = match optional_int(
        item,
        "ProductTypePartId",
        &format!("{here}.ProductTypePartId"),
    ) {
        Ok(Some(id)) if id != 0 => match pt.parts.iter().find(|t| t.id == id) {
            Some(t) => t,
            None => {
                problems.push(format!(
                    "{here}.ProductTypePartId {id} is not a part of product type {}.",
                    pt.id
                ));
                return None;
            }
        },
        Ok(_) => match pt.parts.get(i) {
            Some(t) => t,
            None => {
                problems.push(format!(
                    "{here} has no ProductTypePartId and product type {} has only {} part(s).",
                    pt.id,
                    pt.parts.len()
                ));
                return None;
            }
        },
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let name = optional_text(item, "Name").unwrap_or_else(|| template.name.clone());
    let here = format!("{here} ('{name}')");
    let pages = match optional_int(item, "Pages", &format!("{here}.Pages")) {
        Ok(Some(p)) if (1..=MAX_PAGES).contains(&p) => p as u32,
        Ok(Some(p)) if p > MAX_PAGES => {
            problems.push(format!(
                "{here} has {p} pages; at most {MAX_PAGES} are allowed."
            ));
            return None;
        }
        Ok(_) => {
            problems.push(format!("{here} has no pages; Pages must be at least 1."));
            return None;
        }
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    if pages % template.pages_multiple_of.max(1) != 0 {
        problems.push(format!(
            "{here} has {pages} pages; it must be a multiple of {}.",
            template.pages_multiple_of
        ));
    }
    let Some(paper_code) = optional_text(item, "PaperCode") else {
        problems.push(format!("{here}.PaperCode is required."));
        return None;
    };
    let gsm = match optional_int(item, "GSM", &format!("{here}.GSM")) {
        Ok(Some(g)) if g > 0 => u32::try_from(g).ok(),
        Ok(Some(g)) if g < 0 => {
            problems.push(format!("{here}.GSM must not be negative."));
            return None;
        }
        Ok(_) => None,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let part_quantity = match optional_int(item, "Quantity", &format!("{here}.Quantity")) {
        Ok(Some(q)) if q > 0 && q <= MAX_QUANTITY => q,
        Ok(Some(q)) if !(0..=MAX_QUANTITY).contains(&q) => {
            problems.push(format!(
                "{here}.Quantity must be between 0 and {MAX_QUANTITY}."
            ));
            return None;
        }
        Ok(_) => quantity,
        Err(p) => {
            problems.push(p);
            return None;
        }
    };
    let process_text = |name: &str, default: &str| match field(item, name) {
        None => default.to_string(),
        Some(v) => text(v).unwrap_or_else(|| "None".to_string()),
    };
    Some(PartInput {
        front_process: process_text("FrontProcess", &template.front_process),
        back_process: process_text("BackProcess", &template.back_process),
        finished_size: parse_size(
            field(item, "FinishedSize"),
            &format!("{here}.FinishedSize"),
            problems,
        )
        .unwrap_or_else(|| size.clone()),
        processes: parse_processes(
            field(item, "Processes"),
            &format!("{here}.Processes"),
            problems,
        ),
        name,
        pages,
        paper_code,
        gsm,
        quantity: part_quantity,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataOptions, build};

    #[test]
    fn example_round_trips_to_the_same_price() {
        let data = build(&DataOptions::default());
        for pt in &data.catalog.product_types {
            let mut doc = example(pt);
            doc["Customer"]["Code"] = json!("WEBSHOP");
            let parsed = parse(&data.catalog, &doc).expect("example parses");
            assert_eq!(parsed.input.quantity, pt.default_quantity);
            assert!(
                pricing::price(&data.catalog, pt, &parsed.input).is_ok(),
                "{}",
                pt.name
            );
        }
    }

    #[test]
    fn collects_problems() {
        let data = build(&DataOptions::default());
        let body = json!({
            "productTypeId": 5, "Quantity": 0,
            "Parts": [{"ProductTypePartId": 51, "Pages": 0, "PaperCode": "SILK"},
                      {"ProductTypePartId": 52, "Pages": 6, "PaperCode": "SILK"}]
        });
        let problems = parse(&data.catalog, &body).expect_err("invalid");
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(parse(&data.catalog, &json!([])).is_err());
        assert!(parse(&data.catalog, &json!({"ProductTypeId": 999})).is_err());
    }
}
