//! The seeded PRNG (SplitMix64), shared with the other simulators.

pub use sim_kit::rng::SplitMix64;
