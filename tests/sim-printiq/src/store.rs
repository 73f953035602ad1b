//! The mutable records and the rules that change them. Every operation
//! returns the webhook events it caused; the caller publishes them once the
//! lock is released. `Err(String)` is an `IsError` message.

use crate::data::DemoData;
use crate::model::{
    Acceptance, Consignment, ConsignmentDelivery, InventoryItem, Job, JobDelivery, JobStatus,
    Movement, Quote, StatusChange, TransactionType,
};
use crate::quotes::{Priced, QuoteRequest};
use crate::views::{ConsignmentEvent, CreateQuoteEvent, JobEvent, QuoteDetailsView};
use crate::webhooks::Event;
use serde::Serialize;
use serde_json::Value;
use sim_kit::json::{field, int, optional_text};
use sim_kit::money::Money;
use sim_kit::time::now_rfc3339;

/// An event to publish: (event, key, body).
pub type Pending = (Event, String, Vec<u8>);

fn pending<T: Serialize>(event: Event, key: &str, body: &T) -> Pending {
    (
        event,
        key.to_string(),
        serde_json::to_vec(body).unwrap_or_default(),
    )
}

/// Why an admin job change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("no job {0}")]
    NotFound(String),
    #[error("job {0} is {1}; it cannot change any more")]
    Final(String, JobStatus),
    #[error("job {0} is already {1}")]
    Backwards(String, JobStatus),
}

/// Everything that changes.
#[derive(Debug, Clone)]
pub struct Db {
    pub inventory: Vec<InventoryItem>,
    pub quotes: Vec<Quote>,
    pub acceptances: Vec<Acceptance>,
    pub jobs: Vec<Job>,
    pub consignments: Vec<Consignment>,
    pub movements: Vec<Movement>,
    next_quote: u64,
    next_qqd: i64,
    next_acceptance: i64,
    next_job: u64,
    next_qqada: i64,
    next_fd: i64,
    next_consignment: u64,
    next_it: i64,
}

impl Db {
    pub fn new(data: &DemoData) -> Self {
        Db {
            inventory: data.inventory.clone(),
            quotes: Vec::new(),
            acceptances: Vec::new(),
            jobs: Vec::new(),
            consignments: Vec::new(),
            movements: Vec::new(),
            next_quote: 5201,
            next_qqd: 90_001,
            next_acceptance: 70_001,
            next_job: 1,
            next_qqada: 80_001,
            next_fd: 60_001,
            next_consignment: 1,
            next_it: 40_001,
        }
    }

    /// Stores a quote (and accepts it at once when asked).
    pub fn create_quote(
        &mut self,
        created_by: &str,
        req: &QuoteRequest,
        priced: Priced,
        currency: &str,
        events: &mut Vec<Pending>,
    ) -> Quote {
        let number = self.next_quote;
        self.next_quote += 1;
        let qqd_key = self.next_qqd;
        self.next_qqd += 1;
        let total = priced.product.price + priced.freight;
        let quote = Quote {
            quote_no: format!("Q{number:06}v1"),
            qqd_key,
            created_by: created_by.to_string(),
            status: "Awaiting Acceptance".into(),
            customer_code: priced.customer_code.clone(),
            customer_reference: req.customer_reference.clone(),
            job_title: req.job_title.clone(),
            job_description: req.job_description.clone(),
            notes: req.notes.clone(),
            cur_code: currency.to_string(),
            product: priced.product,
            deliveries: priced.deliveries,
            freight_price: priced.freight,
            total_price: total,
            quote_accepted: false,
            job_nos: Vec::new(),
            acceptance_keys: Vec::new(),
            warning: priced.warning,
            created_at: now_rfc3339(),
            request: req.raw.clone(),
        };
        self.quotes.push(quote.clone());
        events.push(pending(
            Event::CreateQuote,
            &quote.quote_no,
            &CreateQuoteEvent {
                quote: QuoteDetailsView::from(&quote),
                editing_qqad_key: None,
            },
        ));
        quote
    }

