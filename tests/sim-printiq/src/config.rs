//! Start-up settings of a simulator.

use crate::data::{
    DEMO_API_KEY, DEMO_API_NAME, DEMO_APPLICATION_KEY, DEMO_APPLICATION_NAME, DEMO_PASSWORD,
    DEMO_USER_NAME,
};
use crate::faults::FaultConfig;
use std::net::SocketAddr;
use std::time::Duration;

/// 60 minutes, sliding (printiq.md section 8, inferred).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
pub const DEFAULT_WEBHOOK_BACKOFF: Duration = Duration::from_secs(1);
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// The first delivery plus 3 retries.
pub const WEBHOOK_ATTEMPTS: u32 = 4;

/// Everything a simulator is started with.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Seed of every fault decision.
    pub seed: u64,
    /// Sliding lifetime of login tokens (a fault may override it).
    pub token_lifetime: Duration,
    /// Accepted (UserName, Password); names match case-insensitively.
    pub users: Vec<(String, String)>,
    /// Accepted (ApplicationName, ApplicationKey).
    pub applications: Vec<(String, String)>,
    /// Accepted webhook-service headers (PrintIQ-API-Name, PrintIQ-API-Key).
    pub api_keys: Vec<(String, String)>,
    /// `CurCode` of every price.
    pub currency: String,
    pub faults: FaultConfig,
    /// Advance every open job one status step this often.
    pub auto_advance: Option<Duration>,
    /// Base URL every event is delivered to (with `?event={Name}`).
    pub webhook_url: Option<String>,
    /// Wait before the first webhook retry; doubled for each further one.
    pub webhook_backoff: Duration,
    /// Time allowed for one webhook delivery attempt.
    pub webhook_timeout: Duration,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 1,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            users: vec![(DEMO_USER_NAME.into(), DEMO_PASSWORD.into())],
            applications: vec![(DEMO_APPLICATION_NAME.into(), DEMO_APPLICATION_KEY.into())],
            api_keys: vec![(DEMO_API_NAME.into(), DEMO_API_KEY.into())],
            currency: "GBP".into(),
            faults: FaultConfig::default(),
            auto_advance: None,
            webhook_url: None,
            webhook_backoff: DEFAULT_WEBHOOK_BACKOFF,
            webhook_timeout: DEFAULT_WEBHOOK_TIMEOUT,
        }
    }
}
