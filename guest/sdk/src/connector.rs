//! The [`Connector`] trait and [`register_connector!`](crate::register_connector).

use std::cell::RefCell;

use crate::settings::{self, Setting, Values};
use crate::{
    CatalogueReport, ConnectionReport, FieldError, Host, Order, OrderReceipt, OrderUpdate,
    PluginError, PluginInfo, PriceQuote, PriceRequest, ProductPage, StockLevel, StockRequest,
    WebhookRequest,
};

/// A connector: one storefront's link to one back office.
///
/// `info`, `SETTINGS` and `init` are required; every operation defaults to
/// [`PluginError::Unsupported`], so a new export breaks no connector.
/// Register the type with [`register_connector!`](crate::register_connector).
pub trait Connector: Sized + 'static {
    /// The settings schema: drives `info().settings` (through
    /// [`settings::specs`]) and the default [`Connector::configure`].
    const SETTINGS: &'static [Setting];

    /// Self-description; needs no settings.
    fn info() -> PluginInfo;

    /// Validate and normalise settings without any I/O.
    fn configure(input: &[(String, String)]) -> Result<Vec<(String, String)>, Vec<FieldError>> {
        settings::configure(Self::SETTINGS, input).map(Values::into_pairs)
    }

    /// Bind to a storefront's validated settings and the host's platform.
    fn init(settings: Values, host: Host) -> Result<Self, PluginError>;

    fn check_connection(&self) -> Result<ConnectionReport, PluginError> {
        Err(PluginError::unsupported("check-connection"))
    }

    fn price(&self, request: &PriceRequest) -> Result<PriceQuote, PluginError> {
        let _ = request;
        Err(PluginError::unsupported("price"))
    }

    fn stock(&self, request: &StockRequest) -> Result<StockLevel, PluginError> {
        let _ = request;
        Err(PluginError::unsupported("stock"))
    }

    fn submit_order(&self, order: &Order) -> Result<OrderReceipt, PluginError> {
        let _ = order;
        Err(PluginError::unsupported("submit-order"))
    }

    fn order_status(
        &self,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Result<OrderUpdate, PluginError> {
        let _ = (order_id, backend_order_id);
        Err(PluginError::unsupported("order-status"))
    }

    fn refresh_catalogue(&self) -> Result<CatalogueReport, PluginError> {
        Err(PluginError::unsupported("refresh-catalogue"))
    }

    fn products(
        &self,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Result<ProductPage, PluginError> {
        let _ = (offset, limit, search);
        Err(PluginError::unsupported("products"))
    }

    fn handle_webhook(&self, request: &WebhookRequest) -> Result<Vec<OrderUpdate>, PluginError> {
        let _ = request;
        Err(PluginError::unsupported("handle-webhook"))
    }

    /// The error hook: every error an operation answers passes here once, on
    /// its way out of the plugin (the component's exports, or [`Exported`]
    /// natively), named by its export (`price`, `submit-order`, ...). The
    /// default answers it unchanged; [`report`](crate::report) is the usual
    /// body: secrets redacted, the failure logged at its kind's level.
    fn on_error(&self, operation: &str, error: PluginError) -> PluginError {
        let _ = operation;
        error
    }
}

/// A connector as its host sees it: each operation with the error hook
/// ([`Connector::on_error`]) applied. The component's exports call through
/// it; native callers (tests) use it to see exactly what a host would.
pub struct Exported<'a, C>(pub &'a C);

impl<C: Connector> Exported<'_, C> {
    fn out<T>(&self, operation: &str, r: Result<T, PluginError>) -> Result<T, PluginError> {
        r.map_err(|e| self.0.on_error(operation, e))
    }

    pub fn check_connection(&self) -> Result<ConnectionReport, PluginError> {
        self.out("check-connection", self.0.check_connection())
    }

    pub fn price(&self, request: &PriceRequest) -> Result<PriceQuote, PluginError> {
        self.out("price", self.0.price(request))
    }

    pub fn stock(&self, request: &StockRequest) -> Result<StockLevel, PluginError> {
        self.out("stock", self.0.stock(request))
    }

    pub fn submit_order(&self, order: &Order) -> Result<OrderReceipt, PluginError> {
        self.out("submit-order", self.0.submit_order(order))
    }

    pub fn order_status(
        &self,
        order_id: &str,
        backend_order_id: Option<&str>,
    ) -> Result<OrderUpdate, PluginError> {
        let answer = self.0.order_status(order_id, backend_order_id);
        self.out("order-status", answer)
    }

    pub fn refresh_catalogue(&self) -> Result<CatalogueReport, PluginError> {
        self.out("refresh-catalogue", self.0.refresh_catalogue())
    }

    pub fn products(
        &self,
        offset: u32,
        limit: u32,
        search: Option<&str>,
    ) -> Result<ProductPage, PluginError> {
        self.out("products", self.0.products(offset, limit, search))
    }

    pub fn handle_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<Vec<OrderUpdate>, PluginError> {
        self.out("handle-webhook", self.0.handle_webhook(request))
    }
}

