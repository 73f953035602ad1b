//! The background work of a node: delivering the order outbox, polling
//! order status, refreshing catalogues when due. Each is a loop that stops
//! at [`Service::shutdown`](super::Service::shutdown).

pub mod catalogue;
pub mod outbox;
pub mod status_poller;
