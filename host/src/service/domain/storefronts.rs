//! Storefronts and what operators configure on them: Connect settings
//! (enabled plugins, which plugin handles price, stock and orders),
//! departments with their customer codes, customers, product mappings.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::service::infra::time::iso8601;
use crate::service::store::Change;
use crate::service::{Result, Service, ServiceError};
use connect_runtime::contract::{Capability, FieldError};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Storefront {
    pub id: String,
    pub name: String,
    pub connect: ConnectSettings,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct NewStorefront {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// Which plugins a storefront uses, and for what. `None`: the storefront's
/// own price / stock applies (orders are not forwarded).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectSettings {
    #[serde(default)]
    pub enabled_plugins: Vec<String>,
    #[serde(default)]
    pub price_plugin: Option<String>,
    #[serde(default)]
    pub stock_plugin: Option<String>,
    #[serde(default)]
    pub order_plugin: Option<String>,
    /// Catalogue refresh interval, in minutes.
    #[serde(default = "default_refresh")]
    #[schema(default = 1440)]
    pub refresh_minutes: u32,
    /// Whether this storefront's plugins may reach loopback and private-
    /// network addresses: for a back office on the operator's own network.
    /// Off: the endpoint must resolve to a public address.
    #[serde(default)]
    pub allow_private_networks: bool,
}

fn default_refresh() -> u32 {
    1440
}

impl Default for ConnectSettings {
    fn default() -> Self {
        Self {
            enabled_plugins: Vec::new(),
            price_plugin: None,
            stock_plugin: None,
            order_plugin: None,
            refresh_minutes: default_refresh(),
            allow_private_networks: false,
        }
    }
}

/// A storefront department: a client company; its customer code is the
/// backend customer its users price and order under.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// The backend customer code ("ExternalId"); none: the storefront's.
    #[serde(default)]
    pub customer_code: Option<String>,
    /// Codes for particular plugins (plugin id -> code), used instead of
    /// `customer_code` by that plugin: each back office has its own.
    #[serde(default)]
    pub plugin_codes: BTreeMap<String, String>,
}

/// A storefront user.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub department: Option<String>,
}

/// A backend customer a plugin linked to a user's email.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerLink {
    pub plugin: String,
    pub email: String,
    pub customer_code: String,
    pub created: bool,
    pub linked_at: String,
}

pub(crate) fn check_id(key: &str, id: &str) -> Result<()> {
    connect_runtime::plugin::validate_id(id).map_err(|e| ServiceError::invalid(key, e.to_string()))
}

