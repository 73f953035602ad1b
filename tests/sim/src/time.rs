//! UTC timestamps without a date crate, shared with the other simulators.

pub use sim_kit::time::{date_in_days, now_rfc3339};
