//! `printiq-sim`: a simulator of the printIQ print MIS API (QuoteProcess
//! and webhook service), with webhooks, job progress and fault injection,
//! for tests and demos.
//!
//! ```no_run
//! # async fn demo() -> Result<(), printiq_sim::SimError> {
//! let sim = printiq_sim::Simulator::builder()
//!     .demo_data()
//!     .token_lifetime(std::time::Duration::from_secs(60))
//!     .start()
//!     .await?;
//! println!("instance URL {}", sim.base_url());
//! assert!(sim.jobs().is_empty());
//! # Ok(()) }
//! ```
//!
//! Built on `shared/docs/printiq.md`; the simulator's own decisions (the
//! parts marked inferred there) are listed in its README.

mod admin;
pub mod api;
pub mod config;
pub mod data;
pub mod faults;
pub mod model;
pub mod pricing;
pub mod quotes;
mod server;
mod sim;
mod state;
pub mod store;
mod tokens;
pub mod views;
pub mod webhooks;

pub use api::{INVALID_LOGIN_TOKEN, QUOTE_PROCESS_BASE, WEBHOOK_SERVICE_BASE};
pub use config::SimConfig;
pub use data::{
    ACME_MKT, DEMO_API_KEY, DEMO_API_NAME, DEMO_APPLICATION_KEY, DEMO_APPLICATION_NAME,
    DEMO_PASSWORD, DEMO_USER_NAME, INACTIVE_CUSTOMER, WEBSHOP,
};
pub use faults::{FaultConfig, FaultSpec};
pub use model::JobStatus;
pub use quotes::{INVALID_PRODUCT_CODE, PLEASE_CALL};
pub use server::INJECTED_ERROR;
pub use sim::{SimError, SimHandle, Simulator, SimulatorBuilder};
pub use sim_kit::calls::CallRecord;
pub use sim_kit::money::Money;
pub use state::{Counts, SimState};
pub use store::JobError;
pub use webhooks::Event;
