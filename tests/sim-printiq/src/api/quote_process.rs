//! `/api/QuoteProcess/...`: login, catalogue, prices and quotes, jobs,
//! consignments. The login token is checked by the server layer before
//! any of these (but the login) runs.

use super::AppState;
use super::answer::{is_error_answer, json_body, json_response, ok, ok_with_warning};
use crate::quotes;
use crate::views::{AcceptQuoteView, AcceptanceDetailsView, QuoteDetailsView};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use sim_kit::json::{boolean, field, int, optional_text};
use sim_kit::params::Params;

/// `GetApplicationLogInToken`: query parameters on a POST without a body
/// (as the community client sends them), or a form-encoded body, or a GET.
/// Answers the token as a JSON string; bad credentials answer `""`.
pub async fn login(
    State(state): State<AppState>,
    method: Method,
    mut params: Params,
    body: Bytes,
) -> Response {
    if method == Method::POST
        && params.get("UserName").is_none()
        && let Ok(text) = std::str::from_utf8(&body)
    {
        params.extend(Params::from_query(text.trim()));
    }
    let config = state.config();
    let get = |name: &str| params.raw(name).unwrap_or_default().to_string();
    let (user, password) = (get("UserName"), get("Password"));
    let (app, key) = (get("ApplicationName"), get("ApplicationKey"));
    let user_ok = config
        .users
        .iter()
        .any(|(u, p)| u.eq_ignore_ascii_case(user.trim()) && *p == password);
    let app_ok = config
        .applications
        .iter()
        .any(|(n, k)| n.eq_ignore_ascii_case(app.trim()) && *k == key);
    let token = if user_ok && app_ok {
        state.tokens.issue()
    } else {
        tracing::info!(%user, %app, "login refused");
        String::new()
    };
    json_response(StatusCode::OK, &token)
}