    /// A quote by number: `Q005201v1` exactly, or `Q005201` for its latest
    /// version (case-insensitive).
    pub fn quote_index(&self, quote_no: &str) -> Option<usize> {
        let wanted = quote_no.trim();
        self.quotes
            .iter()
            .rposition(|q| q.quote_no.eq_ignore_ascii_case(wanted))
            .or_else(|| {
                self.quotes.iter().rposition(|q| {
                    q.quote_no
                        .split_once('v')
                        .is_some_and(|(base, _)| base.eq_ignore_ascii_case(wanted))
                })
            })
    }

    /// Accepts a quote: a new acceptance and a new job on every call, as
    /// printIQ does.
    pub fn accept(
        &mut self,
        quote_no: &str,
        flags: [bool; 3],
        events: &mut Vec<Pending>,
    ) -> Result<(Acceptance, Vec<Job>), String> {
        let qi = self
            .quote_index(quote_no)
            .ok_or_else(|| format!("Invalid Quote Number '{}'", quote_no.trim()))?;
        let acceptance_key = self.next_acceptance;
        self.next_acceptance += 1;
        let now = now_rfc3339();
        let quote = self.quotes[qi].clone();
        let job_no = format!("J{:06}", self.next_job);
        self.next_job += 1;
        let qqada_key = self.next_qqada;
        self.next_qqada += 1;
        let mut deliveries = Vec::new();
        let planned: Vec<(i64, String, Value)> = if quote.deliveries.is_empty() {
            vec![(quote.product.quantity, "Collection".into(), Value::Null)]
        } else {
            quote
                .deliveries
                .iter()
                .map(|d| {
                    (
                        d.quantity,
                        d.freight_method.clone(),
                        d.destination_address.clone(),
                    )
                })
                .collect()
        };
        for (quantity, freight_method, destination_address) in planned {
            deliveries.push(JobDelivery {
                fd_key: self.next_fd,
                quantity,
                freight_method,
                destination_address,
                consignment_no: None,
                delivery_tracking_code: None,
                delivery_tracking_url: None,
            });
            self.next_fd += 1;
        }
        let job = Job {
            job_no: job_no.clone(),
            acceptance_key,
            qqada_key,
            quote_no: quote.quote_no.clone(),
            customer_code: quote.customer_code.clone(),
            customer_reference: quote.customer_reference.clone(),
            job_title: quote.job_title.clone(),
            product_code: quote.product.product_code.clone(),
            description: quote.product.description.clone(),
            quantity: quote.product.quantity,
            price: quote.product.price,
            job_status: JobStatus::CreateJob,
            history: vec![StatusChange {
                job_status: JobStatus::CreateJob,
                at: now.clone(),
            }],
            deliveries,
            created_at: now.clone(),
            updated_at: now.clone(),
        };
        let acceptance = Acceptance {
            acceptance_key,
            quote_no: quote.quote_no.clone(),
            customer_code: quote.customer_code.clone(),
            customer_reference: quote.customer_reference.clone(),
            job_title: quote.job_title.clone(),
            cur_code: quote.cur_code.clone(),
            total_price: quote.total_price,
            create_invoice: flags[0],
            create_invoice_as_paid: flags[1],
            create_invoice_as_internally_invoiced: flags[2],
            job_nos: vec![job_no.clone()],
            accepted_at: now,
        };
        let q = &mut self.quotes[qi];
        q.quote_accepted = true;
        q.status = "Accepted".into();
        q.job_nos.push(job_no.clone());
        q.acceptance_keys.push(acceptance_key);
        self.acceptances.push(acceptance.clone());
        self.jobs.push(job.clone());
        events.push(pending(
            Event::CreateJob,
            &job_no,
            &JobEvent::new(&acceptance, &[&job]),
        ));
        Ok((acceptance, vec![job]))
    }

    pub fn acceptance(&self, key: i64) -> Option<&Acceptance> {
        self.acceptances.iter().find(|a| a.acceptance_key == key)
    }

    pub fn jobs_of(&self, acceptance_key: i64) -> Vec<&Job> {
        self.jobs
            .iter()
            .filter(|j| j.acceptance_key == acceptance_key)
            .collect()
    }