/// The stored settings validated for `init` with the connector's own
/// `configure`; every problem becomes one configuration error.
pub fn init_settings<C: Connector>(input: &[(String, String)]) -> Result<Values, PluginError> {
    settings::for_init(C::configure(input))
}

/// The initialised connector of a component instance, kept between calls.
#[doc(hidden)]
pub struct Slot<C>(RefCell<Option<C>>);

impl<C: Connector> Slot<C> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Slot(RefCell::new(None))
    }

    pub fn init(&self, input: &[(String, String)], host: Host) -> Result<(), PluginError> {
        let connector = C::init(init_settings::<C>(input)?, host)?;
        *self.0.borrow_mut() = Some(connector);
        Ok(())
    }

    pub fn with<T>(
        &self,
        f: impl FnOnce(Exported<'_, C>) -> Result<T, PluginError>,
    ) -> Result<T, PluginError> {
        match &*self.0.borrow() {
            Some(c) => f(Exported(c)),
            None => Err(PluginError::Configuration(
                "the plugin was called before `init`: the host must initialise it with the storefront's settings"
                    .into(),
            )),
        }
    }
}

/// Export a [`Connector`] as the component's `connect:plugin/plugin`
/// (on wasm32; natively it expands to nothing):
///
/// ```ignore
/// connect_plugin_sdk::register_connector!(MyConnector);
/// ```
///
/// `init` validates the stored settings with `configure`, builds the
/// connector over the component's platform and keeps it in a thread-local
/// for the calls that follow; each call goes through [`Exported`] (the
/// error hook).
#[macro_export]
macro_rules! register_connector {
    ($connector:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            use $crate::__private::Slot;
            use $crate::Connector as _;

            ::std::thread_local! {
                static CONNECTOR: Slot<$connector> = const { Slot::new() };
            }

            fn with<T>(
                f: impl FnOnce($crate::Exported<'_, $connector>) -> Result<T, $crate::PluginError>,
            ) -> Result<T, $crate::PluginError> {
                CONNECTOR.with(|slot| slot.with(f))
            }

            struct Component;

            impl $crate::__private::Guest for Component {
                fn info() -> $crate::PluginInfo {
                    <$connector>::info()
                }

                fn configure(
                    settings: $crate::SettingPairs,
                ) -> Result<$crate::SettingPairs, Vec<$crate::FieldError>> {
                    <$connector>::configure(&settings)
                }

                fn init(settings: $crate::SettingPairs) -> Result<(), $crate::PluginError> {
                    let host: $crate::Host = Box::new($crate::__private::WasiPlatform);
                    CONNECTOR.with(|slot| slot.init(&settings, host))
                }

                fn check_connection() -> Result<$crate::ConnectionReport, $crate::PluginError> {
                    with(|c| c.check_connection())
                }

                fn price(
                    request: $crate::PriceRequest,
                ) -> Result<$crate::PriceQuote, $crate::PluginError> {
                    with(|c| c.price(&request))
                }

                fn stock(
                    request: $crate::StockRequest,
                ) -> Result<$crate::StockLevel, $crate::PluginError> {
                    with(|c| c.stock(&request))
                }

                fn submit_order(
                    order: $crate::Order,
                ) -> Result<$crate::OrderReceipt, $crate::PluginError> {
                    with(|c| c.submit_order(&order))
                }

                fn order_status(
                    order_id: String,
                    backend_order_id: Option<String>,
                ) -> Result<$crate::OrderUpdate, $crate::PluginError> {
                    with(|c| c.order_status(&order_id, backend_order_id.as_deref()))
                }

                fn refresh_catalogue() -> Result<$crate::CatalogueReport, $crate::PluginError> {
                    with(|c| c.refresh_catalogue())
                }

                fn products(
                    offset: u32,
                    limit: u32,
                    search: Option<String>,
                ) -> Result<$crate::ProductPage, $crate::PluginError> {
                    with(|c| c.products(offset, limit, search.as_deref()))
                }

                fn handle_webhook(
                    request: $crate::WebhookRequest,
                ) -> Result<Vec<$crate::OrderUpdate>, $crate::PluginError> {
                    with(|c| c.handle_webhook(&request))
                }
            }

    $crate::__export_connect_plugin_impl!(Component with_types_in $crate::__private::wit);
        };
    };
}
