//! Storefronts and what operators configure on them: Connect settings
//! (enabled plugins, which plugin handles price, stock and orders),
//! departments with their customer codes, customers, product mappings.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::{OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

use super::db::{iso8601, now};
use super::{Result, Service, ServiceError};
use crate::contract::{Capability, FieldError};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Storefront {
    pub id: String,
    pub name: String,
    pub connect: ConnectSettings,
    pub created_at: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct NewStorefront {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// Which plugins a storefront uses, and for what. `None`: the storefront's
/// own price / stock applies (orders are not forwarded).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
#[derive(Clone, Debug, Serialize, Deserialize)]
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
    crate::plugin::validate_id(id).map_err(|e| ServiceError::invalid(key, e.to_string()))
}

pub(crate) fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Service {
    pub fn create_storefront(&self, new: NewStorefront) -> Result<Arc<Storefront>> {
        check_id("id", &new.id)?;
        let name = blank_to_none(new.name).unwrap_or_else(|| new.id.clone());
        let inserted = self.db.lock().execute(
            "INSERT OR IGNORE INTO storefronts (id, name, created_at) VALUES (?1, ?2, ?3)",
            params![new.id, name, now()],
        )?;
        if inserted == 0 {
            return Err(ServiceError::Conflict(format!(
                "storefront `{}` already exists",
                new.id
            )));
        }
        self.memo.invalidate();
        tracing::info!(storefront = new.id, "storefront created");
        self.storefront(&new.id)
    }

    pub fn storefronts(&self) -> Result<Vec<Arc<Storefront>>> {
        let ids: Vec<String> = {
            let conn = self.db.lock();
            let mut stmt = conn.prepare("SELECT id FROM storefronts ORDER BY id")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        ids.iter().map(|id| self.storefront(id)).collect()
    }

    /// A storefront, shared from memory (read from the database after a
    /// change): every price, stock and order request starts here.
    pub fn storefront(&self, id: &str) -> Result<Arc<Storefront>> {
        if let Some(sf) = self.memo.storefront(id) {
            return Ok(sf);
        }
        let generation = self.memo.generation();
        let sf = Arc::new(self.read_storefront(id)?);
        self.memo.keep_storefront(generation, sf.clone());
        Ok(sf)
    }

    fn read_storefront(&self, id: &str) -> Result<Storefront> {
        let conn = self.db.lock();
        let row = conn
            .prepare_cached(
                "SELECT name, price_plugin, stock_plugin, order_plugin, refresh_minutes, created_at,
                   allow_private_networks
                 FROM storefronts WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, bool>(6)?,
                ))
            })
            .optional()?
            .ok_or_else(|| ServiceError::NotFound(format!("no storefront `{id}`")))?;
        let mut stmt = conn.prepare_cached(
            "SELECT plugin FROM plugin_settings WHERE storefront = ?1 AND enabled = 1 ORDER BY plugin",
        )?;
        let enabled = stmt
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Storefront {
            id: id.to_string(),
            name: row.0,
            connect: ConnectSettings {
                enabled_plugins: enabled,
                price_plugin: row.1,
                stock_plugin: row.2,
                order_plugin: row.3,
                refresh_minutes: row.4,
                allow_private_networks: row.6,
            },
            created_at: iso8601(row.5),
        })
    }

    /// Sets the Connect settings. A plugin chosen for price, stock or orders
    /// must be loaded, enabled and offer that capability.
    pub fn set_connect(
        &self,
        storefront: &str,
        mut cs: ConnectSettings,
    ) -> Result<Arc<Storefront>> {
        self.storefront(storefront)?;
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
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE storefronts SET price_plugin = ?2, stock_plugin = ?3, order_plugin = ?4,
             refresh_minutes = ?5, allow_private_networks = ?6 WHERE id = ?1",
            params![
                storefront,
                cs.price_plugin,
                cs.stock_plugin,
                cs.order_plugin,
                cs.refresh_minutes,
                cs.allow_private_networks
            ],
        )?;
        tx.execute(
            "UPDATE plugin_settings SET enabled = 0 WHERE storefront = ?1",
            [storefront],
        )?;
        for plugin in &cs.enabled_plugins {
            tx.execute(
                "INSERT INTO plugin_settings (storefront, plugin, enabled) VALUES (?1, ?2, 1)
                 ON CONFLICT (storefront, plugin) DO UPDATE SET enabled = 1",
                params![storefront, plugin],
            )?;
        }
        tx.commit()?;
        drop(conn);
        self.memo.invalidate();
        tracing::info!(storefront, ?cs, "connect settings changed");
        self.storefront(storefront)
    }

    pub fn put_department(&self, storefront: &str, d: Department) -> Result<Department> {
        self.storefront(storefront)?;
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
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO departments (storefront, id, name, customer_code) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (storefront, id) DO UPDATE SET name = ?3, customer_code = ?4",
            params![storefront, d.id, d.name, d.customer_code],
        )?;
        tx.execute(
            "DELETE FROM department_codes WHERE storefront = ?1 AND department = ?2",
            params![storefront, d.id],
        )?;
        for (plugin, code) in &d.plugin_codes {
            tx.execute(
                "INSERT INTO department_codes (storefront, department, plugin, customer_code)
                 VALUES (?1, ?2, ?3, ?4)",
                params![storefront, d.id, plugin, code],
            )?;
        }
        tx.commit()?;
        Ok(d)
    }

    pub fn departments(&self, storefront: &str) -> Result<Vec<Department>> {
        self.storefront(storefront)?;
        let conn = self.db.lock();
        let mut stmt = conn.prepare(
            "SELECT id, name, customer_code FROM departments WHERE storefront = ?1 ORDER BY id",
        )?;
        let mut rows: Vec<Department> = stmt
            .query_map([storefront], department_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut stmt = conn.prepare(
            "SELECT department, plugin, customer_code FROM department_codes WHERE storefront = ?1",
        )?;
        let codes = stmt
            .query_map([storefront], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for (dept, plugin, code) in codes {
            if let Some(d) = rows.iter_mut().find(|d| d.id == dept) {
                d.plugin_codes.insert(plugin, code);
            }
        }
        Ok(rows)
    }

    pub fn department(&self, storefront: &str, id: &str) -> Result<Department> {
        self.storefront(storefront)?;
        let conn = self.db.lock();
        conn.prepare_cached(
            "SELECT id, name, customer_code FROM departments WHERE storefront = ?1 AND id = ?2",
        )?
        .query_row(params![storefront, id], department_row)
        .optional()?
        .ok_or_else(|| ServiceError::NotFound(format!("no department `{id}` in `{storefront}`")))
        .and_then(|mut d| {
            let mut stmt = conn.prepare_cached(
                "SELECT plugin, customer_code FROM department_codes
                 WHERE storefront = ?1 AND department = ?2",
            )?;
            d.plugin_codes = stmt
                .query_map(params![storefront, id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(d)
        })
    }

    pub fn delete_department(&self, storefront: &str, id: &str) -> Result<()> {
        let n = self.db.lock().execute(
            "DELETE FROM departments WHERE storefront = ?1 AND id = ?2",
            params![storefront, id],
        )?;
        if n == 0 {
            return Err(ServiceError::NotFound(format!(
                "no department `{id}` in `{storefront}`"
            )));
        }
        Ok(())
    }

    pub fn put_customer(&self, storefront: &str, c: Customer) -> Result<Customer> {
        self.storefront(storefront)?;
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
            self.department(storefront, dept).map_err(|_| {
                ServiceError::invalid(
                    "department",
                    format!("no department `{dept}`: create it first"),
                )
            })?;
        }
        self.db.lock().execute(
            "INSERT INTO customers (storefront, id, email, name, department) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (storefront, id) DO UPDATE SET email = ?3, name = ?4, department = ?5",
            params![storefront, c.id, c.email, c.name, c.department],
        )?;
        Ok(c)
    }

    pub fn customers(&self, storefront: &str) -> Result<Vec<Customer>> {
        self.storefront(storefront)?;
        let conn = self.db.lock();
        let mut stmt = conn.prepare(
            "SELECT id, email, name, department FROM customers WHERE storefront = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([storefront], |r| {
                Ok(Customer {
                    id: r.get(0)?,
                    email: r.get(1)?,
                    name: r.get(2)?,
                    department: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn customer(&self, storefront: &str, id: &str) -> Result<Customer> {
        let conn = self.db.lock();
        conn.prepare_cached(
            "SELECT id, email, name, department FROM customers WHERE storefront = ?1 AND id = ?2",
        )?
        .query_row(params![storefront, id], |r| {
            Ok(Customer {
                id: r.get(0)?,
                email: r.get(1)?,
                name: r.get(2)?,
                department: r.get(3)?,
            })
        })
        .optional()?
        .ok_or_else(|| ServiceError::NotFound(format!("no customer `{id}` in `{storefront}`")))
    }

    pub fn customer_links(&self, storefront: &str) -> Result<Vec<CustomerLink>> {
        let conn = self.db.lock();
        let mut stmt = conn.prepare(
            "SELECT plugin, email, customer_code, created, linked_at FROM customer_links
             WHERE storefront = ?1 ORDER BY email, plugin",
        )?;
        let rows = stmt
            .query_map([storefront], |r| {
                Ok(CustomerLink {
                    plugin: r.get(0)?,
                    email: r.get(1)?,
                    customer_code: r.get(2)?,
                    created: r.get(3)?,
                    linked_at: iso8601(r.get(4)?),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Records a backend customer a plugin found or created for an email.
    pub fn store_link(
        &self,
        storefront: &str,
        plugin: &str,
        link: &crate::contract::CustomerLink,
    ) -> Result<()> {
        self.db.lock().execute(
            "INSERT INTO customer_links (storefront, plugin, email, customer_code, created, linked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (storefront, plugin, email) DO UPDATE SET customer_code = ?4, linked_at = ?6",
            params![storefront, plugin, link.email, link.customer_code, link.created, now()],
        )?;
        Ok(())
    }

    pub(crate) fn linked_code(
        &self,
        storefront: &str,
        plugin: &str,
        email: &str,
    ) -> Result<Option<String>> {
        Ok(self
            .db
            .lock()
            .prepare_cached(
                "SELECT customer_code FROM customer_links WHERE storefront = ?1 AND plugin = ?2 AND email = ?3",
            )?
            .query_row(
                params![storefront, plugin, email],
                |r| r.get(0),
            )
            .optional()?)
    }
}

fn department_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Department> {
    Ok(Department {
        id: r.get(0)?,
        name: r.get(1)?,
        customer_code: r.get(2)?,
        plugin_codes: BTreeMap::new(),
    })
}
