use crate::*;

use super::*;
use serde_json::json;

fn example() -> Value {
    json!({
        "Title": "Example", "ProductTypeId": 3, "Quantity": 100, "JobType": "Litho",
        "FinishedSize": {"Code": "A5", "Width": 148.0, "Depth": 210},
        "Customer": {"Code": "X", "Contact": {"Name": "Bob"}},
        "DeliveryCustomer": null,
        "DeliveryContact": {"Name": "Alice"},
        "Orientation": {"Value": 1, "EnumType": "Orientation"},
        "Processes": [{"ProcessTypeID": 10, "Value": "1"}, {"ProcessTypeID": 12, "Value": 0}],
        "Parts": [{"Name": "Text", "Quantity": 100, "Pages": 8, "PaperCode": "SILK150", "GSM": 150, "Processes": []}]
    })
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn paths_parse() {
    assert_eq!(parse_path("Quantity").unwrap().len(), 1);
    let p = parse_path("Parts[0].Processes[ProcessTypeID=3].Value").unwrap();
    assert_eq!(p[0].selectors, vec![Selector::Index(0)]);
    assert_eq!(
        p[1].selectors,
        vec![Selector::Match("ProcessTypeID".into(), "3".into())]
    );
    for bad in [
        "",
        "a..b",
        "a.",
        "Parts[x]",
        "Parts[0",
        "Paper Code",
        ".a",
        "a[0]b",
    ] {
        assert!(parse_path(bad).is_err(), "{bad}");
    }
}

#[test]
fn overlay_builds_the_request() {
    let overrides = pairs(&[
        ("FinishedSize.Code", "A4"),
        ("parts[0].pages", "16"),
        ("Parts[0].PaperCode", "GLOSS170"),
        ("Processes[1].Value", "2"),
        ("Processes[ProcessTypeID=10].Value", "5"),
        ("Ref1", "web"),
        ("Orientation.Value", "json:2"),
    ]);
    let attributes = pairs(&[("Parts[0].GSM", "170"), ("Paper colour", "white")]);
    let mut skipped = Vec::new();
    let req = build(
        &example(),
        3,
        &Inputs {
            quantity: 500,
            customer_code: "ACME",
            overrides: &overrides,
            attributes: &attributes,
            advanced_json: Some(
                r#"{"jobtype": "Digital", "FinishedSize": {"Width": null}, "Ref2": "adv"}"#,
            ),
        },
        |n, _| skipped.push(n.to_string()),
    )
    .unwrap();
    assert_eq!(req["Quantity"], json!(500));
    assert_eq!(
        req["Parts"][0]["Quantity"],
        json!(500),
        "a part with the example quantity follows"
    );
    assert_eq!(req["Customer"], json!({"Code": "ACME", "Contact": null}));
    assert_eq!(req["DeliveryCustomer"], json!({"Code": "ACME"}));
    assert_eq!(req["DeliveryContact"], Value::Null);
    assert_eq!(req["FinishedSize"], json!({"Code": "A4", "Depth": 210}));
    assert_eq!(req["Parts"][0]["Pages"], json!(16));
    assert_eq!(req["Parts"][0]["PaperCode"], json!("GLOSS170"));
    assert_eq!(req["Parts"][0]["GSM"], json!(170));
    assert_eq!(req["Processes"][0]["Value"], json!("5"));
    assert_eq!(req["Processes"][1]["Value"], json!(2));
    assert_eq!(req["Ref1"], json!("web"));
    assert_eq!(req["Ref2"], json!("adv"));
    assert_eq!(req["JobType"], json!("Digital"));
    assert!(req.get("jobtype").is_none());
    assert_eq!(req["Orientation"]["Value"], json!(2));
    assert_eq!(skipped, vec!["Paper colour"]);
}

#[test]
fn bad_overrides_are_rejected_with_the_reason() {
    let inputs = |o: &'static [(String, String)]| Inputs {
        quantity: 1,
        customer_code: "C",
        overrides: o,
        attributes: &[],
        advanced_json: None,
    };
    let o: &'static [(String, String)] =
        Box::leak(pairs(&[("Parts[3].Pages", "4")]).into_boxed_slice());
    let e = build(&example(), 3, &inputs(o), |_, _| {}).unwrap_err();
    assert!(
        matches!(&e, PluginError::Rejected(m) if m.contains("has 1 entry")),
        "{e:?}"
    );
    let o: &'static [(String, String)] =
        Box::leak(pairs(&[("Quantity", "lots")]).into_boxed_slice());
    let e = build(&example(), 3, &inputs(o), |_, _| {}).unwrap_err();
    assert!(
        matches!(&e, PluginError::Rejected(m) if m.contains("not a number")),
        "{e:?}"
    );
    let mut i = inputs(&[]);
    i.advanced_json = Some("{oops");
    assert!(matches!(
        build(&example(), 3, &i, |_, _| {}),
        Err(PluginError::Rejected(_))
    ));
    i.advanced_json = Some("[1]");
    assert!(matches!(
        build(&example(), 3, &i, |_, _| {}),
        Err(PluginError::Rejected(_))
    ));
}

#[test]
fn conversions() {
    assert_eq!(convert(Some(&json!(1)), "2.5"), Ok(json!(2.5)));
    assert_eq!(convert(Some(&json!(true)), "no"), Ok(json!(false)));
    assert_eq!(convert(Some(&json!("x")), "007"), Ok(json!("007")));
    assert_eq!(convert(None, "007"), Ok(json!("007")));
    assert_eq!(convert(None, "7"), Ok(json!(7)));
    assert_eq!(convert(Some(&Value::Null), "true"), Ok(json!(true)));
    assert_eq!(convert(None, "json:[1,2]"), Ok(json!([1, 2])));
    assert!(convert(Some(&json!({})), "x").is_err());
}

#[test]
fn title_depends_on_content_and_bucket_only() {
    let a = json!({"Quantity": 1, "Title": "x"});
    let b = json!({"Title": "y", "Quantity": 1});
    let c = json!({"Quantity": 2});
    assert_eq!(title_for(&a, 7), title_for(&b, 7));
    assert_ne!(title_for(&a, 7), title_for(&c, 7));
    assert_ne!(title_for(&a, 7), title_for(&a, 8));
    assert!(title_for(&a, 7).starts_with("connect:"));
}
