//! The mutable records and the rules that change them. Plain synchronous
//! code: the caller holds the lock for exactly one of these calls, which is
//! what makes order submission idempotent under concurrency.

use crate::model::{
    Customer, Estimate, Job, JobStatus, Order, OrderItem, PriceBreakdown, StockItem,
};
use crate::money::Money;
use crate::time::now_rfc3339;
use std::collections::HashMap;

/// Everything the API can change.
#[derive(Debug, Clone, Default)]
pub struct Db {
    pub customers: Vec<Customer>,
    customer_by_code: HashMap<String, usize>,
    pub stock_items: Vec<StockItem>,
    pub estimates: Vec<Estimate>,
    pub orders: Vec<Order>,
    order_by_unique_id: HashMap<String, usize>,
    pub jobs: Vec<Job>,
    /// A repeated `UniqueSubmitOrderID` makes a new order (honest duplicate
    /// counting) instead of answering the existing one.
    pub record_duplicates: bool,
    /// Where products are the stock items: product ID -> its stock item.
    /// Orders then name the product's ID as `StockItemID`.
    stock_of_product: Option<HashMap<i64, i64>>,
}

/// An order as submitted, already read from JSON.
#[derive(Debug, Clone, Default)]
pub struct OrderRequest {
    pub unique_submit_order_id: Option<String>,
    pub customer_code: Option<String>,
    pub order_date: Option<String>,
    pub required_date: Option<String>,
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    pub items: Vec<OrderItemRequest>,
    /// Problems found while reading the JSON (they fail the order).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderItemRequest {
    pub stock_item_id: Option<i64>,
    pub estimate_id: Option<i64>,
    pub quantity: i64,
    pub price: Option<Money>,
    pub ref1: Option<String>,
    pub ref2: Option<String>,
    pub description: Option<String>,
}

/// The per-order answer of `orders/submit`.
#[derive(Debug, Clone)]
pub struct SubmitOutcome {
    /// 0 when the order failed.
    pub id: i64,
    pub order_no: Option<String>,
    pub unique_submit_order_id: Option<String>,
    pub status_details: String,
    /// The job this submission created, if it created one.
    pub new_job: Option<Job>,
}

/// Why a job could not be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("job {0} does not exist")]
    NotFound(String),
    #[error("job {0} is already despatched")]
    AlreadyDespatched(String),
}

fn tracking_number(job_id: i64) -> String {
    // Deterministic, courier-like, and obviously tied to the job.
    format!("TRK{:09}", (job_id * 7_919_017) % 1_000_000_000)
}

impl Db {
    pub fn new(customers: Vec<Customer>, stock_items: Vec<StockItem>) -> Self {
        let mut db = Db {
            stock_items,
            ..Db::default()
        };
        for c in customers {
            db.push_customer(c);
        }
        db
    }

    /// Orders name products (product ID -> its stock item), not stock items.
    pub fn with_products_as_stock_items(mut self, products: HashMap<i64, i64>) -> Self {
        self.stock_of_product = Some(products);
        self
    }

    /// The stock item an order line's `StockItemID` allocates.
    fn stock_index(&self, id: i64) -> Option<usize> {
        let id = match &self.stock_of_product {
            Some(products) => *products.get(&id)?,
            None => id,
        };
        self.stock_items.iter().position(|s| s.id == id)
    }

    fn push_customer(&mut self, customer: Customer) {
        self.customer_by_code
            .insert(customer.code.to_ascii_uppercase(), self.customers.len());
        self.customers.push(customer);
    }

    pub fn customer_by_code(&self, code: &str) -> Option<&Customer> {
        self.customer_by_code
            .get(&code.trim().to_ascii_uppercase())
            .map(|&i| &self.customers[i])
    }

    /// Creates a customer; without a code it gets `WEB` + 5-digit ID.
    pub fn create_customer(
        &mut self,
        code: Option<String>,
        name: String,
        email: String,
    ) -> Result<Customer, String> {
        let id = self.customers.len() as i64 + 1;
        let code = match code {
            Some(code) => {
                if self.customer_by_code(&code).is_some() {
                    return Err(format!("A customer with code '{code}' already exists."));
                }
                code
            }
            None => {
                let mut candidate = format!("WEB{id:05}");
                let mut n = 2;
                while self.customer_by_code(&candidate).is_some() {
                    candidate = format!("WEB{id:05}-{n}");
                    n += 1;
                }
                candidate
            }
        };
        let customer = Customer {
            id,
            code,
            name,
            email,
        };
        self.push_customer(customer.clone());
        Ok(customer)
    }

