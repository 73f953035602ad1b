//! The back office a service test runs against: the Tharstern or the printIQ
//! simulator, each behind its own plugin, and what the exactly-once figures
//! count there ([`Tally`]). Both simulators record every order they are
//! given: Tharstern in duplicate-recording mode (a repeated
//! `UniqueSubmitOrderID` makes a new order), printIQ as printIQ does (every
//! `AcceptQuote` makes a new acceptance and job), so a duplicate submission
//! is counted, never answered with the first order.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::process::{ServiceProcess, StoredOrder, stored_orders};
use super::{Api, MAPPINGS, MappingRow, SF};

/// The printIQ mappings of [`Backend::configure_storefront`]: two products
/// priced and ordered by product code, and an inventory item for stock.
pub const PRINTIQ_MAPPINGS: [MappingRow; 3] = [
    ("business-cards", "code:BC-STD", None),
    ("flyers", "code:FLY-A5", None),
    ("pens", "code:PEN-BLUE", None),
];

pub enum Backend {
    Tharstern(tharstern_sim::SimHandle),
    PrintIq(printiq_sim::SimHandle),
}

impl Backend {
    /// The Tharstern simulator (demo data, duplicate-recording mode).
    pub async fn tharstern() -> Self {
        Backend::Tharstern(super::start_sim().await)
    }

    /// The printIQ simulator (demo data; it never de-duplicates).
    pub async fn printiq() -> Self {
        let sim = printiq_sim::Simulator::builder()
            .demo_data()
            .webhook_backoff(Duration::from_millis(50))
            .start()
            .await
            .expect("the printIQ simulator starts");
        Backend::PrintIq(sim)
    }

    /// The back office's name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Tharstern(_) => "Tharstern",
            Backend::PrintIq(_) => "printIQ",
        }
    }

    /// The plugin id the storefront uses.
    pub fn plugin(&self) -> &'static str {
        match self {
            Backend::Tharstern(_) => "tharstern",
            Backend::PrintIq(_) => "printiq",
        }
    }

    /// Puts the plugin into the service's plugins directory before its first
    /// start (the Tharstern one is seeded there by the service itself).
    pub fn install(&self, service: &ServiceProcess) {
        if let Backend::PrintIq(_) = self {
            let plugins = service.dir.path().join("data/plugins");
            std::fs::create_dir_all(&plugins).expect("creating the plugins directory");
            std::fs::copy(
                Path::new(connect_artifacts::PRINTIQ),
                plugins.join("printiq.wasm"),
            )
            .expect("copying the printIQ plugin");
        }
    }

    /// The plugin's settings for this simulator.
    pub fn settings(&self) -> Value {
        match self {
            Backend::Tharstern(sim) => super::tharstern_settings(sim),
            Backend::PrintIq(sim) => json!({
                "api_url": sim.base_url(),
                "user_name": printiq_sim::DEMO_USER_NAME,
                "password": printiq_sim::DEMO_PASSWORD,
                "application_name": printiq_sim::DEMO_APPLICATION_NAME,
                "application_key": printiq_sim::DEMO_APPLICATION_KEY,
                "customer_code": printiq_sim::WEBSHOP,
                "api_name": printiq_sim::DEMO_API_NAME,
                "api_key": printiq_sim::DEMO_API_KEY,
            }),
        }
    }

    /// Storefront [`SF`] on this back office's plugin for price, stock and
    /// orders: its settings, department `acme-marketing` with customer
    /// `alice` (customer code ACME-MKT, known to both simulators) and `bob`,
    /// and the product mappings ([`MAPPINGS`] and `folders` on Tharstern,
    /// [`PRINTIQ_MAPPINGS`] on printIQ).
    pub async fn configure_storefront(&self, api: &Api) {
        super::create_storefront_on(api, SF, self.plugin()).await;
        api.ok(
            "PUT",
            &format!(
                "/api/v1/storefronts/{SF}/plugins/{}/settings",
                self.plugin()
            ),
            Some(self.settings()),
            200,
        )
        .await;
        super::add_people(api, SF).await;
        match self {
            Backend::Tharstern(_) => {
                super::add_mappings(api, SF, &MAPPINGS).await;
                super::add_mappings(api, SF, &[("folders", "STK-FOLDER", None)]).await;
            }
            Backend::PrintIq(_) => super::add_mappings(api, SF, &PRINTIQ_MAPPINGS).await,
        }
    }

    /// Two order lines (storefront product, quantity) that the back office
    /// accepts for either customer, each from its own product.
    pub fn order_lines(&self) -> [(&'static str, u32); 2] {
        match self {
            Backend::Tharstern(_) => [("pens", 1), ("folders", 1)],
            // Above the products' minimum quantities (50 and 100).
            Backend::PrintIq(_) => [("business-cards", 250), ("flyers", 500)],
        }
    }

    /// Back-office orders by storefront order id: Tharstern orders by
    /// `UniqueSubmitOrderID`, printIQ jobs by the order quote's
    /// `CustomerReference` (one job per line; the tests' orders have one).
    pub fn orders(&self) -> HashMap<String, Vec<String>> {
        let mut by_id: HashMap<String, Vec<String>> = HashMap::new();
        match self {
            Backend::Tharstern(sim) => {
                for o in sim.state().orders() {
                    by_id
                        .entry(o.unique_submit_order_id.clone().unwrap_or_default())
                        .or_default()
                        .push(o.id.to_string());
                }
            }
            Backend::PrintIq(sim) => {
                for j in sim.jobs() {
                    by_id
                        .entry(j.customer_reference.clone().unwrap_or_default())
                        .or_default()
                        .push(j.job_no.clone());
                }
            }
        }
        by_id
    }

    /// How many orders (Tharstern) or jobs (printIQ) the back office holds.
    pub fn order_count(&self) -> usize {
        match self {
            Backend::Tharstern(sim) => sim.state().orders().len(),
            Backend::PrintIq(sim) => sim.jobs().len(),
        }
    }

    /// Points the back office's webhooks at the service (a new secret URL).
    pub async fn subscribe_webhooks(&self, api: &Api) {
        match self {
            Backend::Tharstern(sim) => {
                super::subscribe_webhooks(sim, api).await;
            }
            Backend::PrintIq(sim) => {
                let url = super::webhook_url_for(api, self.plugin()).await;
                sim.set_webhook_url(&url);
            }
        }
    }

    /// Moves every open job one status on (each step may send a webhook);
    /// answers how many moved.
    pub fn advance_jobs(&self) -> usize {
        match self {
            Backend::Tharstern(sim) => sim.state().advance_all_jobs().len(),
            Backend::PrintIq(sim) => sim.advance_all_jobs().len(),
        }
    }

    /// (call id, whether a fault was injected) of every logged API call.
    pub fn calls(&self) -> Vec<(u64, bool)> {
        let calls = match self {
            Backend::Tharstern(sim) => sim.calls(),
            Backend::PrintIq(sim) => sim.calls(),
        };
        calls.iter().map(|c| (c.id, c.fault.is_some())).collect()
    }

    /// Webhook deliveries attempted, and those the service accepted.
    pub fn webhook_deliveries(&self) -> (usize, usize) {
        let all: Vec<bool> = match self {
            Backend::Tharstern(sim) => sim.state().deliveries().iter().map(|d| d.success).collect(),
            Backend::PrintIq(sim) => sim.deliveries().iter().map(|d| d.success).collect(),
        };
        (all.len(), all.iter().filter(|ok| **ok).count())
    }
}