    /// Moves a job to `to` (default: the next step). Reaching `Dispatched`
    /// (or jumping past it) makes a consignment for every delivery without
    /// one; reaching `Complete` sends `CompleteJob`.
    pub fn advance_job(
        &mut self,
        job_no: &str,
        to: Option<JobStatus>,
        tracking_code: Option<String>,
        events: &mut Vec<Pending>,
    ) -> Result<Job, JobError> {
        let ji = self
            .jobs
            .iter()
            .position(|j| j.job_no.eq_ignore_ascii_case(job_no.trim()))
            .ok_or_else(|| JobError::NotFound(job_no.trim().to_string()))?;
        let current = self.jobs[ji].job_status;
        let name = self.jobs[ji].job_no.clone();
        if current.is_final() {
            return Err(JobError::Final(name, current));
        }
        let target = match to {
            Some(t) => t,
            None => current
                .next()
                .ok_or(JobError::Final(name.clone(), current))?,
        };
        if target != JobStatus::Cancelled && target <= current {
            return Err(JobError::Backwards(name, current));
        }
        let now = now_rfc3339();
        {
            let job = &mut self.jobs[ji];
            job.job_status = target;
            job.history.push(StatusChange {
                job_status: target,
                at: now.clone(),
            });
            job.updated_at = now;
        }
        if target != JobStatus::Cancelled && target >= JobStatus::Dispatched {
            self.dispatch(ji, tracking_code, events);
        }
        if target == JobStatus::Complete {
            let job = &self.jobs[ji];
            if let Some(a) = self.acceptance(job.acceptance_key) {
                events.push(pending(
                    Event::CompleteJob,
                    &job.job_no,
                    &JobEvent::new(a, &[job]),
                ));
            }
        }
        Ok(self.jobs[ji].clone())
    }

    /// A consignment for the job's deliveries that have none yet.
    fn dispatch(&mut self, ji: usize, tracking_code: Option<String>, events: &mut Vec<Pending>) {
        let open: Vec<usize> = (0..self.jobs[ji].deliveries.len())
            .filter(|&d| self.jobs[ji].deliveries[d].consignment_no.is_none())
            .collect();
        if open.is_empty() {
            return;
        }
        let number = self.next_consignment;
        self.next_consignment += 1;
        let consignment_no = format!("CN{number:06}");
        let code = tracking_code.unwrap_or_else(|| {
            // Deterministic from the job: TRK + 9 digits.
            let digits: u64 = self.jobs[ji]
                .job_no
                .bytes()
                .filter(u8::is_ascii_digit)
                .fold(0, |n, b| n * 10 + u64::from(b - b'0'));
            format!(
                "TRK{:09}",
                (digits * 7_919 + number * 104_729) % 1_000_000_000
            )
        });
        let url = format!("https://tracking.example.com/track/{code}");
        let job = &mut self.jobs[ji];
        let mut deliveries = Vec::new();
        for d in open {
            let delivery = &mut job.deliveries[d];
            delivery.consignment_no = Some(consignment_no.clone());
            delivery.delivery_tracking_code = Some(code.clone());
            delivery.delivery_tracking_url = Some(url.clone());
            deliveries.push(ConsignmentDelivery {
                fd_key: delivery.fd_key,
                job_no: job.job_no.clone(),
                quote_no: job.quote_no.clone(),
                customer_reference: job.customer_reference.clone(),
                delivery_tracking_code: Some(code.clone()),
                delivery_tracking_url: Some(url.clone()),
            });
        }
        let consignment = Consignment {
            consignment_no: consignment_no.clone(),
            external: false,
            carrier: Some("DPD".into()),
            consignment_price: None,
            consignment_tracking_code: Some(code),
            consignment_tracking_url: Some(url),
            dispatch_date: now_rfc3339(),
            deliveries,
        };
        events.push(pending(
            Event::CreateConsignment,
            &consignment_no,
            &ConsignmentEvent::from(&consignment),
        ));
        self.consignments.push(consignment);
    }

    /// Advances every open job one step.
    pub fn advance_all(&mut self, events: &mut Vec<Pending>) -> Vec<Job> {
        let open: Vec<String> = self
            .jobs
            .iter()
            .filter(|j| !j.job_status.is_final())
            .map(|j| j.job_no.clone())
            .collect();
        open.iter()
            .filter_map(|no| self.advance_job(no, None, None, events).ok())
            .collect()
    }

