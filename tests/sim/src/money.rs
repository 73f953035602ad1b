//! Money in integer pence (the type is shared with the other simulators).
//!
//! Prices are computed in pence so that no float ever rounds a total; on the
//! wire they are JSON numbers with exactly two decimals (`123.50`).

pub use sim_kit::money::Money;