/// Reads the body or answers the 400 page.
macro_rules! body_or_400 {
    ($body:expr) => {
        match json_body(&$body) {
            Ok(v) => v,
            Err(r) => return r.into_response(),
        }
    };
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct NodeView {
    #[serde(rename = "ID")]
    id: i64,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    children: Option<Vec<NodeView>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TreeNodesAnswer {
    tree_nodes: Vec<NodeView>,
}

/// `GetTreeNodes {TreeNodeID (0 = root), CustomerCode}`: the node's
/// children the customer may order from, each with its own children.
pub async fn tree_nodes(State(state): State<AppState>, body: Bytes) -> Response {
    const E: &str = "GetTreeNodes";
    let body = body_or_400!(body);
    let data = state.data();
    let Some(code) = optional_text(&body, "CustomerCode") else {
        return is_error_answer(E, "CustomerCode is required");
    };
    let customer = match quotes::customer(data, &code) {
        Ok(c) => c,
        Err(e) => return is_error_answer(E, &e),
    };
    let id = field(&body, "TreeNodeID").and_then(int).unwrap_or(0);
    if id != 0
        && let Err(e) = quotes::tree_node(data, customer, id)
    {
        return is_error_answer(E, &e);
    }
    let children_of = |parent: i64| {
        data.tree
            .iter()
            .filter(move |n| n.parent == parent && quotes::visible(data, customer, n))
    };
    let tree_nodes = children_of(id)
        .map(|n| NodeView {
            id: n.id,
            name: n.name.clone(),
            children: Some(
                children_of(n.id)
                    .map(|c| NodeView {
                        id: c.id,
                        name: c.name.clone(),
                        children: None,
                    })
                    .collect(),
            ),
        })
        .collect();
    ok(TreeNodesAnswer { tree_nodes })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct OptionView {
    name: String,
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FilterView {
    name: String,
    values: Vec<OptionView>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct FiltersAnswer {
    #[serde(rename = "TreeNodeID")]
    tree_node_id: i64,
    filters: Vec<FilterView>,
}

/// `GetFilters {TreeNodeID, CustomerCode, ...}`: every filter of a node
/// with every option (`GetInitialValues`/`GetSimplifiedSet` are accepted
/// and change nothing).
pub async fn filters(State(state): State<AppState>, body: Bytes) -> Response {
    const E: &str = "GetFilters";
    let body = body_or_400!(body);
    let data = state.data();
    let Some(id) = field(&body, "TreeNodeID").and_then(int) else {
        return is_error_answer(E, "TreeNodeID is required");
    };
    let Some(code) = optional_text(&body, "CustomerCode") else {
        return is_error_answer(E, "CustomerCode is required");
    };
    let node = match quotes::customer(data, &code).and_then(|c| quotes::tree_node(data, c, id)) {
        Ok(n) => n,
        Err(e) => return is_error_answer(E, &e),
    };
    ok(FiltersAnswer {
        tree_node_id: node.id,
        filters: node
            .filters
            .iter()
            .map(|f| FilterView {
                name: f.name.clone(),
                values: f
                    .values
                    .iter()
                    .map(|v| OptionView {
                        name: v.name.clone(),
                        value: v.value.clone(),
                    })
                    .collect(),
            })
            .collect(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QuoteAnswer {
    quote_accepted: bool,
    quote_details: QuoteDetailsView,
    #[serde(skip_serializing_if = "Option::is_none")]
    acceptance_details: Option<AcceptQuoteView>,
}

/// GetPrice and CreateQuoteWithDelivery: a new quote on every call.
async fn create_quote(state: &AppState, endpoint: &str, body: &Value) -> Response {
    let req = match quotes::read(body) {
        Ok(r) => r,
        Err(e) => return is_error_answer(endpoint, &e),
    };
    let mut priced = match quotes::price(state.data(), &req) {
        Ok(p) => p,
        Err(e) => return is_error_answer(endpoint, &e),
    };
    if endpoint == "CreateQuoteWithDelivery" && req.customer_reference.is_none() {
        let missing = "No CustomerReference given".to_string();
        priced.warning = Some(match priced.warning.take() {
            Some(w) => format!("{w}; {missing}"),
            None => missing,
        });
    }
    let mut events = Vec::new();
    let (quote, acceptance) = {
        let mut db = state.write();
        let quote = db.create_quote(
            endpoint,
            &req,
            priced,
            &state.config().currency,
            &mut events,
        );
        let acceptance = if req.accept {
            match db.accept(&quote.quote_no, [false; 3], &mut events) {
                Ok((a, jobs)) => Some(AcceptQuoteView::new(&a, &jobs)),
                Err(_) => None,
            }
        } else {
            None
        };
        let quote = db
            .quote_index(&quote.quote_no)
            .map(|i| db.quotes[i].clone())
            .unwrap_or(quote);
        (quote, acceptance)
    };
    state.publish(events);
    tracing::info!(quote = %quote.quote_no, endpoint, price = %quote.total_price, "quote created");
    let warning = quote.warning.clone();
    ok_with_warning(
        QuoteAnswer {
            quote_accepted: quote.quote_accepted,
            quote_details: QuoteDetailsView::from(&quote),
            acceptance_details: acceptance,
        },
        warning,
    )
}

pub async fn get_price(State(state): State<AppState>, body: Bytes) -> Response {
    let body = body_or_400!(body);
    create_quote(&state, "GetPrice", &body).await
}

/// As GetPrice, with `Deliveries` (freight added to `TotalPrice`; a
/// missing `CustomerReference` is a warning).
pub async fn create_quote_with_delivery(State(state): State<AppState>, body: Bytes) -> Response {
    let body = body_or_400!(body);
    create_quote(&state, "CreateQuoteWithDelivery", &body).await
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AcceptAnswer {
    acceptance_details: AcceptQuoteView,
}

/// `AcceptQuote {QuoteNo, CreateInvoice...}`: a NEW acceptance and job on
/// every call, also for a quote accepted before (printIQ does not
/// de-duplicate).
pub async fn accept_quote(State(state): State<AppState>, body: Bytes) -> Response {
    const E: &str = "AcceptQuote";
    let body = body_or_400!(body);
    let Some(quote_no) = optional_text(&body, "QuoteNo") else {
        return is_error_answer(E, "QuoteNo is required");
    };
    let flag = |name: &str| field(&body, name).and_then(boolean).unwrap_or(false);
    let flags = [
        flag("CreateInvoice"),
        flag("CreateInvoiceAsPaid"),
        flag("CreateInvoiceAsInternallyInvoiced"),
    ];
    let mut events = Vec::new();
    let accepted = state.write().accept(&quote_no, flags, &mut events);
    match accepted {
        Ok((acceptance, jobs)) => {
            state.publish(events);
            tracing::info!(quote = %quote_no, jobs = ?acceptance.job_nos, "quote accepted");
            ok(AcceptAnswer {
                acceptance_details: AcceptQuoteView::new(&acceptance, &jobs),
            })
        }
        Err(e) => is_error_answer(E, &e),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct QuoteDetailsAnswer {
    quote_details: QuoteDetailsView,
}

/// `GetQuoteDetails {QuoteNo}`: with `QuoteAccepted` and `JobNos`.
pub async fn quote_details(State(state): State<AppState>, body: Bytes) -> Response {
    const E: &str = "GetQuoteDetails";
    let body = body_or_400!(body);
    let Some(quote_no) = optional_text(&body, "QuoteNo") else {
        return is_error_answer(E, "QuoteNo is required");
    };
    let db = state.read();
    match db.quote_index(&quote_no) {
        Some(i) => ok(QuoteDetailsAnswer {
            quote_details: QuoteDetailsView::from(&db.quotes[i]),
        }),
        None => is_error_answer(E, &format!("Invalid Quote Number '{quote_no}'")),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AcceptanceAnswer {
    acceptance_details: AcceptanceDetailsView,
}

/// `GetAcceptanceDetails` by `JobNo`, `AcceptanceKey` or
/// `AcceptanceDetailKey` (= a job's `QQADAKey`).
pub async fn acceptance_details(State(state): State<AppState>, body: Bytes) -> Response {
    const E: &str = "GetAcceptanceDetails";
    let body = body_or_400!(body);
    let db = state.read();
    let key = if let Some(job_no) = optional_text(&body, "JobNo") {
        db.jobs
            .iter()
            .find(|j| j.job_no.eq_ignore_ascii_case(&job_no))
            .map(|j| j.acceptance_key)
            .ok_or(format!("Invalid Job Number '{job_no}'"))
    } else if let Some(key) = field(&body, "AcceptanceKey").and_then(int) {
        db.acceptance(key)
            .map(|a| a.acceptance_key)
            .ok_or(format!("Invalid AcceptanceKey {key}"))
    } else if let Some(key) = field(&body, "AcceptanceDetailKey").and_then(int) {
        db.jobs
            .iter()
            .find(|j| j.qqada_key == key)
            .map(|j| j.acceptance_key)
            .ok_or(format!("Invalid AcceptanceDetailKey {key}"))
    } else {
        Err("One of JobNo, AcceptanceKey or AcceptanceDetailKey is required".into())
    };
    let acceptance = key.and_then(|k| db.acceptance(k).ok_or(format!("Invalid AcceptanceKey {k}")));
    match acceptance {
        Ok(a) => ok(AcceptanceAnswer {
            acceptance_details: AcceptanceDetailsView::new(a, &db.jobs_of(a.acceptance_key)),
        }),
        Err(e) => is_error_answer(E, &e),
    }
}

#[derive(Serialize)]
struct Nothing {}

/// `AddExternalConsignment`: tracking pushed into printIQ; fires
/// `CreateConsignment`. The job's status does not change.
pub async fn add_external_consignment(State(state): State<AppState>, body: Bytes) -> Response {
    const E: &str = "AddExternalConsignment";
    let body = body_or_400!(body);
    let mut events = Vec::new();
    let added = state.write().add_external_consignment(&body, &mut events);
    match added {
        Ok(c) => {
            state.publish(events);
            tracing::info!(consignment = %c.consignment_no, "external consignment added");
            ok(Nothing {})
        }
        Err(e) => is_error_answer(E, &e),
    }
}
