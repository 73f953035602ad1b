//! Start-up settings of a simulator.

use crate::data::{DEMO_API_EMAIL, DEMO_API_PASSWORD, DataOptions};
use crate::faults::FaultConfig;
use std::net::SocketAddr;
use std::time::Duration;

pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(20 * 60);
pub const DEFAULT_WEBHOOK_BACKOFF: Duration = Duration::from_secs(1);
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest page answered unless configured otherwise (`pageSize` above it
/// is silently capped).
pub const DEFAULT_MAX_PAGE_SIZE: usize = 1000;

/// How products and stock relate; installations differ, and the public
/// documentation does not say which is usual.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductShape {
    /// A stock product names its stock item (`StockItemID`); levels come
    /// from `GET stockitems`, and orders name the stock item.
    #[default]
    StockItemLinked,
    /// Products are the stock items: a stock product's row carries
    /// `FreeStock` and no `StockItemID`, orders name the product's `ID` as
    /// `StockItemID`, and `GET stockitems` does not exist (404).
    ProductsAreStockItems,
}

/// Everything a simulator is started with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Seed of every random decision (faults, tokens, generated data).
    pub seed: u64,
    pub data: DataOptions,
    /// Lifetime of API tokens (a fault may override it at run time).
    pub token_lifetime: Duration,
    /// Accepted (email, password) pairs; emails match case-insensitively.
    pub api_users: Vec<(String, String)>,
    /// Work types that are not priced ("Please call for price").
    pub unpriced_work_types: Vec<String>,
    /// Faults in force from the start (`reset` clears them).
    pub faults: FaultConfig,
    /// Advance every open job one status step this often.
    pub auto_advance: Option<Duration>,
    /// Wait before the first webhook retry; doubled for each further one.
    pub webhook_backoff: Duration,
    /// Time allowed for one webhook delivery attempt.
    pub webhook_timeout: Duration,
    /// Honest duplicate counting: a repeated `UniqueSubmitOrderID` makes a
    /// new order (as a back office that ignores it would) instead of
    /// answering the existing one, so a test can count every duplicate
    /// submission the connector sends.
    pub record_duplicate_orders: bool,
    /// Most items answered in one page of a list, whatever `pageSize` asks
    /// (many real servers cap it below what clients ask).
    pub max_page_size: usize,
    pub product_shape: ProductShape,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 1,
            data: DataOptions {
                seed: 1,
                ..DataOptions::default()
            },
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            api_users: vec![(DEMO_API_EMAIL.into(), DEMO_API_PASSWORD.into())],
            unpriced_work_types: vec!["Bespoke".into(), "Stock".into()],
            faults: FaultConfig::default(),
            auto_advance: None,
            webhook_backoff: DEFAULT_WEBHOOK_BACKOFF,
            webhook_timeout: DEFAULT_WEBHOOK_TIMEOUT,
            record_duplicate_orders: false,
            max_page_size: DEFAULT_MAX_PAGE_SIZE,
            product_shape: ProductShape::default(),
        }
    }
}
