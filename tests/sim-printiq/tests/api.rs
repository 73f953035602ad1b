//! Every endpoint over real HTTP: shapes, IsError answers as HTTP 200,
//! credentials, routing.

mod common;

use common::{Api, login_query};
use printiq_sim::{INVALID_LOGIN_TOKEN, INVALID_PRODUCT_CODE, PLEASE_CALL};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn login_three_ways_and_bad_credentials() {
    let api = Api::start().await;
    let url = api.sim.quote_process_url("GetApplicationLogInToken");
    // GET with the query.
    let r = api
        .client
        .get(format!("{url}?{}", login_query()))
        .send()
        .await
        .expect("get");
    let token: String = r.json().await.expect("string");
    assert_eq!(token.len(), 36);
    // POST with a form body.
    let r = api
        .client
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(login_query())
        .send()
        .await
        .expect("form");
    let token: String = r.json().await.expect("string");
    assert_eq!(token.len(), 36);
    // Bad password, case-insensitive route: HTTP 200, "".
    let r = api
        .client
        .post(format!(
            "{}/API/quoteprocess/getapplicationlogintoken?UserName=api-user&Password=wrong&ApplicationName=connect&ApplicationKey=demo-app-key",
            api.sim.base_url()
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.expect("body"), "\"\"");
    // Bad token: HTTP 200, IsError.
    let (status, body) = api
        .qp_with_token("GetQuoteDetails", "nope", json!({"QuoteNo": "Q005201v1"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["IsError"], true);
    assert_eq!(body["ErrorMessage"], INVALID_LOGIN_TOKEN);
    assert!(body["QuoteDetails"].is_null());
}

#[tokio::test]
async fn tree_nodes_and_filters_per_customer() {
    let api = Api::start().await;
    let (_, root) = api
        .qp(
            "GetTreeNodes",
            json!({"TreeNodeID": 0, "CustomerCode": "WEBSHOP"}),
        )
        .await;
    assert_eq!(root["IsError"], false);
    let names: Vec<_> = root["TreeNodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| n["Name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        names,
        ["Business Cards", "Flyers & Leaflets", "Large Format"]
    );
    assert_eq!(root["TreeNodes"][1]["Children"][0]["ID"], 1111);
    // ACME sees no large format.
    let (_, acme) = api
        .qp(
            "GetTreeNodes",
            json!({"TreeNodeID": 0, "CustomerCode": "ACME-MKT"}),
        )
        .await;
    assert_eq!(acme["TreeNodes"].as_array().map(Vec::len), Some(2));
    let (_, hidden) = api
        .qp(
            "GetTreeNodes",
            json!({"TreeNodeID": 1200, "CustomerCode": "ACME-MKT"}),
        )
        .await;
    assert_eq!(hidden["IsError"], true);
    let (_, unknown) = api
        .qp(
            "GetTreeNodes",
            json!({"TreeNodeID": 0, "CustomerCode": "NOBODY"}),
        )
        .await;
    assert_eq!(unknown["ErrorMessage"], "Invalid Customer Code");

    let (_, filters) = api
        .qp(
            "GetFilters",
            json!({"TreeNodeID": 1111, "GetInitialValues": true, "GetSimplifiedSet": true,
                   "CustomerCode": "WEBSHOP", "PriceListLevel": 3}),
        )
        .await;
    assert_eq!(filters["IsError"], false);
    assert_eq!(filters["Filters"][0]["Name"], "Stock");
    assert_eq!(filters["Filters"][0]["Values"][1]["Value"], "7002");
    assert_eq!(filters["Filters"][2]["Values"][0]["Value"], "51,1");
}

#[tokio::test]
async fn get_price_by_code_and_by_filters() {
    let api = Api::start().await;
    let body = api.price("BC-STD", 500, "p-1").await;
    let q = &body["QuoteDetails"];
    assert!(
        q["QuoteNo"]
            .as_str()
            .is_some_and(|n| n.starts_with('Q') && n.ends_with("v1"))
    );
    assert_eq!(body["QuoteAccepted"], false);
    let price = &q["Products"][0]["Quantities"][0];
    assert_eq!(price["Quantity"], 500);
    assert_eq!(price["Price"].to_string(), "39.4");
    assert_eq!(q["CurCode"], "GBP");

    let (_, by_filter) = api
        .qp(
            "GetPrice",
            json!({"CustomerCode": "ACME-MKT", "SelectedQuantity": {"Quantity": 1000},
              "FilterInput": {"TreeNodeID": 1111, "FilterValues": [
                {"Name": "Stock", "Value": "7002"}, {"Name": "FinishSize", "Value": "11"},
                {"Name": "Process", "Value": "51,1"}]}}),
        )
        .await;
    assert_eq!(by_filter["IsError"], false, "{by_filter}");
    // 25.00 + 61.00 − 9.15 = 76.85, level 4: −5 % = 73.01 (half up of 73.0075).
    assert_eq!(
        by_filter["QuoteDetails"]["Products"][0]["Quantities"][0]["Price"].to_string(),
        "73.01"
    );

    // Unknown product and "please call": HTTP 200, IsError, no quote.
    let before = api.sim.quotes().len();
    for (code, message) in [("NOPE", INVALID_PRODUCT_CODE), ("BANNER-PVC", PLEASE_CALL)] {
        let (status, e) = api
            .qp(
                "GetPrice",
                json!({"CustomerCode": "WEBSHOP", "ProductCode": code,
                       "SelectedQuantity": {"Quantity": 10}}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(e["IsError"], true);
        assert_eq!(e["ErrorMessage"], message);
        assert_eq!(e["QuoteAccepted"], false);
        assert!(e["QuoteDetails"].is_null());
    }
    assert_eq!(api.sim.quotes().len(), before);
}

#[tokio::test]
async fn create_quote_with_delivery_adds_freight_and_warns() {
    let api = Api::start().await;
    let (_, body) = api
        .qp(
            "CreateQuoteWithDelivery",
            json!({"CustomerCode": "WEBSHOP", "ProductCode": "BC-STD",
                   "SelectedQuantity": {"Quantity": 500},
                   "Deliveries": [{"Quantity": 300, "FreightMethod": "Express"},
                                  {"Quantity": 100}]}),
        )
        .await;
    assert_eq!(body["IsError"], false);
    assert_eq!(body["IsWarning"], true);
    let warning = body["WarningMessage"].as_str().unwrap_or_default();
    assert!(warning.contains("do not add up") && warning.contains("CustomerReference"));
    let q = &body["QuoteDetails"];
    assert_eq!(q["FreightPrice"].to_string(), "23.9");
    assert_eq!(q["TotalPrice"].to_string(), "63.3");
    assert_eq!(q["Deliveries"].as_array().map(Vec::len), Some(2));
    let (_, bad) = api
        .qp(
            "CreateQuoteWithDelivery",
            json!({"CustomerCode": "WEBSHOP", "ProductCode": "BC-STD",
                   "SelectedQuantity": {"Quantity": 500},
                   "Deliveries": [{"Quantity": 500, "FreightMethod": "Pigeon"}]}),
        )
        .await;
    assert_eq!(bad["ErrorMessage"], "Invalid Freight Method 'Pigeon'");
}

#[tokio::test]
async fn quote_details_and_acceptance_details() {
    let api = Api::start().await;
    let quote_no = api.order_quote("order-7").await;
    let (_, before) = api
        .qp("GetQuoteDetails", json!({"QuoteNo": quote_no}))
        .await;
    assert_eq!(before["QuoteDetails"]["QuoteAccepted"], false);
    assert_eq!(before["QuoteDetails"]["JobNos"], json!([]));
    assert_eq!(before["QuoteDetails"]["CustomerReference"], "order-7");

    let accepted = api.accept(&quote_no).await;
    let job_no = accepted["AcceptanceDetails"]["Products"][0]["JobNo"]
        .as_str()
        .expect("JobNo")
        .to_string();
    assert!(job_no.starts_with('J') && job_no.len() == 7);
    assert!(accepted["AcceptanceDetails"]["Products"][0]["QQADAKey"].is_i64());

    let (_, after) = api
        .qp(
            "GetQuoteDetails",
            json!({"QuoteNo": quote_no.trim_end_matches("v1")}),
        )
        .await;
    assert_eq!(after["QuoteDetails"]["QuoteAccepted"], true);
    assert_eq!(after["QuoteDetails"]["JobNos"], json!([job_no]));

    let key = accepted["AcceptanceDetails"]["AcceptanceKey"].clone();
    let qqada = accepted["AcceptanceDetails"]["Products"][0]["QQADAKey"].clone();
    for ask in [
        json!({"JobNo": job_no}),
        json!({"AcceptanceKey": key}),
        json!({"AcceptanceDetailKey": qqada}),
    ] {
        let (_, a) = api.qp("GetAcceptanceDetails", ask).await;
        assert_eq!(a["IsError"], false, "{a}");
        let p = &a["AcceptanceDetails"]["Products"][0];
        assert_eq!(p["JobNo"], job_no.as_str());
        assert_eq!(p["JobStatus"], "Create Job");
        assert!(p["AcceptanceProductDeliveryDetails"][0]["FDKey"].is_i64());
        assert_eq!(a["AcceptanceDetails"]["CustomerReference"], "order-7");
    }
    let (_, none) = api
        .qp("GetAcceptanceDetails", json!({"JobNo": "J999999"}))
        .await;
    assert_eq!(none["IsError"], true);
    assert!(none["AcceptanceDetails"].is_null());
    let (_, bad) = api.qp("AcceptQuote", json!({"QuoteNo": "Q999999v1"})).await;
    assert_eq!(bad["IsError"], true);
}

#[tokio::test]
async fn external_consignment_sets_tracking() {
    let api = Api::start().await;
    let quote_no = api.order_quote("order-8").await;
    let accepted = api.accept(&quote_no).await;
    let job_no = accepted["AcceptanceDetails"]["Products"][0]["JobNo"]
        .as_str()
        .expect("JobNo")
        .to_string();
    let fd_key = api.sim.job(&job_no).expect("job").deliveries[0].fd_key;
    let (status, body) = api
        .qp(
            "AddExternalConsignment",
            json!({"ExternalConsignment": {"ConsignmentNo": "EXT-1", "ConsignmentPrice": 12.5,
              "ConsignmentTrackingCode": "1Z999", "ConsignmentTrackingURL": "https://ups.example/1Z999",
              "ExternalConsignmentDeliveries": [{"DeliveryKey": fd_key}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["IsError"], false, "{body}");
    let c = &api.sim.consignments()[0];
    assert!(c.external);
    assert_eq!(c.deliveries[0].job_no, job_no);
    assert_eq!(
        api.sim.job(&job_no).expect("job").deliveries[0]
            .delivery_tracking_code
            .as_deref(),
        Some("1Z999")
    );
    let (_, bad) = api
        .qp(
            "AddExternalConsignment",
            json!({"ExternalConsignment": {"ConsignmentNo": "EXT-2",
              "ExternalConsignmentDeliveries": [{"DeliveryKey": 1}]}}),
        )
        .await;
    assert_eq!(bad["ErrorMessage"], "Invalid DeliveryKey 1");
}

#[tokio::test]
async fn customers_and_the_api_headers() {
    let api = Api::start().await;
    let (status, c) = api.ws_get("customerbycode/acme-mkt").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["Code"], "ACME-MKT");
    assert_eq!(c["Active"], true);
    assert!(c["ID"].is_i64() && c["Email"].is_string());
    let (status, none) = api.ws_get("customerbycode/NOBODY").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(none["IsError"], true);
    assert_eq!(none["ErrorMessage"], "Customer not found");
    // Wrong or missing headers: 401, empty body.
    let r = api
        .client
        .get(api.sim.webhook_service_url("customerbycode/WEBSHOP"))
        .header("PrintIQ-API-Name", "connect")
        .header("PrintIQ-API-Key", "wrong")
        .send()
        .await
        .expect("call");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.text().await.expect("body").is_empty());
}

#[tokio::test]
async fn inventory_items_and_transactions_each_move_stock() {
    let api = Api::start().await;
    let (_, item) = api.ws_get("inventoryitems/PEN-BLUE").await;
    assert_eq!(item["Locations"][0]["Available"], 3500);
    let quote_no = api.order_quote("order-9").await;
    let job = api.accept(&quote_no).await["AcceptanceDetails"]["Products"][0]["JobNo"].clone();
    let pick = json!({"TransactionType": "Pick", "IICode": "PEN-BLUE", "ITUnits": 100,
                      "ILName": "Main Warehouse", "JobNo": job});
    // The same pick twice: two movements (no de-duplication).
    let (_, first) = api.ws_post("inventorytransactions/", pick.clone()).await;
    let (_, second) = api.ws_post("InventoryTransactions", pick).await;
    assert_eq!(first["IsError"], false, "{first}");
    assert_eq!(second["Transactions"][0]["Available"], 3300);
    assert_eq!(api.sim.movements().len(), 2);
    let (_, item) = api.ws_get("inventoryitems/pen-blue").await;
    assert_eq!(item["Locations"][0]["OnHand"], 4800);
    assert_eq!(item["Locations"][0]["Available"], 3300);
    // A return names the pick.
    let it_key = first["Transactions"][0]["ITKey"].clone();
    let (_, ret) = api
        .ws_post(
            "inventorytransactions",
            json!({"TransactionType": "Return", "IICode": "PEN-BLUE", "ITUnits": 40,
                   "ILKey": 1, "JobNo": job, "ITOverrideKey": it_key}),
        )
        .await;
    assert_eq!(ret["Transactions"][0]["Available"], 3340);
    // Too much, and a batch that fails as a whole.
    let (_, over) = api
        .ws_post(
            "inventorytransactions",
            json!([{"TransactionType": "Adjustment", "IICode": "FOLDER-A4", "ITUnits": 5, "ILKey": 1},
                   {"TransactionType": "Pick", "IICode": "FOLDER-A4", "ITUnits": 50, "ILKey": 1,
                    "SalesOrderNo": "SO1"}]),
        )
        .await;
    assert_eq!(over["IsError"], true);
    assert!(over["Transactions"].is_null());
    assert_eq!(api.sim.movements().len(), 3);
    let (_, list) = api.ws_get("inventorytransactions?IICode=PEN-BLUE").await;
    assert_eq!(list["Transactions"].as_array().map(Vec::len), Some(3));
    let (_, unknown) = api.ws_get("inventoryitems/NOPE").await;
    assert_eq!(unknown["IsError"], true);
}

#[tokio::test]
async fn routing_errors_are_iis_pages() {
    let api = Api::start().await;
    let r = api
        .client
        .post(api.sim.quote_process_url("GetPrice"))
        .query(&[("LoginToken", api.token.as_str())])
        .body("{not json")
        .send()
        .await
        .expect("call");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("<html>"));
    let r = api
        .client
        .post(api.sim.quote_process_url("NoSuchCall"))
        .send()
        .await
        .expect("call");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = api
        .client
        .get(api.sim.quote_process_url("GetPrice"))
        .send()
        .await
        .expect("call");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    // Calls are logged with their canonical endpoint.
    assert!(api.sim.calls_to("GetPrice").len() >= 2);
}

#[tokio::test]
async fn tokens_expire_and_slide() {
    let api =
        Api::with(common::builder().token_lifetime(std::time::Duration::from_millis(400))).await;
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let (_, ok) = api.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await;
        assert_eq!(
            ok["ErrorMessage"], "Invalid Quote Number 'Q1'",
            "still valid: sliding"
        );
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let (status, expired) = api.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(expired["ErrorMessage"], INVALID_LOGIN_TOKEN);
    // A fresh login works; expiring all tokens by hand ends it.
    let api2 = Api {
        token: api.login().await,
        ..api
    };
    let (_, ok) = api2.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await;
    assert_ne!(ok["ErrorMessage"], INVALID_LOGIN_TOKEN);
    api2.sim.expire_tokens();
    let (_, gone) = api2.qp("GetQuoteDetails", json!({"QuoteNo": "Q1"})).await;
    assert_eq!(gone["ErrorMessage"], INVALID_LOGIN_TOKEN);
}

#[test]
fn starts_in_background_without_a_runtime() {
    let sim = printiq_sim::Simulator::builder()
        .start_in_background()
        .expect("starts");
    let addr = sim.addr();
    assert!(std::net::TcpStream::connect(addr).is_ok());
    drop(sim);
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "stopped on drop"
    );
}