/// The exactly-once figures: every order the service stored against every
/// order the back office (the simulator) holds.
#[derive(Debug)]
pub struct Tally {
    pub backend: &'static str,
    pub stored: usize,
    /// Not delivered in the service, or not in the back office.
    pub lost: Vec<String>,
    /// Back-office orders (jobs) beyond the first per storefront order id.
    pub duplicated: usize,
    /// The storefront orders with more than one, and their back-office ids.
    pub duplicates: Vec<(String, Vec<String>)>,
    /// Delivered, but recorded with another back-office order id.
    pub mismatched: Vec<String>,
    /// Back-office orders no stored order accounts for.
    pub unknown: Vec<String>,
}

impl Tally {
    pub fn of(backend: &Backend, db: &Path) -> Self {
        Self::of_stored(backend, stored_orders(db))
    }

    /// The figures of orders read from wherever the service stores them.
    pub fn of_stored(backend: &Backend, stored: Vec<StoredOrder>) -> Self {
        let in_backend = backend.orders();
        let mut lost = Vec::new();
        let mut mismatched = Vec::new();
        for o in &stored {
            match in_backend.get(&o.id).map(Vec::as_slice) {
                Some(ids @ [first, ..]) if o.state == "delivered" => {
                    if ids.len() == 1 && o.backend_order_id.as_deref() != Some(first.as_str()) {
                        mismatched.push(o.id.clone());
                    }
                }
                _ => lost.push(match &o.last_error {
                    Some(e) => format!("{} ({}: {e})", o.id, o.state),
                    None => format!("{} ({})", o.id, o.state),
                }),
            }
        }
        Self {
            duplicated: in_backend.values().map(|ids| ids.len() - 1).sum(),
            duplicates: in_backend
                .iter()
                .filter(|(_, ids)| ids.len() > 1)
                .map(|(id, ids)| (id.clone(), ids.clone()))
                .collect(),
            backend: backend.name(),
            unknown: in_backend
                .keys()
                .filter(|id| !stored.iter().any(|o| &o.id == *id))
                .cloned()
                .collect(),
            stored: stored.len(),
            lost,
            mismatched,
        }
    }

    /// Asserts 0 lost, 0 duplicated, nothing recorded wrongly, of `expected`
    /// orders.
    pub fn assert_exactly_once(&self, expected: usize) {
        assert_eq!(self.stored, expected, "orders stored in the service");
        assert!(self.lost.is_empty(), "lost: {:?}", self.lost);
        assert_eq!(
            self.duplicated, 0,
            "duplicated in {}: {:?}",
            self.backend, self.duplicates
        );
        assert!(
            self.mismatched.is_empty(),
            "recorded wrongly: {:?}",
            self.mismatched
        );
        assert!(
            self.unknown.is_empty(),
            "unknown in {}: {:?}",
            self.backend,
            self.unknown
        );
    }
}