pub(crate) fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Service {
    pub async fn create_storefront(&self, new: NewStorefront) -> Result<Arc<Storefront>> {
        check_id("id", &new.id)?;
        let name = blank_to_none(new.name).unwrap_or_else(|| new.id.clone());
        if !self.store.create_storefront(&new.id, &name).await? {
            return Err(ServiceError::Conflict(format!(
                "storefront `{}` already exists",
                new.id
            )));
        }
        self.memo.invalidate();
        self.announce(Change::Storefront).await;
        tracing::info!(storefront = new.id, "storefront created");
        self.storefront(&new.id).await
    }

    pub async fn storefronts(&self) -> Result<Vec<Arc<Storefront>>> {
        let mut out = Vec::new();
        for id in self.store.storefront_ids().await? {
            out.push(self.storefront(&id).await?);
        }
        Ok(out)
    }

    /// A storefront, shared from memory (read from the database after a
    /// change): every price, stock and order request starts here.
    pub async fn storefront(&self, id: &str) -> Result<Arc<Storefront>> {
        if let Some(sf) = self.memo.storefront(id) {
            return Ok(sf);
        }
        let generation = self.memo.generation();
        let row = self
            .store
            .storefront(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no storefront `{id}`")))?;
        let sf = Arc::new(Storefront {
            id: row.id,
            name: row.name,
            connect: row.connect,
            created_at: iso8601(row.created_at),
        });
        self.memo.keep_storefront(generation, sf.clone());
        Ok(sf)
    }

    /// Sets the Connect settings. A plugin chosen for price, stock or orders
    /// must be loaded, enabled and offer that capability.
    pub async fn set_connect(
        &self,
        storefront: &str,
        mut cs: ConnectSettings,
    ) -> Result<Arc<Storefront>> {
        self.storefront(storefront).await?;
        cs.enabled_plugins.sort();
        cs.enabled_plugins.dedup();
        let mut problems = Vec::new();
        for plugin in &cs.enabled_plugins {
            if self.runtime.plugin(plugin).is_err() {
                problems.push(FieldError {
                    key: "enabled_plugins".into(),
                    message: format!("no plugin `{plugin}` is loaded"),
                });
            }
        }
        for (key, choice, capability) in [
            ("price_plugin", &mut cs.price_plugin, Capability::Price),
            ("stock_plugin", &mut cs.stock_plugin, Capability::Stock),
            ("order_plugin", &mut cs.order_plugin, Capability::Orders),
        ] {
            *choice = blank_to_none(choice.take());
            let Some(plugin) = choice.as_deref() else {
                continue;
            };
            let message = if !cs.enabled_plugins.iter().any(|p| p == plugin) {
                format!("`{plugin}` must be enabled to handle this")
            } else {
                match self.runtime.info(plugin) {
                    Ok(info) if info.capabilities.contains(&capability) => continue,
                    Ok(_) => format!(
                        "`{plugin}` does not offer {key_what}",
                        key_what = &key[..key.len() - "_plugin".len()]
                    ),
                    Err(e) => e.to_string(),
                }
            };
            problems.push(FieldError {
                key: key.into(),
                message,
            });
        }
        if !(1..=525_600).contains(&cs.refresh_minutes) {
            problems.push(FieldError {
                key: "refresh_minutes".into(),
                message: "enter a number of minutes between 1 and 525600".into(),
            });
        }
        if !problems.is_empty() {
            return Err(ServiceError::Invalid(problems));
        }
        self.store.set_connect(storefront, &cs).await?;
        self.memo.invalidate();
        self.announce(Change::Storefront).await;
        tracing::info!(storefront, ?cs, "connect settings changed");
        self.storefront(storefront).await
    }

    pub async fn put_department(&self, storefront: &str, d: Department) -> Result<Department> {
        self.storefront(storefront).await?;
        check_id("id", &d.id)?;
        let d = Department {
            name: if d.name.trim().is_empty() {
                d.id.clone()
            } else {
                d.name.trim().to_string()
            },
            customer_code: blank_to_none(d.customer_code),
            plugin_codes: d
                .plugin_codes
                .into_iter()
                .filter_map(|(p, c)| Some((p, blank_to_none(Some(c))?)))
                .collect(),
            ..d
        };
        for plugin in d.plugin_codes.keys() {
            check_id(&format!("plugin_codes.{plugin}"), plugin)?;
        }
        self.store.put_department(storefront, &d).await?;
        Ok(d)
    }

    pub async fn departments(&self, storefront: &str) -> Result<Vec<Department>> {
        self.storefront(storefront).await?;
        Ok(self.store.departments(storefront).await?)
    }

    pub async fn department(&self, storefront: &str, id: &str) -> Result<Department> {
        self.storefront(storefront).await?;
        self.store.department(storefront, id).await?.ok_or_else(|| {
            ServiceError::NotFound(format!("no department `{id}` in `{storefront}`"))
        })
    }

    pub async fn delete_department(&self, storefront: &str, id: &str) -> Result<()> {
        if !self.store.delete_department(storefront, id).await? {
            return Err(ServiceError::NotFound(format!(
                "no department `{id}` in `{storefront}`"
            )));
        }
        Ok(())
    }

    pub async fn put_customer(&self, storefront: &str, c: Customer) -> Result<Customer> {
        self.storefront(storefront).await?;
        check_id("id", &c.id)?;
        let c = Customer {
            email: blank_to_none(c.email),
            name: blank_to_none(c.name),
            department: blank_to_none(c.department),
            ..c
        };
        if let Some(email) = &c.email
            && !email.contains('@')
        {
            return Err(ServiceError::invalid("email", "enter an email address"));
        }
        if let Some(dept) = &c.department {
            self.department(storefront, dept).await.map_err(|_| {
                ServiceError::invalid(
                    "department",
                    format!("no department `{dept}`: create it first"),
                )
            })?;
        }
        self.store.put_customer(storefront, &c).await?;
        Ok(c)
    }

    pub async fn customers(&self, storefront: &str) -> Result<Vec<Customer>> {
        self.storefront(storefront).await?;
        Ok(self.store.customers(storefront).await?)
    }

    pub async fn customer(&self, storefront: &str, id: &str) -> Result<Customer> {
        self.store
            .customer(storefront, id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no customer `{id}` in `{storefront}`")))
    }

    pub async fn customer_links(&self, storefront: &str) -> Result<Vec<CustomerLink>> {
        Ok(self.store.customer_links(storefront).await?)
    }

    /// Records a backend customer a plugin found or created for an email.
    pub async fn store_link(
        &self,
        storefront: &str,
        plugin: &str,
        link: &connect_runtime::contract::CustomerLink,
    ) -> Result<()> {
        Ok(self.store.put_link(storefront, plugin, link).await?)
    }

    pub(crate) async fn linked_code(
        &self,
        storefront: &str,
        plugin: &str,
        email: &str,
    ) -> Result<Option<String>> {
        Ok(self.store.linked_code(storefront, plugin, email).await?)
    }
}
