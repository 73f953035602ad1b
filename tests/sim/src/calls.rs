//! The log of calls received, so tests can assert what a client did
//! ("exactly one submit", "no second estimate request"); shared with the
//! other simulators.

pub use sim_kit::calls::{CallId, CallLog};
