//! The contract's versions as the host speaks them: one module per released
//! WIT version (`wit/since_vX.Y.Z/`), as Zed's extension host keeps them.
//! [`PluginInstance`] hides which version a plugin was built against: every
//! call takes and answers the host's own types (`crate::contract`).
//!
//! Adding a version: a module with its imports and exports, a variant in
//! [`ContractVersion`], [`PluginPre`] and [`PluginInstance`], and conversions
//! for the version it replaces as newest (see `v0_1_0` for the pattern).

mod convert;
mod imports;
pub mod v0_1_0;
pub mod v0_2_0;

use std::fmt;

use anyhow::{Context as _, anyhow};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{Engine, Store};

use crate::contract::*;
use crate::error::CallError;
use crate::sandbox::HostState;
use convert::Convert;
use imports::host_imports;

/// The package every plugin exports its `plugin` interface from.
const PACKAGE: &str = "connect:plugin";

/// A version of the contract this host knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContractVersion {
    V0_1_0,
    V0_2_0,
}

impl ContractVersion {
    /// Every version this host loads plugins of, oldest first.
    pub const ALL: [Self; 2] = [Self::V0_1_0, Self::V0_2_0];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V0_1_0 => "0.1.0",
            Self::V0_2_0 => "0.2.0",
        }
    }

    /// The contract version a component was built against, read from the
    /// name of the `plugin` interface it exports. A version this host does
    /// not know is refused with both versions named.
    pub fn of(component: &Component, engine: &Engine) -> anyhow::Result<Self> {
        let prefix = format!("{PACKAGE}/plugin@");
        let ty = component.component_type();
        let built_for = ty
            .exports(engine)
            .find_map(|(name, _)| name.strip_prefix(&prefix).map(str::to_owned))
            .ok_or_else(|| {
                anyhow!("it exports no `{PACKAGE}/plugin` interface, so it is not a connect plugin")
            })?;
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == built_for)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                anyhow!(
                    "it is built for contract {PACKAGE}@{built_for}, which this host does not know \
                     (it knows {}); rebuild the plugin against one of those, or upgrade connect-host",
                    known.join(", ")
                )
            })
    }
}

impl fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ContractVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Links the imports of every known version (WASI, wasi:http, and each
/// version's cache, log and types).
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    v0_1_0::add_to_linker(linker)?;
    v0_2_0::add_to_linker(linker)
}

/// A plugin linked and ready to instantiate, with its exports found.
pub(crate) enum PluginPre {
    V0_1_0(InstancePre<HostState>, v0_1_0::GuestIndices),
    V0_2_0(InstancePre<HostState>, v0_2_0::GuestIndices),
}

impl PluginPre {
    pub(crate) fn new(
        linker: &Linker<HostState>,
        component: &Component,
        engine: &Engine,
    ) -> anyhow::Result<Self> {
        let version = ContractVersion::of(component, engine)?;
        let pre = linker
            .instantiate_pre(component)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "it imports something this host does not grant (a connect plugin imports only \
                 WASI, wasi:http, and {PACKAGE}@{version}'s cache and log)"
                )
            })?;
        let missing = |e: wasmtime::Error| {
            anyhow::Error::from(e).context(format!("it does not export {PACKAGE}@{version}'s `plugin` interface as the contract defines it"))
        };
        Ok(match version {
            ContractVersion::V0_1_0 => {
                let indices = v0_1_0::GuestIndices::new(&pre).map_err(missing)?;
                Self::V0_1_0(pre, indices)
            }
            ContractVersion::V0_2_0 => {
                let indices = v0_2_0::GuestIndices::new(&pre).map_err(missing)?;
                Self::V0_2_0(pre, indices)
            }
        })
    }

    pub(crate) fn version(&self) -> ContractVersion {
        match self {
            Self::V0_1_0(..) => ContractVersion::V0_1_0,
            Self::V0_2_0(..) => ContractVersion::V0_2_0,
        }
    }

    pub(crate) fn engine(&self) -> &Engine {
        match self {
            Self::V0_1_0(pre, _) => pre.engine(),
            Self::V0_2_0(pre, _) => pre.engine(),
        }
    }

    pub(crate) async fn instantiate(
        &self,
        store: &mut Store<HostState>,
    ) -> wasmtime::Result<PluginInstance> {
        Ok(match self {
            Self::V0_1_0(pre, indices) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                PluginInstance::V0_1_0(indices.load(&mut *store, &instance)?)
            }
            Self::V0_2_0(pre, indices) => {
                let instance = pre.instantiate_async(&mut *store).await?;
                PluginInstance::V0_2_0(indices.load(&mut *store, &instance)?)
            }
        })
    }
}

