//! The REST answers and the stored rows keep their shape across contract
//! versions: one storefront flow through the real service, each answer and
//! each table's rows reduced to their shape (keys and JSON types, values
//! dropped), compared with `fixtures/shapes.json`, which the same test wrote
//! on the code before `connect:plugin@0.2.0` (`CONNECT_RECORD_SHAPES=1`
//! rewrites it). Fields added since by changes unrelated to the contract
//! are added to the fixture by hand, each named here:
//! `storefront.connect.allow_private_networks` and the `storefronts` column
//! of that name (egress to private networks, per storefront); the settings
//! view's `outgoing_ips` (addresses to allow-list at the back office); a
//! mapping's `plugins` (blocks per plugin) and the tables `plugin_mappings`,
//! `department_codes` and `webhook_secrets`; a plugin's `versions` and the
//! settings view's `version` (the plugin registry's versions). And
//! an order stored by that code still delivers.

mod service_support;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use service_support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/shapes.json");
/// `orders.payload` of an order as the code before 0.2.0 stored it.
const OLD_PAYLOAD: &str = include_str!("fixtures/order-payload-v0.1.0.json");

/// The shape of a JSON value: objects keep their keys, arrays merge their
/// elements' shapes, scalars become their type's name; null stays null (it
/// fits any shape: whether a field is set depends on timing, not on shape).
fn shape(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        Value::Bool(_) => json!("bool"),
        Value::Number(_) => json!("number"),
        Value::String(_) => json!("string"),
        Value::Array(items) => {
            let mut merged = Value::Null;
            for item in items {
                merged = merge(merged, shape(item));
            }
            json!([merged])
        }
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
        }
    }
}

/// Two shapes of the same place: objects union their keys; differing
/// scalar types become "a|b".
fn merge(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Null, b) => b,
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let merged = merge(a.remove(&k).unwrap_or(Value::Null), v);
                a.insert(k, merged);
            }
            Value::Object(a)
        }
        (Value::Array(mut a), Value::Array(mut b)) => {
            let (x, y) = (
                a.pop().unwrap_or(Value::Null),
                b.pop().unwrap_or(Value::Null),
            );
            json!([merge(x, y)])
        }
        (Value::String(a), Value::String(b)) if a == b => Value::String(a),
        (Value::String(a), Value::String(b)) => {
            let mut kinds: Vec<&str> = a.split('|').chain(b.split('|')).collect();
            kinds.sort();
            kinds.dedup();
            Value::String(kinds.join("|"))
        }
        (a, _) => a,
    }
}

/// Whether `got` has the shape `want`: the same keys everywhere, the same
/// scalar types where both are set.
fn fits(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Null, _) | (_, Value::Null) => true,
        (Value::Object(w), Value::Object(g)) => {
            w.len() == g.len()
                && w.iter()
                    .all(|(k, v)| g.get(k).is_some_and(|gv| fits(v, gv)))
        }
        (Value::Array(w), Value::Array(g)) => fits(&w[0], &g[0]),
        (w, g) => w == g,
    }
}