    /// `AddExternalConsignment`.
    pub fn add_external_consignment(
        &mut self,
        body: &Value,
        events: &mut Vec<Pending>,
    ) -> Result<Consignment, String> {
        let c = field(body, "ExternalConsignment")
            .ok_or_else(|| "ExternalConsignment is required".to_string())?;
        let consignment_no = optional_text(c, "ConsignmentNo")
            .ok_or_else(|| "ConsignmentNo is required".to_string())?;
        let price = match field(c, "ConsignmentPrice") {
            None => None,
            Some(v) => Some(
                sim_kit::json::decimal_text(v)
                    .and_then(|t| Money::parse(&t))
                    .ok_or_else(|| "ConsignmentPrice must be a number".to_string())?,
            ),
        };
        let code = optional_text(c, "ConsignmentTrackingCode");
        let url = optional_text(c, "ConsignmentTrackingURL");
        let list = field(c, "ExternalConsignmentDeliveries")
            .and_then(Value::as_array)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| "ExternalConsignmentDeliveries is required".to_string())?;
        let mut targets = Vec::new();
        for d in list {
            let key = field(d, "DeliveryKey")
                .and_then(int)
                .ok_or_else(|| "DeliveryKey is required".to_string())?;
            let (ji, di) = self
                .jobs
                .iter()
                .enumerate()
                .find_map(|(ji, j)| {
                    j.deliveries
                        .iter()
                        .position(|x| x.fd_key == key)
                        .map(|di| (ji, di))
                })
                .ok_or_else(|| format!("Invalid DeliveryKey {key}"))?;
            let d_code = optional_text(d, "DeliveryTrackingCode").or_else(|| code.clone());
            let d_url = optional_text(d, "DeliveryTrackingURL").or_else(|| url.clone());
            targets.push((ji, di, d_code, d_url));
        }
        let mut deliveries = Vec::new();
        for (ji, di, d_code, d_url) in targets {
            let job = &mut self.jobs[ji];
            let d = &mut job.deliveries[di];
            d.consignment_no = Some(consignment_no.clone());
            d.delivery_tracking_code = d_code.clone();
            d.delivery_tracking_url = d_url.clone();
            deliveries.push(ConsignmentDelivery {
                fd_key: d.fd_key,
                job_no: job.job_no.clone(),
                quote_no: job.quote_no.clone(),
                customer_reference: job.customer_reference.clone(),
                delivery_tracking_code: d_code,
                delivery_tracking_url: d_url,
            });
        }
        let consignment = Consignment {
            consignment_no: consignment_no.clone(),
            external: true,
            carrier: None,
            consignment_price: price,
            consignment_tracking_code: code,
            consignment_tracking_url: url,
            dispatch_date: now_rfc3339(),
            deliveries,
        };
        self.consignments.push(consignment.clone());
        events.push(pending(
            Event::CreateConsignment,
            &consignment_no,
            &ConsignmentEvent::from(&consignment),
        ));
        Ok(consignment)
    }

    pub fn inventory_item(&self, code: &str) -> Option<&InventoryItem> {
        self.inventory
            .iter()
            .find(|i| i.ii_code.eq_ignore_ascii_case(code.trim()))
    }

    /// Posts inventory transactions, all or nothing: one movement each.
    pub fn post_transactions(&mut self, list: &[Value]) -> Result<Vec<Movement>, String> {
        if list.is_empty() {
            return Err("No transaction given".into());
        }
        let mut work = self.clone();
        let mut made = Vec::new();
        for (n, t) in list.iter().enumerate() {
            let m = work.post_one(t).map_err(|e| {
                if list.len() > 1 {
                    format!("Transaction {}: {e}", n + 1)
                } else {
                    e
                }
            })?;
            made.push(m);
        }
        *self = work;
        Ok(made)
    }

    fn post_one(&mut self, t: &Value) -> Result<Movement, String> {
        let kind_text = optional_text(t, "TransactionType")
            .ok_or_else(|| "TransactionType is required".to_string())?;
        let kind = TransactionType::parse(&kind_text).ok_or_else(|| {
            format!("Invalid TransactionType '{kind_text}'; one of Pick, Return, Adjustment")
        })?;
        let item_index = if let Some(code) = optional_text(t, "IICode") {
            self.inventory
                .iter()
                .position(|i| i.ii_code.eq_ignore_ascii_case(&code))
                .ok_or_else(|| format!("Invalid IICode '{code}'"))?
        } else if let Some(key) = field(t, "IIKey").and_then(int) {
            self.inventory
                .iter()
                .position(|i| i.ii_key == key)
                .ok_or_else(|| format!("Invalid IIKey {key}"))?
        } else {
            return Err("IICode or IIKey is required".into());
        };
        let units = field(t, "ITUnits")
            .and_then(int)
            .ok_or_else(|| "ITUnits is required".to_string())?;
        let item = &self.inventory[item_index];
        let loc_index = if let Some(name) = optional_text(t, "ILName") {
            item.locations
                .iter()
                .position(|l| l.il_name.eq_ignore_ascii_case(&name))
                .ok_or_else(|| format!("Invalid ILName '{name}' for {}", item.ii_code))?
        } else if let Some(key) = field(t, "ILKey").and_then(int) {
            item.locations
                .iter()
                .position(|l| l.il_key == key)
                .ok_or_else(|| format!("Invalid ILKey {key} for {}", item.ii_code))?
        } else {
            return Err("ILName or ILKey is required".into());
        };
        let job_no = optional_text(t, "JobNo");
        let sales_order_no = optional_text(t, "SalesOrderNo");
        let section = optional_text(t, "Section");
        let override_key = field(t, "ITOverrideKey").and_then(int);
        if kind != TransactionType::Adjustment {
            if units <= 0 {
                return Err(format!("ITUnits must be positive for a {kind_text}"));
            }
            if job_no.is_none() && sales_order_no.is_none() {
                return Err("A JobNo or SalesOrderNo is required".into());
            }
            if let Some(no) = &job_no
                && !self.jobs.iter().any(|j| j.job_no.eq_ignore_ascii_case(no))
            {
                return Err(format!("Invalid JobNo '{no}'"));
            }
        } else if units == 0 {
            return Err("ITUnits must not be 0".into());
        }
        let ii_key = self.inventory[item_index].ii_key;
        let loc = &self.inventory[item_index].locations[loc_index];
        let delta = match kind {
            TransactionType::Pick => {
                if units > loc.available {
                    return Err(format!(
                        "Insufficient stock: {} available at {}",
                        loc.available, loc.il_name
                    ));
                }
                -units
            }
            TransactionType::Return => {
                let key = override_key
                    .ok_or_else(|| "ITOverrideKey (the pick's ITKey) is required".to_string())?;
                let pick = self
                    .movements
                    .iter()
                    .find(|m| m.it_key == key && m.transaction_type == TransactionType::Pick)
                    .ok_or_else(|| format!("Invalid ITOverrideKey {key}: no such pick"))?;
                if pick.ii_key != ii_key {
                    return Err(format!("ITOverrideKey {key} picked another item"));
                }
                let returned: i64 = self
                    .movements
                    .iter()
                    .filter(|m| {
                        m.transaction_type == TransactionType::Return
                            && m.it_override_key == Some(key)
                    })
                    .map(|m| m.it_units)
                    .sum();
                if returned + units > pick.it_units {
                    return Err(format!(
                        "Cannot return {units}: {} of {} picked already returned",
                        returned, pick.it_units
                    ));
                }
                units
            }
            TransactionType::Adjustment => {
                if loc.on_hand + units < 0 {
                    return Err(format!(
                        "Adjustment would leave {} on hand at {}",
                        loc.on_hand + units,
                        loc.il_name
                    ));
                }
                units
            }
        };
        let item = &mut self.inventory[item_index];
        let loc = &mut item.locations[loc_index];
        loc.on_hand += delta;
        loc.available = loc.on_hand - loc.allocated;
        let movement = Movement {
            it_key: self.next_it,
            transaction_type: kind,
            ii_key: item.ii_key,
            ii_code: item.ii_code.clone(),
            il_key: loc.il_key,
            il_name: loc.il_name.clone(),
            it_units: units,
            job_no,
            sales_order_no,
            section,
            it_override_key: override_key,
            on_hand: loc.on_hand,
            available: loc.available,
            created_at: now_rfc3339(),
        };
        self.next_it += 1;
        self.movements.push(movement.clone());
        Ok(movement)
    }
}
