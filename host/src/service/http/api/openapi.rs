//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`.
//! Written by hand next to the routes: keep the two in step.

use axum::Json;
use serde_json::{Value, json};

fn op(summary: &str, body: Option<&str>, ok: (&str, &str)) -> Value {
    let mut o = json!({
        "summary": summary,
        "responses": {
            ok.0: { "description": ok.1, "content": { "application/json": {} } },
            "401": { "$ref": "#/components/responses/Unauthorized" },
            "403": { "$ref": "#/components/responses/Forbidden" },
            "404": { "$ref": "#/components/responses/Error" },
            "422": { "$ref": "#/components/responses/Error" },
        }
    });
    if let Some(schema) = body {
        o["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } }
        });
    }
    o
}

pub async fn document() -> Json<Value> {
    let sf = json!({ "name": "sf", "in": "path", "required": true, "schema": { "type": "string" }, "description": "storefront id" });
    let plugin =
        json!({ "name": "plugin", "in": "path", "required": true, "schema": { "type": "string" } });
    let id =
        json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } });
    let product = json!({ "name": "product", "in": "path", "required": true, "schema": { "type": "string" }, "description": "storefront product id" });
    let p = |params: &[&Value], ops: Value| {
        let mut v = ops;
        v["parameters"] = json!(params);
        v
    };
    let mut paths = serde_json::Map::new();
    let mut upload = op(
        "Upload a plugin version: the .wasm as the raw body (application/wasm) or a multipart file part; validated before it is accepted (409: that id and version is loaded)",
        None,
        ("201", "the version and the storefronts upgraded or refused"),
    );
    upload["requestBody"] = json!({ "required": true, "content": {
        "application/wasm": { "schema": { "type": "string", "format": "binary" } },
        "multipart/form-data": { "schema": { "type": "object", "properties": { "component": { "type": "string", "format": "binary" } } } } } });
    paths.insert("/plugins".into(), json!({
        "get": op("Loaded plugins (newest version's info and settings schema) with every version", None, ("200", "plugins")),
        "post": upload,
    }));
    paths.insert("/plugins/{plugin}".into(), p(&[&plugin], json!({
        "get": op("A plugin's versions and the storefronts running each", None, ("200", "the plugin's versions")),
    })));
    paths.insert("/plugins/{plugin}/version".into(), p(&[&plugin], json!({
        "put": op("Upgrade or roll back every storefront using the plugin (or those listed) to a version; null: follow the newest. A storefront whose settings the version refuses stays, listed under refused", Some("VersionSwitch"), ("200", "switched and refused storefronts")),
    })));
    paths.insert("/storefronts/{sf}/plugins/{plugin}/version".into(), p(&[&sf, &plugin], json!({
        "put": op("Upgrade or roll back one storefront; 422 with the field errors when the version refuses its settings", Some("VersionSwitch"), ("200", "the switch")),
    })));
    paths.insert(
        "/storefronts".into(),
        json!({
            "get": op("List storefronts", None, ("200", "storefronts")),
            "post": op("Create a storefront", Some("NewStorefront"), ("201", "the storefront")),
        }),
    );
    paths.insert(
        "/storefronts/{sf}".into(),
        p(
            &[&sf],
            json!({ "get": op("A storefront", None, ("200", "the storefront")) }),
        ),
    );
    paths.insert("/storefronts/{sf}/connect".into(), p(&[&sf], json!({
                "get": op("Connect settings", None, ("200", "connect settings")),
                "put": op("Set Connect settings: enabled plugins and which plugin handles price, stock and orders", Some("ConnectSettings"), ("200", "connect settings")),
            })));
    paths.insert("/storefronts/{sf}/plugins/{plugin}/settings".into(), p(&[&sf, &plugin], json!({
                "get": op("Plugin settings (secrets only say whether they are set)", None, ("200", "settings")),
                "put": op("Write plugin settings; validated by the plugin, 422 names each bad field. Secret keys left out or empty keep their value; null clears.", Some("Settings"), ("200", "settings")),
            })));
    paths.insert("/storefronts/{sf}/plugins/{plugin}/check-connection".into(), p(&[&sf, &plugin], json!({
                "post": op("Check Connection: {ok, summary, kind?, checks}", None, ("200", "the check's outcome")),
            })));
    paths.insert("/storefronts/{sf}/plugins/{plugin}/webhook-secret".into(), p(&[&sf, &plugin], json!({
                "get": op("Whether the storefront has a webhook secret for the plugin (never the secret): {configured, created_at, signed_url}", None, ("200", "the secret's state")),
                "post": op("Make a new webhook secret (the old one stops working): {secret, secret_url, signed_url}, shown this once", None, ("200", "the new secret")),
            })));
    paths.insert("/storefronts/{sf}/plugins/{plugin}/products".into(), p(&[&sf, &plugin], json!({
                "get": op("A page of the plugin's catalogue (query: offset, limit, search)", None, ("200", "products")),
            })));
    paths.insert("/storefronts/{sf}/catalogue/refresh".into(), p(&[&sf], json!({
                "post": op("Refresh the storefront's catalogues now (query: plugin)", None, ("200", "refresh outcomes")),
            })));
    paths.insert(
        "/storefronts/{sf}/departments".into(),
        p(
            &[&sf],
            json!({ "get": op("Departments", None, ("200", "departments")) }),
        ),
    );
    paths.insert("/storefronts/{sf}/departments/{id}".into(), p(&[&sf, &id], json!({
                "put": op("Create or update a department and its customer code", Some("Department"), ("200", "the department")),
                "delete": op("Delete a department", None, ("204", "deleted")),
            })));
    paths.insert(
        "/storefronts/{sf}/customers".into(),
        p(
            &[&sf],
            json!({ "get": op("Customers (storefront users)", None, ("200", "customers")) }),
        ),
    );
    paths.insert("/storefronts/{sf}/customers/{id}".into(), p(&[&sf, &id], json!({
                "get": op("A customer with the backend customers linked to their email", None, ("200", "the customer")),
                "put": op("Create or update a customer: email, name, department", Some("Customer"), ("200", "the customer")),
            })));
    paths.insert(
        "/storefronts/{sf}/mappings".into(),
        p(
            &[&sf],
            json!({ "get": op("Product mappings", None, ("200", "mappings")) }),
        ),
    );
    paths.insert("/storefronts/{sf}/mappings/{product}".into(), p(&[&sf, &product], json!({
                "get": op("A product mapping", None, ("200", "the mapping")),
                "put": op("Map a storefront product to a plugin product reference", Some("Mapping"), ("200", "the mapping")),
                "delete": op("Delete a mapping", None, ("204", "deleted")),
            })));
    let key = json!({ "name": "key", "in": "path", "required": true, "schema": { "type": "string" }, "description": "the key's id (not the key)" });
    paths.insert("/storefronts/{sf}/keys".into(), p(&[&sf], json!({
                "get": op("The storefront's API keys: id, label, prefix, created_at (never the key)", None, ("200", "keys")),
                "post": op("Create an API key for the storefront; the answer's `key` is shown this once", Some("KeyRequest"), ("201", "the key")),
            })));
    paths.insert(
        "/storefronts/{sf}/keys/{key}".into(),
        p(
            &[&sf, &key],
            json!({ "delete": op("Revoke an API key at once", None, ("204", "revoked")) }),
        ),
    );
    paths.insert("/storefronts/{sf}/price".into(), p(&[&sf], json!({
                "post": op("Price, answered by the storefront's price plugin; `handled: false` when none handles price; `no_price` when the backend gives none", Some("PriceRequest"), ("200", "the price")),
            })));
    paths.insert("/storefronts/{sf}/stock".into(), p(&[&sf], json!({
                "post": op("Stock, answered by the storefront's stock plugin; `handled: false` when none handles stock", Some("StockRequest"), ("200", "the stock level")),
            })));
    paths.insert("/storefronts/{sf}/orders".into(), p(&[&sf], json!({
                "get": op("Orders, newest first (query: state, limit)", None, ("200", "orders")),
                "post": op("Accept an order: 202 once durably stored; a repeat of the id is the same order (`created: false`), with other content a 409", Some("Order"), ("202", "accepted")),
            })));
    paths.insert("/storefronts/{sf}/orders/{id}".into(), p(&[&sf, &id], json!({
                "get": op("An order: state, attempts, last error, backend order number, job status, tracking, history", None, ("200", "the order")),
            })));
    paths.insert(
        "/storefronts/{sf}/orders/{id}/retry".into(),
        p(
            &[&sf, &id],
            json!({
                "post": op("Retry a failed (parked) order", None, ("200", "the order")),
            }),
        ),
    );
    paths.insert("/storefronts/{sf}/orders/{id}/refresh-status".into(), p(&[&sf, &id], json!({
                "post": op("Ask the plugin for a delivered order's status (polling fallback)", None, ("200", "the order")),
            })));
    let mut schemas = serde_json::Map::new();
    schemas.insert("VersionSwitch".into(), json!({ "type": "object", "required": ["version"], "properties": {
                    "version": { "type": ["string", "null"], "description": "a loaded version; null: follow the newest" },
                    "storefronts": { "type": "array", "items": { "type": "string" }, "description": "PUT /plugins/{plugin}/version only; default: every storefront using the plugin" } } }));
    schemas.insert("Error".into(), json!({ "type": "object", "properties": { "error": { "type": "object", "properties": {
                    "kind": { "type": "string" }, "message": { "type": "string" },
                    "fields": { "type": "array", "items": { "type": "object", "properties": { "key": { "type": "string" }, "message": { "type": "string" } } } } } } } }));
    schemas.insert("NewStorefront".into(), json!({ "type": "object", "required": ["id"], "properties": { "id": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$" }, "name": { "type": "string" } } }));
    schemas.insert("ConnectSettings".into(), json!({ "type": "object", "properties": {
                    "enabled_plugins": { "type": "array", "items": { "type": "string" } },
                    "price_plugin": { "type": ["string", "null"] }, "stock_plugin": { "type": ["string", "null"] },
                    "order_plugin": { "type": ["string", "null"] }, "refresh_minutes": { "type": "integer", "default": 1440 },
                    "allow_private_networks": { "type": "boolean", "default": false,
                        "description": "Plugins may reach loopback and private-network addresses (an on-premises back office)" } } }));
    schemas.insert(
        "Settings".into(),
        json!({ "type": "object", "additionalProperties": { "type": ["string", "null"] } }),
    );
    schemas.insert("Department".into(), json!({ "type": "object", "properties": { "name": { "type": "string" }, "customer_code": { "type": ["string", "null"] },
                    "plugin_codes": { "type": "object", "additionalProperties": { "type": "string" }, "description": "customer codes for particular plugins (plugin id -> code), used instead of customer_code by that plugin" } } }));
    schemas.insert("Customer".into(), json!({ "type": "object", "properties": { "email": { "type": ["string", "null"] }, "name": { "type": ["string", "null"] }, "department": { "type": ["string", "null"] } } }));
    schemas.insert("Mapping".into(), json!({ "type": "object", "required": ["product_ref"], "properties": {
                    "product_ref": { "type": "string" }, "overrides": { "type": "object", "additionalProperties": { "type": "string" } },
                    "advanced_json": { "type": ["object", "null"], "description": "RFC 7386 merge patch over the plugin's request" },
                    "min_order_qty": { "type": ["integer", "null"], "minimum": 1 },
                    "plugins": { "type": "object", "description": "blocks for particular plugins (plugin id -> {product_ref, overrides?, advanced_json?}), used instead of the default block by that plugin",
                        "additionalProperties": { "type": "object", "required": ["product_ref"], "properties": {
                            "product_ref": { "type": "string" }, "overrides": { "type": "object", "additionalProperties": { "type": "string" } },
                            "advanced_json": { "type": ["object", "null"] } } } } } }));
    schemas.insert("KeyRequest".into(), json!({ "type": "object", "properties": { "label": { "type": "string", "maxLength": 100 } } }));
    schemas.insert("Money".into(), json!({ "type": "object", "properties": { "minor_units": { "type": "integer" }, "currency": { "type": "string" } } }));
    schemas.insert("PriceRequest".into(), json!({ "type": "object", "required": ["product", "quantity"], "properties": {
                    "product": { "type": "string" }, "quantity": { "type": "integer", "minimum": 1 },
                    "customer": { "type": ["string", "null"] }, "attributes": { "type": "object", "additionalProperties": { "type": "string" } } } }));
    schemas.insert("StockRequest".into(), json!({ "type": "object", "required": ["product"], "properties": {
                    "product": { "type": "string" }, "minimum_order": { "type": ["integer", "null"] },
                    "customer": { "type": ["string", "null"] } } }));
    schemas.insert("Order".into(), json!({ "type": "object", "required": ["id", "lines"], "properties": {
                    "id": { "type": "string" }, "customer": { "type": ["string", "null"] },
                    "order_date": { "type": ["string", "null"], "format": "date" }, "required_date": { "type": ["string", "null"], "format": "date" },
                    "reference": { "type": ["string", "null"] },
                    "lines": { "type": "array", "items": { "type": "object", "required": ["product", "quantity"], "properties": {
                        "line_ref": { "type": "string" }, "product": { "type": "string" }, "quantity": { "type": "integer", "minimum": 1 },
                        "quote_ref": { "type": ["string", "null"] }, "price": { "$ref": "#/components/schemas/Money" },
                        "price_source": { "enum": ["quote", "price-list", "none"] }, "description": { "type": ["string", "null"] },
                        "attributes": { "type": "object", "additionalProperties": { "type": "string" } } } } } } }));
    Json(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "connect-host storefront API",
            "version": "1",
            "description": "Storefronts configure connect plugins and call them for price, stock and orders. \
                Send `Authorization: Bearer <token>` on every route but this document: the admin token, \
                or a storefront API key (`csk_...`, made under /storefronts/{sf}/keys), which may only call \
                price, stock, submit orders and read orders (POST price, POST stock, GET and POST orders, \
                GET orders/{id}) of its own storefront; elsewhere it gets 403. \
                Errors answer `{\"error\": {\"kind\", \"message\", \"fields\"?}}`; 422 lists each invalid field."
        },
        "servers": [{ "url": "/api/v1" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "x-webhooks-route": "POST /webhooks/{storefront}/{plugin} signed with X-Connect-Timestamp and X-Connect-Signature: v1=<hex HMAC-SHA256(secret, \"<timestamp>.<body>\")>, or POST /webhooks/{storefront}/{plugin}/{secret} (outside /api/v1, no token: the host checks the webhook secret, then the plugin reads it)",
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Unauthorized": { "description": "missing, wrong or revoked token or key", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "Forbidden": { "description": "a storefront API key on a route it may not call", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                "Error": { "description": "an error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
            },
            "schemas": schemas,
        }
    }))
}
