//! What the host grants a plugin: outgoing HTTP to the tenant's allowed
//! origins, a tenant-private cache, and logging, each within bounds. Nothing here knows about
//! any particular backend.

pub mod bounds;
pub mod cache;
pub mod http;
pub mod log;
pub mod net;
pub mod output;
