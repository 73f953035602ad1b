//! What the API answers and webhooks carry, built from the records.
//! Serialised straight to bytes (never through `serde_json::Value`), so
//! money stays an exact decimal.

use crate::model::{Acceptance, Consignment, Job, JobDelivery, JobStatus, Quote, QuoteDelivery};
use serde::Serialize;
use sim_kit::money::Money;

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct QuantityView {
    pub quantity: i64,
    pub quantity_to_display: String,
    pub price: Money,
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct QuoteProductView {
    #[serde(rename = "QQDKey")]
    pub qqd_key: i64,
    pub product_code: Option<String>,
    #[serde(rename = "TreeNodeID")]
    pub tree_node_id: Option<i64>,
    pub description: String,
    pub kinds: i64,
    pub quantities: Vec<QuantityView>,
}

/// `QuoteDetails`: GetPrice, CreateQuoteWithDelivery, GetQuoteDetails and
/// the `CreateQuote` webhook.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct QuoteDetailsView {
    pub quote_no: String,
    #[serde(rename = "QQDKey")]
    pub qqd_key: i64,
    pub status: String,
    pub customer_code: String,
    pub customer_reference: Option<String>,
    pub job_title: Option<String>,
    pub cur_code: String,
    pub freight_price: Money,
    pub total_price: Money,
    pub quote_accepted: bool,
    pub job_nos: Vec<String>,
    pub products: Vec<QuoteProductView>,
    pub deliveries: Vec<QuoteDelivery>,
    pub date_created: String,
}

impl From<&Quote> for QuoteDetailsView {
    fn from(q: &Quote) -> Self {
        QuoteDetailsView {
            quote_no: q.quote_no.clone(),
            qqd_key: q.qqd_key,
            status: q.status.clone(),
            customer_code: q.customer_code.clone(),
            customer_reference: q.customer_reference.clone(),
            job_title: q.job_title.clone(),
            cur_code: q.cur_code.clone(),
            freight_price: q.freight_price,
            total_price: q.total_price,
            quote_accepted: q.quote_accepted,
            job_nos: q.job_nos.clone(),
            products: vec![QuoteProductView {
                qqd_key: q.qqd_key,
                product_code: q.product.product_code.clone(),
                tree_node_id: q.product.tree_node_id,
                description: q.product.description.clone(),
                kinds: q.product.kinds,
                quantities: vec![QuantityView {
                    quantity: q.product.quantity,
                    quantity_to_display: q.product.quantity.to_string(),
                    price: q.product.price,
                }],
            }],
            deliveries: q.deliveries.clone(),
            date_created: q.created_at.clone(),
        }
    }
}

/// The `CreateQuote` webhook body.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct CreateQuoteEvent {
    #[serde(flatten)]
    pub quote: QuoteDetailsView,
    /// Since v48: set when a quote is re-versioned; never here.
    #[serde(rename = "EditingQQAdKey")]
    pub editing_qqad_key: Option<i64>,
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptedProductView {
    pub job_no: String,
    #[serde(rename = "QQADAKey")]
    pub qqada_key: i64,
}

/// `AcceptanceDetails` of the AcceptQuote answer.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptQuoteView {
    pub acceptance_key: i64,
    pub quote_no: String,
    pub products: Vec<AcceptedProductView>,
}

impl AcceptQuoteView {
    pub fn new(a: &Acceptance, jobs: &[Job]) -> Self {
        AcceptQuoteView {
            acceptance_key: a.acceptance_key,
            quote_no: a.quote_no.clone(),
            products: jobs
                .iter()
                .map(|j| AcceptedProductView {
                    job_no: j.job_no.clone(),
                    qqada_key: j.qqada_key,
                })
                .collect(),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptanceProductView {
    pub job_no: String,
    #[serde(rename = "QQADAKey")]
    pub qqada_key: i64,
    pub product_code: Option<String>,
    pub description: String,
    pub quantity: i64,
    pub price: Money,
    pub job_status: JobStatus,
    pub acceptance_product_delivery_details: Vec<JobDelivery>,
}

/// `AcceptanceDetails` of GetAcceptanceDetails.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct AcceptanceDetailsView {
    pub acceptance_key: i64,
    pub quote_no: String,
    pub customer_code: String,
    pub customer_reference: Option<String>,
    pub job_title: Option<String>,
    pub cur_code: String,
    pub total_price: Money,
    pub accepted_at: String,
    pub products: Vec<AcceptanceProductView>,
}

impl AcceptanceDetailsView {
    pub fn new(a: &Acceptance, jobs: &[&Job]) -> Self {
        AcceptanceDetailsView {
            acceptance_key: a.acceptance_key,
            quote_no: a.quote_no.clone(),
            customer_code: a.customer_code.clone(),
            customer_reference: a.customer_reference.clone(),
            job_title: a.job_title.clone(),
            cur_code: a.cur_code.clone(),
            total_price: a.total_price,
            accepted_at: a.accepted_at.clone(),
            products: jobs
                .iter()
                .map(|j| AcceptanceProductView {
                    job_no: j.job_no.clone(),
                    qqada_key: j.qqada_key,
                    product_code: j.product_code.clone(),
                    description: j.description.clone(),
                    quantity: j.quantity,
                    price: j.price,
                    job_status: j.job_status,
                    acceptance_product_delivery_details: j.deliveries.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct JobEventProduct {
    pub job_no: String,
    pub product_code: Option<String>,
    pub quantity: i64,
    pub job_status: JobStatus,
}

/// `CreateJob` / `CompleteJob` webhook body.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct JobEvent {
    pub acceptance_key: i64,
    pub quote_no: String,
    pub customer_code: String,
    pub customer_reference: Option<String>,
    pub cur_code: String,
    pub total_price: Money,
    pub products: Vec<JobEventProduct>,
}

impl JobEvent {
    pub fn new(a: &Acceptance, jobs: &[&Job]) -> Self {
        JobEvent {
            acceptance_key: a.acceptance_key,
            quote_no: a.quote_no.clone(),
            customer_code: a.customer_code.clone(),
            customer_reference: a.customer_reference.clone(),
            cur_code: a.cur_code.clone(),
            total_price: a.total_price,
            products: jobs
                .iter()
                .map(|j| JobEventProduct {
                    job_no: j.job_no.clone(),
                    product_code: j.product_code.clone(),
                    quantity: j.quantity,
                    job_status: j.job_status,
                })
                .collect(),
        }
    }
}

/// `CreateConsignment` webhook body.
#[derive(Serialize, Clone, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct ConsignmentEvent {
    pub consignment_no: String,
    pub carrier: Option<String>,
    pub consignment_tracking_code: Option<String>,
    #[serde(rename = "ConsignmentTrackingURL")]
    pub consignment_tracking_url: Option<String>,
    pub dispatch_date: String,
    pub deliveries: Vec<crate::model::ConsignmentDelivery>,
}

impl From<&Consignment> for ConsignmentEvent {
    fn from(c: &Consignment) -> Self {
        ConsignmentEvent {
            consignment_no: c.consignment_no.clone(),
            carrier: c.carrier.clone(),
            consignment_tracking_code: c.consignment_tracking_code.clone(),
            consignment_tracking_url: c.consignment_tracking_url.clone(),
            dispatch_date: c.dispatch_date.clone(),
            deliveries: c.deliveries.clone(),
        }
    }
}