    pub fn insert_estimate(
        &mut self,
        title: String,
        quantity: i64,
        customer_code: String,
        product_type_id: i64,
        breakdown: PriceBreakdown,
        request: serde_json::Value,
    ) -> Estimate {
        let id = self.estimates.len() as i64 + 1;
        let estimate = Estimate {
            id,
            estimate_ref: format!("E{id:06}"),
            title,
            quantity,
            total_price: breakdown.total,
            customer_code,
            product_type_id,
            created_at: now_rfc3339(),
            breakdown,
            request,
        };
        self.estimates.push(estimate.clone());
        estimate
    }

    pub fn estimate(&self, id: i64) -> Option<&Estimate> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.estimates.get(i))
    }

    pub fn create_job(
        &mut self,
        order: Option<&Order>,
        estimate_id: Option<i64>,
        ref1: Option<String>,
        ref2: Option<String>,
    ) -> Job {
        let id = self.jobs.len() as i64 + 1;
        let job = Job {
            id,
            job_no: format!("J{id:06}"),
            order_id: order.map(|o| o.id),
            order_no: order.map(|o| o.order_no.clone()),
            unique_submit_order_id: order.and_then(|o| o.unique_submit_order_id.clone()),
            estimate_id,
            status: JobStatus::Received,
            tracking_number: None,
            updated_at: now_rfc3339(),
            ref1,
            ref2,
        };
        self.jobs.push(job.clone());
        job
    }

    fn failed(req: &OrderRequest, reason: String) -> SubmitOutcome {
        SubmitOutcome {
            id: 0,
            order_no: None,
            unique_submit_order_id: req.unique_submit_order_id.clone(),
            status_details: reason,
            new_job: None,
        }
    }

    /// Submits one order. A known `UniqueSubmitOrderID` answers the existing
    /// order and changes nothing (unless duplicates are recorded); failed
    /// orders are not remembered, so a corrected retry with the same ID can
    /// still succeed.
    pub fn submit_order(&mut self, req: &OrderRequest) -> SubmitOutcome {
        if !self.record_duplicates
            && let Some(unique) = &req.unique_submit_order_id
            && let Some(&i) = self.order_by_unique_id.get(unique)
        {
            let order = &self.orders[i];
            return SubmitOutcome {
                id: order.id,
                order_no: Some(order.order_no.clone()),
                unique_submit_order_id: Some(unique.clone()),
                status_details: "Order already submitted; the existing order is returned.".into(),
                new_job: None,
            };
        }
        if !req.problems.is_empty() {
            return Self::failed(req, req.problems.join(" "));
        }
        let Some(code) = &req.customer_code else {
            return Self::failed(req, "InvoiceCustomer.Code is required.".into());
        };
        let Some(customer) = self.customer_by_code(code) else {
            return Self::failed(req, format!("Customer '{code}' does not exist."));
        };
        let customer_code = customer.code.clone();
        if req.items.is_empty() {
            return Self::failed(req, "The order has no items.".into());
        }
        let mut needed: Vec<(usize, i64)> = Vec::new();
        let mut problems = Vec::new();
        for (n, item) in req.items.iter().enumerate() {
            let n = n + 1;
            if item.quantity < 1 {
                problems.push(format!("Item {n}: Quantity must be at least 1."));
            }
            if item.stock_item_id.is_none() && item.estimate_id.is_none() {
                problems.push(format!(
                    "Item {n} has neither a StockItemID nor an EstimateID."
                ));
            }
            if let Some(id) = item.estimate_id
                && self.estimate(id).is_none()
            {
                problems.push(format!("Item {n}: estimate {id} does not exist."));
            }
            if let Some(id) = item.stock_item_id {
                match self.stock_index(id) {
                    Some(i) => match needed.iter_mut().find(|(j, _)| *j == i) {
                        Some((_, q)) => *q += item.quantity.max(0),
                        None => needed.push((i, item.quantity.max(0))),
                    },
                    None if self.stock_of_product.is_some() => {
                        problems.push(format!("Item {n}: product {id} is not a stock item."))
                    }
                    None => problems.push(format!("Item {n}: stock item {id} does not exist.")),
                }
            }
        }
        for &(i, quantity) in &needed {
            let s = &self.stock_items[i];
            if s.free_stock < quantity {
                problems.push(format!(
                    "Insufficient free stock for stock item {} ({}): {} free, {quantity} ordered.",
                    s.id, s.code, s.free_stock
                ));
            }
        }
        if !problems.is_empty() {
            return Self::failed(req, problems.join(" "));
        }

        for &(i, quantity) in &needed {
            let s = &mut self.stock_items[i];
            s.free_stock -= quantity;
            s.allocated += quantity;
        }
        let id = self.orders.len() as i64 + 1;
        let items = req
            .items
            .iter()
            .map(|item| OrderItem {
                stock_item_id: item.stock_item_id,
                estimate_id: item.estimate_id,
                quantity: item.quantity,
                price: item.price.or_else(|| {
                    item.estimate_id
                        .and_then(|e| self.estimate(e))
                        .map(|e| e.total_price)
                }),
                ref1: item.ref1.clone(),
                ref2: item.ref2.clone(),
                description: item.description.clone(),
            })
            .collect();
        let mut order = Order {
            id,
            order_no: format!("SO{id:06}"),
            unique_submit_order_id: req.unique_submit_order_id.clone(),
            customer_code,
            order_date: req.order_date.clone(),
            required_date: req.required_date.clone(),
            ref1: req.ref1.clone(),
            ref2: req.ref2.clone(),
            status: JobStatus::Received,
            items,
            job_nos: Vec::new(),
            created_at: now_rfc3339(),
            stock_released: false,
        };
        let estimate_id = req.items.iter().find_map(|i| i.estimate_id);
        let job = self.create_job(
            Some(&order),
            estimate_id,
            req.ref1.clone(),
            req.ref2.clone(),
        );
        order.job_nos.push(job.job_no.clone());
        if let Some(unique) = &req.unique_submit_order_id {
            self.order_by_unique_id
                .insert(unique.clone(), self.orders.len());
        }
        let outcome = SubmitOutcome {
            id,
            order_no: Some(order.order_no.clone()),
            unique_submit_order_id: req.unique_submit_order_id.clone(),
            status_details: "Order created.".into(),
            new_job: Some(job),
        };
        self.orders.push(order);
        outcome
    }

    /// Moves a job on: to `to` if given, else to its next status; sets the
    /// tracking number if given (one is made up on despatch). Returns the job
    /// and whether anything changed.
    pub fn advance_job(
        &mut self,
        job_no: &str,
        to: Option<JobStatus>,
        tracking: Option<String>,
    ) -> Result<(Job, bool), JobError> {
        let index = self
            .jobs
            .iter()
            .position(|j| j.job_no.eq_ignore_ascii_case(job_no.trim()))
            .ok_or_else(|| JobError::NotFound(job_no.to_string()))?;
        let job = &self.jobs[index];
        let target = match (to, job.status.next(), &tracking) {
            (Some(s), _, _) => s,
            (None, Some(next), _) => next,
            (None, None, Some(_)) => job.status,
            (None, None, None) => return Err(JobError::AlreadyDespatched(job.job_no.clone())),
        };
        let tracking = match tracking {
            Some(t) => Some(t),
            None if target == JobStatus::Despatched && job.tracking_number.is_none() => {
                Some(tracking_number(job.id))
            }
            None => job.tracking_number.clone(),
        };
        let changed = target != job.status || tracking != job.tracking_number;
        if changed {
            let job = &mut self.jobs[index];
            job.status = target;
            job.tracking_number = tracking;
            job.updated_at = now_rfc3339();
            if let Some(order_id) = job.order_id {
                self.sync_order(order_id, target);
            }
        }
        Ok((self.jobs[index].clone(), changed))
    }

    /// The order mirrors its job; allocated stock leaves on despatch.
    fn sync_order(&mut self, order_id: i64, status: JobStatus) {
        let Some(order) = usize::try_from(order_id - 1)
            .ok()
            .and_then(|i| self.orders.get_mut(i))
        else {
            return;
        };
        order.status = status;
        if status == JobStatus::Despatched && !order.stock_released {
            order.stock_released = true;
            let lines: Vec<(i64, i64)> = order
                .items
                .iter()
                .filter_map(|i| Some((i.stock_item_id?, i.quantity)))
                .collect();
            for (id, quantity) in lines {
                if let Some(i) = self.stock_index(id) {
                    let s = &mut self.stock_items[i];
                    s.allocated = (s.allocated - quantity).max(0);
                }
            }
        }
    }

    /// Advances every job not yet despatched by one step.
    pub fn advance_all(&mut self) -> Vec<Job> {
        let open: Vec<String> = self
            .jobs
            .iter()
            .filter(|j| j.status != JobStatus::Despatched)
            .map(|j| j.job_no.clone())
            .collect();
        open.iter()
            .filter_map(|no| self.advance_job(no, None, None).ok())
            .filter(|(_, changed)| *changed)
            .map(|(job, _)| job)
            .collect()
    }
}

#[cfg(test)]
mod tests;
