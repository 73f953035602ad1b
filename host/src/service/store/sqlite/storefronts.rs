//! Storefronts, departments, customers and customer links in SQLite.

use std::collections::BTreeMap;

use async_trait::async_trait;
use rusqlite::{OptionalExtension as _, params};

use super::SqliteStore;
use crate::service::domain::storefronts::{ConnectSettings, Customer, CustomerLink, Department};
use crate::service::infra::time::{iso8601, now};
use crate::service::store::{StoreResult, StorefrontRow, StorefrontStore};

#[async_trait]
impl StorefrontStore for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0)))
            .await
            .map(drop)
    }

    async fn create_storefront(&self, id: &str, name: &str) -> StoreResult<bool> {
        let (id, name) = (id.to_owned(), name.to_owned());
        self.write(move |tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO storefronts (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![id, name, now()],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn storefront_ids(&self) -> StoreResult<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT id FROM storefronts ORDER BY id")?;
            stmt.query_map([], |r| r.get(0))?.collect()
        })
        .await
    }

    async fn storefront(&self, id: &str) -> StoreResult<Option<StorefrontRow>> {
        let id = id.to_owned();
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT name, price_plugin, stock_plugin, order_plugin, refresh_minutes,
                       created_at, allow_private_networks
                     FROM storefronts WHERE id = ?1",
                )?
                .query_row([&id], |r| {
                    Ok(StorefrontRow {
                        id: id.clone(),
                        name: r.get(0)?,
                        connect: ConnectSettings {
                            enabled_plugins: Vec::new(),
                            price_plugin: r.get(1)?,
                            stock_plugin: r.get(2)?,
                            order_plugin: r.get(3)?,
                            refresh_minutes: r.get(4)?,
                            allow_private_networks: r.get(6)?,
                        },
                        created_at: r.get(5)?,
                    })
                })
                .optional()?;
            let Some(mut row) = row else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT plugin FROM plugin_settings WHERE storefront = ?1 AND enabled = 1 ORDER BY plugin",
            )?;
            row.connect.enabled_plugins = stmt.query_map([&id], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
            Ok(Some(row))
        })
        .await
    }

    async fn set_connect(&self, id: &str, cs: &ConnectSettings) -> StoreResult<()> {
        let (id, cs) = (id.to_owned(), cs.clone());
        self.write(move |tx| {
            tx.execute(
                "UPDATE storefronts SET price_plugin = ?2, stock_plugin = ?3, order_plugin = ?4,
                 refresh_minutes = ?5, allow_private_networks = ?6 WHERE id = ?1",
                params![
                    id,
                    cs.price_plugin,
                    cs.stock_plugin,
                    cs.order_plugin,
                    cs.refresh_minutes,
                    cs.allow_private_networks
                ],
            )?;
            tx.execute(
                "UPDATE plugin_settings SET enabled = 0 WHERE storefront = ?1",
                [&id],
            )?;
            for plugin in &cs.enabled_plugins {
                tx.execute(
                    "INSERT INTO plugin_settings (storefront, plugin, enabled) VALUES (?1, ?2, 1)
                     ON CONFLICT (storefront, plugin) DO UPDATE SET enabled = 1",
                    params![id, plugin],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn put_department(&self, storefront: &str, d: &Department) -> StoreResult<()> {
        let (sf, d) = (storefront.to_owned(), d.clone());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO departments (storefront, id, name, customer_code) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (storefront, id) DO UPDATE SET name = ?3, customer_code = ?4",
                params![sf, d.id, d.name, d.customer_code],
            )?;
            tx.execute(
                "DELETE FROM department_codes WHERE storefront = ?1 AND department = ?2",
                params![sf, d.id],
            )?;
            for (plugin, code) in &d.plugin_codes {
                tx.execute(
                    "INSERT INTO department_codes (storefront, department, plugin, customer_code)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![sf, d.id, plugin, code],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn departments(&self, storefront: &str) -> StoreResult<Vec<Department>> {
        let sf = storefront.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, name, customer_code FROM departments WHERE storefront = ?1 ORDER BY id",
            )?;
            let mut rows: Vec<Department> = stmt
                .query_map([&sf], department_row)?
                .collect::<rusqlite::Result<_>>()?;
            let mut stmt = c.prepare(
                "SELECT department, plugin, customer_code FROM department_codes WHERE storefront = ?1",
            )?;
            let codes = stmt
                .query_map([&sf], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for (dept, plugin, code) in codes {
                if let Some(d) = rows.iter_mut().find(|d| d.id == dept) {
                    d.plugin_codes.insert(plugin, code);
                }
            }
            Ok(rows)
        })
        .await
    }

    async fn department(&self, storefront: &str, id: &str) -> StoreResult<Option<Department>> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.read_point(move |c| {
            let d = c
                .prepare_cached(
                    "SELECT id, name, customer_code FROM departments WHERE storefront = ?1 AND id = ?2",
                )?
                .query_row(params![sf, id], department_row)
                .optional()?;
            let Some(mut d) = d else {
                return Ok(None);
            };
            let mut stmt = c.prepare_cached(
                "SELECT plugin, customer_code FROM department_codes
                 WHERE storefront = ?1 AND department = ?2",
            )?;
            d.plugin_codes = stmt
                .query_map(params![sf, id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Some(d))
        })
        .await
    }

    async fn delete_department(&self, storefront: &str, id: &str) -> StoreResult<bool> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.write(move |tx| {
            let n = tx.execute(
                "DELETE FROM departments WHERE storefront = ?1 AND id = ?2",
                params![sf, id],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn put_customer(&self, storefront: &str, c: &Customer) -> StoreResult<()> {
        let (sf, c) = (storefront.to_owned(), c.clone());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO customers (storefront, id, email, name, department) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (storefront, id) DO UPDATE SET email = ?3, name = ?4, department = ?5",
                params![sf, c.id, c.email, c.name, c.department],
            )?;
            Ok(())
        })
        .await
    }

    async fn customers(&self, storefront: &str) -> StoreResult<Vec<Customer>> {
        let sf = storefront.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT id, email, name, department FROM customers WHERE storefront = ?1 ORDER BY id",
            )?;
            stmt.query_map([&sf], customer_row)?.collect()
        })
        .await
    }

    async fn customer(&self, storefront: &str, id: &str) -> StoreResult<Option<Customer>> {
        let (sf, id) = (storefront.to_owned(), id.to_owned());
        self.read_point(move |c| {
            c.prepare_cached(
                "SELECT id, email, name, department FROM customers WHERE storefront = ?1 AND id = ?2",
            )?
            .query_row(params![sf, id], customer_row)
            .optional()
        })
        .await
    }

    async fn customer_links(&self, storefront: &str) -> StoreResult<Vec<CustomerLink>> {
        let sf = storefront.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT plugin, email, customer_code, created, linked_at FROM customer_links
                 WHERE storefront = ?1 ORDER BY email, plugin",
            )?;
            stmt.query_map([&sf], |r| {
                Ok(CustomerLink {
                    plugin: r.get(0)?,
                    email: r.get(1)?,
                    customer_code: r.get(2)?,
                    created: r.get(3)?,
                    linked_at: iso8601(r.get(4)?),
                })
            })?
            .collect()
        })
        .await
    }

    async fn put_link(
        &self,
        storefront: &str,
        plugin: &str,
        link: &connect_runtime::contract::CustomerLink,
    ) -> StoreResult<()> {
        let (sf, plugin, link) = (storefront.to_owned(), plugin.to_owned(), link.clone());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO customer_links (storefront, plugin, email, customer_code, created, linked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (storefront, plugin, email) DO UPDATE SET customer_code = ?4, linked_at = ?6",
                params![sf, plugin, link.email, link.customer_code, link.created, now()],
            )?;
            Ok(())
        })
        .await
    }

    async fn linked_code(
        &self,
        storefront: &str,
        plugin: &str,
        email: &str,
    ) -> StoreResult<Option<String>> {
        let (sf, plugin, email) = (storefront.to_owned(), plugin.to_owned(), email.to_owned());
        self.read_point(move |c| {
            c.prepare_cached(
                "SELECT customer_code FROM customer_links
                 WHERE storefront = ?1 AND plugin = ?2 AND email = ?3",
            )?
            .query_row(params![sf, plugin, email], |r| r.get(0))
            .optional()
        })
        .await
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

fn customer_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        department: r.get(3)?,
    })
}
