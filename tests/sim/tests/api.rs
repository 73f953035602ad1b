//! The Tharstern API through real HTTP: authentication, routing, catalogue,
//! customers, estimates and stock.

mod common;

use base64::Engine;
use common::{Api, basic, card_request, problems};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;
use tharstern_sim::ZERO_TOKEN;

#[tokio::test]
async fn token_for_valid_credentials_and_zero_guid_otherwise() {
    let api = Api::start().await;
    assert_eq!(api.token.len(), 36);
    assert_ne!(api.token, ZERO_TOKEN);
    for query in [
        "email=api@example.com&password=wrong&applicationId=x",
        "email=nobody@example.com&password=secret&applicationId=x",
        "email=api@example.com&password=secret&applicationId=",
        "email=api@example.com&password=secret",
        "",
    ] {
        let (status, body) = api
            .get_anon(&format!("authentication/GenerateAPIToken?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(body["Status"]["Success"], true);
        assert_eq!(body["Details"]["Token"], ZERO_TOKEN, "{query}");
    }
    // Email matches case-insensitively; a second token does not revoke the first.
    let (_, body) = api
        .get_anon("authentication/GenerateAPIToken?EMAIL=API@Example.com&password=secret&applicationid=tests")
        .await;
    let second = body["Details"]["Token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_ne!(second, ZERO_TOKEN);
    assert_ne!(second, api.token);
    let (status, _) = api.get("producttypes").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn missing_unknown_or_expired_tokens_get_401() {
    let api = Api::with(common::builder().token_lifetime(Duration::from_millis(700))).await;
    let check = |auth: Option<String>| {
        let req = api.client.get(api.url("products"));
        let req = match auth {
            Some(a) => req.header("Authorization", a),
            None => req,
        };
        async move {
            let r = req.send().await.expect("request");
            let status = r.status();
            let body: serde_json::Value = r.json().await.expect("json");
            (status, body)
        }
    };
    // Both Basic forms are accepted.
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (s, _) = check(Some(format!("Basic {}", b64(&api.token)))).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = check(Some(format!("Basic {}", b64(&format!("{}:", api.token))))).await;
    assert_eq!(s, StatusCode::OK);

    for auth in [
        None,
        Some(basic("6f9619ff-8b86-d011-b42d-00cf4fc964ff")),
        Some(basic(ZERO_TOKEN)),
        Some("Bearer whatever".to_string()),
        Some("Basic ***".to_string()),
    ] {
        let (status, body) = check(auth.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(body["Status"]["Success"], false);
        assert_eq!(
            body["Status"]["Message"],
            "Authorization has been denied for this request."
        );
    }
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (status, _) = check(Some(basic(&api.token))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "expired");
    let fresh = api.login().await;
    let (status, _) = check(Some(basic(&fresh))).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn paths_and_query_names_are_case_insensitive() {
    let api = Api::start().await;
    for path in [
        "products?customerCode=WEBSHOP",
        "PRODUCTS?CUSTOMERCODE=webshop",
        "Products/?customercode=WebShop",
    ] {
        let (status, body) = api.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body["Details"]["TotalItemCount"], 17, "{path}");
    }
    let url = api.url("x").replace(
        "TharsternAPI/api/x",
        "tharsternapi/API/estrequest/1/EXAMPLE",
    );
    let r = api
        .client
        .get(url)
        .header("Authorization", basic(&api.token))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), StatusCode::OK);
    // Unknown paths and wrong methods still answer the envelope.
    let (status, body) = api.get("nosuchthing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["Status"]["Success"], false);
    let (status, body) = api.post("products", &json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["Status"]["Success"], false);
}

#[tokio::test]
async fn product_types_have_kinds_and_work_types() {
    let api = Api::start().await;
    let (status, body) = api.get("producttypes").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Status"]["Success"], true);
    let items = body["Details"]["Items"].as_array().expect("items");
    assert_eq!(body["Details"]["TotalItemCount"], 12);
    let kinds: Vec<&str> = items.iter().filter_map(|t| t["Kind"].as_str()).collect();
    for kind in ["Finished", "None", "Part", "Component"] {
        assert!(kinds.contains(&kind), "{kind}");
    }
    let (_, one) = api.get("producttypes?id=11").await;
    assert_eq!(one["Details"]["Items"][0]["WorkType"], "Bespoke");
    assert_eq!(one["Details"]["TotalItemCount"], 1);
    let (status, body) = api.get("producttypes?id=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problems(&body).len(), 1);
}

#[tokio::test]
async fn products_are_filtered_by_customer_and_paged() {
    let api = Api::start().await;
    let (_, all) = api.get("products?customerCode=WEBSHOP").await;
    assert_eq!(all["Details"]["TotalItemCount"], 17);
    let (_, hr) = api.get("products?customerCode=ACME-HR").await;
    let codes: Vec<&str> = hr["Details"]["Items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|p| p["Code"].as_str())
        .collect();
    assert_eq!(
        codes,
        ["BC-STD", "BC-MATT", "LH-A4", "SLIP-DL", "STK-LHPACK"]
    );
    let (status, unknown) = api.get("products?customerCode=NOPE").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unknown["Details"]["TotalItemCount"], 0);
    let (_, walkin) = api.get("products?customerCode=WALKIN").await;
    assert_eq!(walkin["Details"]["Items"], json!([]));

    let (_, by_code) = api
        .get("products?customerCode=WEBSHOP&productCode=stk-pen")
        .await;
    let pen = &by_code["Details"]["Items"][0];
    assert_eq!(pen["StockItemID"], 1);
    assert_eq!(pen["ProductTypes_ID"], 12);
    let (_, by_type) = api
        .get("products?customerCode=WEBSHOP&productTypeId=1")
        .await;
    assert_eq!(by_type["Details"]["TotalItemCount"], 2);

    let (_, page) = api
        .get("products?customerCode=WEBSHOP&page=2&pageSize=5")
        .await;
    assert_eq!(page["Details"]["TotalItemCount"], 17);
    assert_eq!(page["Details"]["Items"][0]["ID"], 6);
    assert_eq!(page["Details"]["Items"].as_array().map(Vec::len), Some(5));
    let (_, last) = api
        .get("products?customerCode=WEBSHOP&page=4&pageSize=5")
        .await;
    assert_eq!(last["Details"]["Items"].as_array().map(Vec::len), Some(2));
    assert_eq!(last["Details"]["Items"][1]["ID"], 17);
    let (_, past) = api.get("products?page=9&pageSize=5").await;
    assert_eq!(past["Details"]["Items"], json!([]));
    for bad in ["page=0", "pageSize=-1", "page=x"] {
        let (status, _) = api.get(&format!("products?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn page_size_is_capped_at_1000() {
    let api = Api::with(common::builder().products(1500)).await;
    let (_, body) = api.get("products?customerCode=WEBSHOP&pageSize=5000").await;
    assert_eq!(body["Details"]["TotalItemCount"], 1517);
    assert_eq!(
        body["Details"]["Items"].as_array().map(Vec::len),
        Some(1000)
    );
    let (_, body) = api.get("products").await;
    assert_eq!(body["Details"]["Items"].as_array().map(Vec::len), Some(100));
}

#[tokio::test]
async fn customers_by_code_email_and_create() {
    let api = Api::start().await;
    let (_, body) = api.get("customers?customerCode=acme-mkt").await;
    let c = &body["Details"]["Items"][0];
    assert_eq!(c["Code"], "ACME-MKT");
    assert_eq!(c["Email"], "marketing@acme.example");
    assert!(c["ID"].is_i64());
    let (_, none) = api.get("customers?customerCode=NOPE").await;
    assert_eq!(none["Details"]["Items"], json!([]));
    let (_, by_email) = api.get("customers?email=HR@ACME.example").await;
    assert_eq!(by_email["Details"]["Items"][0]["Code"], "ACME-HR");
    assert_eq!(by_email["Details"]["TotalItemCount"], 1);

    let (status, created) = api
        .post(
            "customers",
            &json!({"Name": "Jane's Bakery", "Email": "jane@bakery.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let c = &created["Details"]["Customer"];
    assert_eq!(
        c["Code"],
        format!("WEB{:05}", c["ID"].as_i64().unwrap_or(0))
    );
    let (_, found) = api.get("customers?email=jane@bakery.example").await;
    assert_eq!(found["Details"]["Items"][0]["Code"], c["Code"]);

    let (status, _) = api
        .post(
            "customers",
            &json!({"Code": "BAKERY", "Name": "Bakery", "Email": "b@bakery.example"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, dup) = api
        .post("customers", &json!({"Code": "bakery", "Name": "Other"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problems(&dup)[0].contains("already exists"));
    let (status, bad) = api
        .post("customers", &json!({"Email": "not-an-email"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problems(&bad).len(), 2);
    let (status, _) = api.post_raw("customers", "{oops").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn example_requests_per_product_type() {
    let api = Api::start().await;
    let (status, body) = api.get("EstRequest/5/Example").await;
    assert_eq!(status, StatusCode::OK);
    let ex = &body["Details"];
    assert_eq!(ex["ProductTypeId"], 5);
    assert_eq!(ex["Parts"].as_array().map(Vec::len), Some(2));
    assert_eq!(ex["Parts"][1]["PaperCode"], "SILK");
    assert_eq!(ex["Processes"][0]["ProcessTypeID"], 106);
    for field in [
        "Title",
        "Quantity",
        "RequiredDateTime",
        "JobType",
        "Ref1",
        "Ref10",
        "FinishedSize",
        "Customer",
        "DeliveryCustomer",
        "Orientation",
    ] {
        assert!(ex.get(field).is_some(), "{field}");
    }
    let (status, body) = api.get("EstRequest/999/Example").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["Status"]["Success"], false);
    let (status, _) = api.get("EstRequest/abc/Example").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn estimate_request_prices_deterministically() {
    let api = Api::start().await;
    let (status, text) = api
        .post_raw("estrequest", &card_request("Cards for Jane").to_string())
        .await;
    assert_eq!(status, StatusCode::OK);
    // Money always has two decimals on the wire.
    assert!(text.contains(r#""TotalPrice":27.31"#), "{text}");
    let body: serde_json::Value = serde_json::from_str(&text).expect("json");
    let e = &body["Details"]["Estimate"];
    assert_eq!(e["EstimateRef"], "E000001");
    assert_eq!(e["Quantity"], 250);
    assert_eq!(e["CustomerCode"], "WEBSHOP");

    // The example request, posted back with a customer, prices too; a
    // different quantity gives a different price.
    let (_, ex) = api.get("EstRequest/2/Example").await;
    let mut req = ex["Details"].clone();
    req["Customer"]["Code"] = json!("ACME-MKT");
    req["Quantity"] = json!(5000);
    req["Parts"][0]["Quantity"] = json!(0);
    let (status, body) = api.post("estrequest", &req).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, again) = api.post("estrequest", &req).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["Details"]["Estimate"]["TotalPrice"],
        again["Details"]["Estimate"]["TotalPrice"]
    );
    let (_, text) = api
        .post_raw(
            "estrequest",
            &json!({"ProductTypeId": 6, "Quantity": 2, "Customer": {"Code": "GLOBEX"}}).to_string(),
        )
        .await;
    assert!(text.contains(r#""Success":true"#), "{text}");
    assert_eq!(api.sim.state().estimates().len(), 4);

    // Lenient input: numbers as strings, lower-case names.
    let (status, _) = api
        .post(
            "estrequest",
            &json!({"producttypeid": "1", "quantity": "100", "customer": {"code": "webshop"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_estimate_requests_list_their_problems() {
    let api = Api::start().await;
    let cases = [
        (
            json!({"ProductTypeId": 1, "Quantity": 0, "Customer": {"Code": "WEBSHOP"}}),
            "Quantity must be at least 1",
        ),
        (
            json!({"ProductTypeId": 1, "Quantity": 10, "Customer": {"Code": "NOPE"}}),
            "Customer 'NOPE' does not exist",
        ),
        (
            json!({"ProductTypeId": 1, "Quantity": 10}),
            "Customer.Code is required",
        ),
        (
            json!({"ProductTypeId": 999, "Quantity": 10, "Customer": {"Code": "WEBSHOP"}}),
            "Product type 999 does not exist",
        ),
        (
            json!({"Quantity": 10, "Customer": {"Code": "WEBSHOP"}}),
            "ProductTypeId is required",
        ),
        (
            json!({"ProductTypeId": 1, "Quantity": 10, "Customer": {"Code": "WEBSHOP"},
                "Parts": [{"ProductTypePartId": 11, "PaperCode": "SILK", "GSM": 350}]}),
            "has no pages",
        ),
        (
            json!({"ProductTypeId": 1, "Quantity": 10, "Customer": {"Code": "WEBSHOP"},
                "Parts": [{"ProductTypePartId": 11, "Pages": 2, "PaperCode": "UNOBTAINIUM"}]}),
            "paper code 'UNOBTAINIUM' does not exist",
        ),
        (
            json!({"ProductTypeId": 1, "Quantity": 10, "Customer": {"Code": "WEBSHOP"},
                "Parts": [{"ProductTypePartId": 11, "Pages": 2, "PaperCode": "SILK", "GSM": 999}]}),
            "not available in 999gsm",
        ),
        (
            json!({"ProductTypeId": 5, "Quantity": 10, "Customer": {"Code": "WEBSHOP"},
                "Parts": [{"ProductTypePartId": 52, "Pages": 6, "PaperCode": "SILK"}]}),
            "multiple of 4",
        ),
        (
            json!({"ProductTypeId": 1, "Quantity": 10, "Customer": {"Code": "WEBSHOP"},
                "Processes": [{"ProcessTypeID": 4242}]}),
            "Process type 4242 does not exist",
        ),
        (
            json!({"ProductTypeId": 2, "Quantity": 10, "Customer": {"Code": "WEBSHOP"}, "FinishedSize": {"Code": "A1"}}),
            "does not fit on an SRA3 sheet",
        ),
        (
            json!({"ProductTypeId": 1, "Quantity": 10, "Customer": {"Code": "WEBSHOP"},
                "Parts": [{"ProductTypePartId": 11, "Pages": 2, "PaperCode": "SILK", "FrontProcess": "Gold Leaf"}]}),
            "not a known print process",
        ),
        (json!([1, 2]), "must be a JSON object"),
    ];
    for (body, expected) in cases {
        let (status, answer) = api.post("estrequest", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer["Status"]["Success"], false);
        let p = problems(&answer);
        assert!(p.iter().any(|p| p.contains(expected)), "{expected}: {p:?}");
    }
    // Several problems at once.
    let (_, answer) = api
        .post(
            "estrequest",
            &json!({"ProductTypeId": 1, "Quantity": -5, "Customer": {"Code": "NOPE"},
            "Parts": [{"Pages": 0, "PaperCode": "SILK"}]}),
        )
        .await;
    assert_eq!(problems(&answer).len(), 3, "{answer}");
    // Broken JSON is a 400 with a problem, not a crash.
    for raw in ["{\"ProductTypeId\": 1,", "", "null", "[]", "\"text\""] {
        let (status, text) = api.post_raw("estrequest", raw).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{raw}");
        assert!(text.contains("Problems"), "{raw}: {text}");
    }
    assert!(api.sim.state().estimates().is_empty());
}

#[tokio::test]
async fn unpriced_work_type_asks_to_call() {
    let api = Api::start().await;
    let (status, body) = api
        .post(
            "estrequest",
            &json!({"ProductTypeId": 11, "Quantity": 500, "Customer": {"Code": "GLOBEX"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Status"]["Success"], false);
    assert_eq!(body["Status"]["Message"], "Please call for price");
    assert!(body["Details"]["Estimate"].is_null());
    assert!(api.sim.state().estimates().is_empty());
}

#[tokio::test]
async fn estimates_found_by_id_ref_and_keyword() {
    let api = Api::start().await;
    for title in [
        "Storefront order 1001 line 1",
        "Storefront order 1002 line 1",
        "Other",
    ] {
        let (status, _) = api.post("estrequest", &card_request(title)).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, body) = api.get("estimates?keyword=ORDER 100").await;
    assert_eq!(body["Details"]["TotalItemCount"], 2);
    let (_, body) = api.get("estimates?keyword=1002").await;
    assert_eq!(body["Details"]["Items"][0]["ID"], 2);
    let (_, body) = api.get("estimates?estimateRef=e000003").await;
    assert_eq!(body["Details"]["Items"][0]["Title"], "Other");
    let (_, body) = api.get("estimates?id=1").await;
    assert_eq!(body["Details"]["Items"][0]["TotalPrice"], 27.31);
    let (_, body) = api.get("estimates?id=77").await;
    assert_eq!(body["Details"]["Items"], json!([]));
    let (_, body) = api.get("estimates").await;
    assert_eq!(body["Details"]["TotalItemCount"], 3);
}

#[tokio::test]
async fn stock_items_by_id_and_code() {
    let api = Api::start().await;
    let (_, body) = api.get("stockitems").await;
    assert_eq!(body["Details"]["TotalItemCount"], 5);
    let (_, body) = api.get("stockitems?code=folder-a4").await;
    let s = &body["Details"]["Items"][0];
    assert_eq!(s["ID"], 2);
    assert_eq!(s["FreeStock"], 1200);
    assert_eq!(s["OnOrder"], 0);
    assert_eq!(s["Allocated"], 0);
    let (_, body) = api.get("stockitems?id=4").await;
    assert_eq!(body["Details"]["Items"][0]["FreeStock"], 0);
}