/// Every table's rows, each row an object of its columns (JSON text columns
/// parsed), reduced to one merged shape per table.
fn stored_shapes(db: &std::path::Path) -> BTreeMap<String, Value> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = BTreeMap::new();
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let names: Vec<String> = stmt.column_names().map(str::to_string).collect();
        let mut rows = stmt.query([]).unwrap();
        let mut merged = Value::Null;
        while let Some(row) = rows.next().unwrap() {
            let mut obj = serde_json::Map::new();
            for (i, name) in names.iter().enumerate() {
                use rusqlite::types::ValueRef;
                let v = match row.get_ref(i).unwrap() {
                    ValueRef::Null => Value::Null,
                    ValueRef::Integer(n) => json!(n),
                    ValueRef::Real(f) => json!(f),
                    ValueRef::Text(t) => {
                        let t = String::from_utf8_lossy(t);
                        match serde_json::from_str::<Value>(&t) {
                            Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
                            _ => Value::String(t.into_owned()),
                        }
                    }
                    ValueRef::Blob(_) => json!("<blob>"),
                };
                obj.insert(name.clone(), v);
            }
            merged = merge(merged, shape(&Value::Object(obj)));
        }
        out.insert(table, merged);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_answers_and_stored_rows_keep_their_shape() {
    let sim = start_sim().await;
    let service = start_service(|_| {}).await;
    let api = Api::new(&service.url);
    configure_storefront(&api, &sim).await;
    let sf = format!("/api/v1/storefronts/{SF}");
    let mut answers = BTreeMap::new();
    let mut record = |name: &str, v: Value| {
        answers.insert(name.to_string(), shape(&v));
    };

    record("plugins", api.ok("GET", "/api/v1/plugins", None, 200).await);
    record("storefront", api.ok("GET", &sf, None, 200).await);
    let check = format!("{sf}/plugins/{PLUGIN}/check-connection");
    record("check-connection", api.ok("POST", &check, None, 200).await);
    let settings = format!("{sf}/plugins/{PLUGIN}/settings");
    record("settings", api.ok("GET", &settings, None, 200).await);
    let price = json!({"product": "business-cards", "quantity": 250, "customer": "alice"});
    record(
        "price",
        api.ok("POST", &format!("{sf}/price"), Some(price), 200)
            .await,
    );
    let stock = json!({"product": "pens"});
    record(
        "stock",
        api.ok("POST", &format!("{sf}/stock"), Some(stock), 200)
            .await,
    );
    let order = json!({"id": "SHAPE-1", "customer": "alice", "reference": "shapes",
        "lines": [{"product": "pens", "quantity": 150}]});
    record(
        "order-accepted",
        api.ok("POST", &format!("{sf}/orders"), Some(order), 202)
            .await,
    );
    let path = format!("{sf}/orders/SHAPE-1");
    let delivered = eventually(30, "the order delivered", || async {
        let v = api.ok("GET", &path, None, 200).await;
        (v["state"] == "delivered").then_some(v)
    })
    .await;
    record("order-delivered", delivered);
    record(
        "orders",
        api.ok("GET", &format!("{sf}/orders"), None, 200).await,
    );
    let refresh = format!("{path}/refresh-status");
    record("refresh-status", api.ok("POST", &refresh, None, 200).await);
    let refresh = format!("{sf}/catalogue/refresh");
    record(
        "catalogue-refresh",
        api.ok("POST", &refresh, None, 200).await,
    );
    let products = format!("{sf}/plugins/{PLUGIN}/products?limit=3");
    record("products", api.ok("GET", &products, None, 200).await);
    record(
        "mappings",
        api.ok("GET", &format!("{sf}/mappings"), None, 200).await,
    );
    record(
        "customers",
        api.ok("GET", &format!("{sf}/customers"), None, 200).await,
    );

    let db = service.dir.path().join("connect.sqlite");
    let stored = stored_shapes(&db);
    let actual = json!({ "answers": answers, "stored": stored });

    if std::env::var_os("CONNECT_RECORD_SHAPES").is_some() {
        let payload: String = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT payload FROM orders WHERE id = 'SHAPE-1'", [], |r| {
                r.get(0)
            })
            .unwrap();
        let dir = std::path::Path::new(FIXTURE).parent().unwrap();
        std::fs::write(dir.join("order-payload-v0.1.0.json"), payload).unwrap();
        std::fs::write(
            FIXTURE,
            serde_json::to_string_pretty(&actual).unwrap() + "\n",
        )
        .unwrap();
        eprintln!("recorded {FIXTURE}");
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    for section in ["answers", "stored"] {
        let (want, got) = (&expected[section], &actual[section]);
        for (name, want) in want.as_object().unwrap() {
            assert!(
                fits(want, &got[name]),
                "the shape of {section} `{name}` changed:\n got  {}\n want {}",
                got[name],
                want
            );
        }
    }
    service.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_stored_before_contract_0_2_0_still_delivers() {
    let sim = start_sim().await;
    let service = start_service(|_| {}).await;
    let api = Api::new(&service.url);
    configure_storefront(&api, &sim).await;

    // The row as the outbox wrote it, with the payload of the old code.
    let payload: Value = serde_json::from_str(OLD_PAYLOAD).unwrap();
    let id = payload["order_id"].as_str().unwrap().to_string();
    {
        let conn = rusqlite::Connection::open(service.dir.path().join("connect.sqlite")).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        conn.execute(
            "INSERT INTO orders (storefront, id, plugin, state, next_attempt_at, payload,
               payload_hash, check_stock, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'pending', 0, ?4, 'fixture', NULL, 0, 0)",
            rusqlite::params![SF, id, PLUGIN, OLD_PAYLOAD.trim()],
        )
        .unwrap();
    }
    let path = format!("/api/v1/storefronts/{SF}/orders/{id}");
    let order = eventually(30, "the stored order delivered", || async {
        let v = api.ok("GET", &path, None, 200).await;
        (v["state"] == "delivered").then_some(v)
    })
    .await;
    assert_eq!(order["order"], payload, "the order reads back as stored");
    let at_sim = sim.state().orders();
    assert_eq!(
        at_sim
            .iter()
            .filter(|o| o.unique_submit_order_id.as_deref() == Some(id.as_str()))
            .count(),
        1,
        "the simulator received the stored order once"
    );
    service.stop().await;
}