/// One instance's exports, whichever version it speaks. Each call answers
/// `Err` for a trap and `Ok(Err(..))` for the plugin's typed errors.
pub(crate) enum PluginInstance {
    V0_1_0(v0_1_0::Guest),
    V0_2_0(v0_2_0::Guest),
}

type Answer<T> = wasmtime::Result<Result<T, CallError>>;

fn typed<T>(r: Result<T, PluginError>) -> Result<T, CallError> {
    r.map_err(|error| CallError::Plugin { error })
}

impl PluginInstance {
    pub(crate) async fn info(&self, s: &mut Store<HostState>) -> Answer<PluginInfo> {
        Ok(Ok(match self {
            Self::V0_1_0(g) => g.call_info(s).await?.convert(),
            Self::V0_2_0(g) => g.info().call_async(s, ()).await?.0,
        }))
    }

    pub(crate) async fn configure(
        &self,
        s: &mut Store<HostState>,
        settings: &Settings,
    ) -> Answer<Settings> {
        let answer = match self {
            Self::V0_1_0(g) => g.call_configure(s, settings).await?.convert(),
            Self::V0_2_0(g) => g.configure().call_async(s, (settings,)).await?.0,
        };
        Ok(answer.map_err(|fields| CallError::InvalidSettings { fields }))
    }

    pub(crate) async fn init(&self, s: &mut Store<HostState>, settings: &Settings) -> Answer<()> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g.call_init(s, settings).await?.convert(),
            Self::V0_2_0(g) => g.init().call_async(s, (settings,)).await?.0,
        }))
    }

    pub(crate) async fn check_connection(
        &self,
        s: &mut Store<HostState>,
    ) -> Answer<ConnectionReport> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g.call_check_connection(s).await?.convert(),
            Self::V0_2_0(g) => g.check_connection().call_async(s, ()).await?.0,
        }))
    }

    pub(crate) async fn price(
        &self,
        s: &mut Store<HostState>,
        req: &PriceRequest,
    ) -> Answer<PriceQuote> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g.call_price(s, &req.clone().convert()).await?.convert(),
            Self::V0_2_0(g) => g.price().call_async(s, (req,)).await?.0,
        }))
    }

    pub(crate) async fn stock(
        &self,
        s: &mut Store<HostState>,
        req: &StockRequest,
    ) -> Answer<StockLevel> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g.call_stock(s, &req.clone().convert()).await?.convert(),
            Self::V0_2_0(g) => g.stock().call_async(s, (req,)).await?.0,
        }))
    }

    pub(crate) async fn submit_order(
        &self,
        s: &mut Store<HostState>,
        order: &Order,
    ) -> Answer<OrderReceipt> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g
                .call_submit_order(s, &order.clone().convert())
                .await?
                .convert(),
            Self::V0_2_0(g) => g.submit_order().call_async(s, (order,)).await?.0,
        }))
    }

    pub(crate) async fn order_status(
        &self,
        s: &mut Store<HostState>,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Answer<OrderUpdate> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g
                .call_order_status(s, order_id, backend_order_id)
                .await?
                .convert(),
            Self::V0_2_0(g) => g
                .order_status()
                .call_async(s, (order_id, backend_order_id))
                .await?
                .0
                .convert(),
        }))
    }

    pub(crate) async fn refresh_catalogue(
        &self,
        s: &mut Store<HostState>,
    ) -> Answer<CatalogueReport> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g.call_refresh_catalogue(s).await?.convert(),
            Self::V0_2_0(g) => g.refresh_catalogue().call_async(s, ()).await?.0,
        }))
    }

    pub(crate) async fn products(
        &self,
        s: &mut Store<HostState>,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Answer<ProductPage> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g.call_products(s, offset, limit, search).await?.convert(),
            Self::V0_2_0(g) => g.products().call_async(s, (offset, limit, search)).await?.0,
        }))
    }

    pub(crate) async fn handle_webhook(
        &self,
        s: &mut Store<HostState>,
        req: &WebhookRequest,
    ) -> Answer<Vec<OrderUpdate>> {
        Ok(typed(match self {
            Self::V0_1_0(g) => g
                .call_handle_webhook(s, &req.clone().convert())
                .await?
                .convert(),
            Self::V0_2_0(g) => g.handle_webhook().call_async(s, (req,)).await?.0.convert(),
        }))
    }
}
