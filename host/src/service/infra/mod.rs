//! What the service runs on besides its store and cache: encryption of
//! secret settings, in-memory copies of hot rows, metrics, time, and this
//! node's place among others (cluster).

pub mod cluster;
pub mod memo;
pub mod metrics;
pub mod secrets;
pub mod time;
