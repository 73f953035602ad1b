//! `sim-kit`: what the MIS simulators (`tharstern-sim`, `printiq-sim`) share
//! and what is not specific to one MIS: serving in the background with a
//! handle and graceful shutdown, the seeded fault dice and body spoilers,
//! the call log, webhook delivery with retries, ASP.NET-style lenient
//! parameter and body reading, money in minor units, UTC timestamps and a
//! reproducible PRNG.
//!
//! Each simulator keeps its own API, data, fault *fields* and error bodies;
//! the kit only decides, records, serves and delivers.

pub mod calls;
pub mod faults;
pub mod json;
pub mod money;
pub mod params;
pub mod rng;
pub mod server;
pub mod time;
pub mod webhooks;
