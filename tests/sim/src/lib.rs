//! `tharstern-sim`: a simulator of the Tharstern print MIS REST API, with
//! fault injection, for tests and demos.
//!
//! ```no_run
//! # async fn demo() -> Result<(), tharstern_sim::SimError> {
//! let sim = tharstern_sim::Simulator::builder()
//!     .demo_data()
//!     .token_lifetime(std::time::Duration::from_secs(60))
//!     .start()
//!     .await?;
//! println!("API at {}", sim.base_url());
//! assert!(sim.state().orders().is_empty());
//! # Ok(()) }
//! ```
//!
//! The API is specified in `docs/tharstern-api.md`; the simulator's own
//! decisions, the demo data and the price model are in its README.

mod admin;
mod api;
mod calls;
pub mod config;
pub mod data;
mod envelope;
mod estrequest;
pub mod faults;
mod json;
pub mod model;
pub mod money;
pub mod pricing;
mod rng;
mod server;
mod sim;
mod state;
mod store;
mod time;
mod tokens;
pub mod webhooks;

pub use config::{ProductShape, SimConfig};
pub use data::{DEMO_API_EMAIL, DEMO_API_PASSWORD, WEBSHOP};
pub use faults::{FaultConfig, FaultSpec};
pub use money::Money;
pub use sim::{SimError, SimHandle, Simulator, SimulatorBuilder};
pub use state::SimState;
pub use store::JobError;
pub use tokens::ZERO_TOKEN;

/// The message of an estimate request for an unpriced work type.
pub const CALL_FOR_PRICE: &str = api::CALL_FOR_PRICE;
