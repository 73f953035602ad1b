//! `connect:plugin@0.2.0`, the newest contract: its imports on the host, and
//! its exports called with the host's own contract types (`crate::contract`
//! is shaped like this version), so a call passes the caller's values as
//! they are. Only `order-update`, whose status the host keeps in its own
//! form, goes through bindgen's type.

use wasmtime::component::{ComponentExportIndex, Func, InstancePre, TypedFunc};

use super::convert::{Convert, enums};
use crate::contract::*;
use crate::sandbox::HostState;

wasmtime::component::bindgen!({
    path: "../../wit/since_v0.2.0",
    world: "connect-plugin",
    exports: { default: async },
    // The cache may wait on the network (Redis): see `imports.rs`.
    imports: { "connect:plugin/cache": async },
    with: {
        "wasi": wasmtime_wasi::p2::bindings,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
    },
});

use connect::plugin::types as w;

/// The name of the interface a plugin of this version exports.
pub const EXPORT: &str = "connect:plugin/plugin@0.2.0";

super::host_imports!();

impl Convert<OrderUpdate> for w::OrderUpdate {
    fn convert(self) -> OrderUpdate {
        let (stage, status) = match self.status {
            Some(s) => (Some(s.stage.convert()), Some(s.text)),
            None => (None, None),
        };
        OrderUpdate {
            order_id: self.order_id,
            backend_order_id: self.backend_order_id,
            job_no: self.job_no,
            status,
            stage,
            tracking_number: self.tracking_number,
            at: self.at,
        }
    }
}

enums! {
    w::OrderStage => OrderStage {
        Received, InProduction, OnHold, Despatched, Delivered, Cancelled
    }
}

/// Declares the exports: their indices (found once per plugin), their
/// functions (found and type-checked once per instance, as bindgen does) and
/// a typed accessor for each.
macro_rules! exports {
    ($($field:ident: $name:literal ($($param:ty),*) -> $result:ty;)*) => {
        /// Where each export is in a plugin's component.
        #[derive(Clone)]
        pub(crate) struct GuestIndices {
            $($field: ComponentExportIndex,)*
        }

        /// One instance's exports.
        pub(crate) struct Guest {
            $($field: Func,)*
        }

        impl GuestIndices {
            pub(crate) fn new(pre: &InstancePre<HostState>) -> wasmtime::Result<Self> {
                let component = pre.component();
                let interface = component
                    .get_export_index(None, EXPORT)
                    .ok_or_else(|| wasmtime::format_err!("no exported instance named `{EXPORT}`"))?;
                let lookup = |name: &str| {
                    component.get_export_index(Some(&interface), name).ok_or_else(|| {
                        wasmtime::format_err!("`{EXPORT}` does not export `{name}`")
                    })
                };
                Ok(Self { $($field: lookup($name)?,)* })
            }

            pub(crate) fn load(
                &self,
                mut store: impl wasmtime::AsContextMut<Data = HostState>,
                instance: &wasmtime::component::Instance,
            ) -> wasmtime::Result<Guest> {
                Ok(Guest {
                    $($field: *instance
                        .get_typed_func::<($($param,)*), ($result,)>(&mut store, &self.$field)?
                        .func(),)*
                })
            }
        }

        impl Guest {
            $(
                pub(crate) fn $field(&self) -> TypedFunc<($($param,)*), ($result,)> {
                    // SAFETY: `load` type-checked this function against
                    // exactly this signature.
                    unsafe { TypedFunc::new_unchecked(self.$field) }
                }
            )*
        }
    };
}

exports! {
    info: "info" () -> PluginInfo;
    configure: "configure" (&'_ Settings) -> Result<Settings, Vec<FieldError>>;
    init: "init" (&'_ Settings) -> Result<(), PluginError>;
    check_connection: "check-connection" () -> Result<ConnectionReport, PluginError>;
    price: "price" (&'_ PriceRequest) -> Result<PriceQuote, PluginError>;
    stock: "stock" (&'_ StockRequest) -> Result<StockLevel, PluginError>;
    submit_order: "submit-order" (&'_ Order) -> Result<OrderReceipt, PluginError>;
    order_status: "order-status" (&'_ str, Option<&'_ str>) -> Result<w::OrderUpdate, PluginError>;
    refresh_catalogue: "refresh-catalogue" () -> Result<CatalogueReport, PluginError>;
    products: "products" (u32, u32, Option<&'_ str>) -> Result<ProductPage, PluginError>;
    handle_webhook: "handle-webhook" (&'_ WebhookRequest) -> Result<Vec<w::OrderUpdate>, PluginError>;
}
