//! Storefronts, departments, customers and customer links in PostgreSQL.

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::PostgresStore;
use crate::service::domain::storefronts::{ConnectSettings, Customer, CustomerLink, Department};
use crate::service::infra::time::{iso8601, now};
use crate::service::store::{StoreResult, StorefrontRow, StorefrontStore};

#[async_trait]
impl StorefrontStore for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        self.client().await?.execute("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn create_storefront(&self, id: &str, name: &str) -> StoreResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "INSERT INTO storefronts (id, name, created_at) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
                &[&id, &name, &now()],
            )
            .await?;
        Ok(n == 1)
    }

    async fn storefront_ids(&self) -> StoreResult<Vec<String>> {
        let rows = self
            .client()
            .await?
            .query("SELECT id FROM storefronts ORDER BY id", &[])
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn storefront(&self, id: &str) -> StoreResult<Option<StorefrontRow>> {
        let c = self.client().await?;
        let Some(r) = c
            .query_opt(
                "SELECT name, price_plugin, stock_plugin, order_plugin, refresh_minutes,
                   created_at, allow_private_networks
                 FROM storefronts WHERE id = $1",
                &[&id],
            )
            .await?
        else {
            return Ok(None);
        };
        let enabled = c
            .query(
                "SELECT plugin FROM plugin_settings WHERE storefront = $1 AND enabled ORDER BY plugin",
                &[&id],
            )
            .await?;
        Ok(Some(StorefrontRow {
            id: id.to_owned(),
            name: r.get(0),
            connect: ConnectSettings {
                enabled_plugins: enabled.iter().map(|r| r.get(0)).collect(),
                price_plugin: r.get(1),
                stock_plugin: r.get(2),
                order_plugin: r.get(3),
                refresh_minutes: r.get::<_, i32>(4).max(0) as u32,
                allow_private_networks: r.get(6),
            },
            created_at: r.get(5),
        }))
    }

    async fn set_connect(&self, id: &str, cs: &ConnectSettings) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        let minutes = i32::try_from(cs.refresh_minutes).unwrap_or(i32::MAX);
        tx.execute(
            "UPDATE storefronts SET price_plugin = $2, stock_plugin = $3, order_plugin = $4,
             refresh_minutes = $5, allow_private_networks = $6 WHERE id = $1",
            &[
                &id,
                &cs.price_plugin,
                &cs.stock_plugin,
                &cs.order_plugin,
                &minutes,
                &cs.allow_private_networks,
            ],
        )
        .await?;
        tx.execute(
            "UPDATE plugin_settings SET enabled = FALSE WHERE storefront = $1",
            &[&id],
        )
        .await?;
        for plugin in &cs.enabled_plugins {
            tx.execute(
                "INSERT INTO plugin_settings (storefront, plugin, enabled) VALUES ($1, $2, TRUE)
                 ON CONFLICT (storefront, plugin) DO UPDATE SET enabled = TRUE",
                &[&id, plugin],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn put_department(&self, storefront: &str, d: &Department) -> StoreResult<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "INSERT INTO departments (storefront, id, name, customer_code) VALUES ($1, $2, $3, $4)
             ON CONFLICT (storefront, id) DO UPDATE SET name = $3, customer_code = $4",
            &[&storefront, &d.id, &d.name, &d.customer_code],
        )
        .await?;
        tx.execute(
            "DELETE FROM department_codes WHERE storefront = $1 AND department = $2",
            &[&storefront, &d.id],
        )
        .await?;
        for (plugin, code) in &d.plugin_codes {
            tx.execute(
                "INSERT INTO department_codes (storefront, department, plugin, customer_code)
                 VALUES ($1, $2, $3, $4)",
                &[&storefront, &d.id, plugin, code],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn departments(&self, storefront: &str) -> StoreResult<Vec<Department>> {
        let c = self.client().await?;
        let rows = c
            .query(
                "SELECT id, name, customer_code FROM departments WHERE storefront = $1 ORDER BY id",
                &[&storefront],
            )
            .await?;
        let mut out: Vec<Department> = rows.iter().map(department_row).collect();
        let codes = c
            .query(
                "SELECT department, plugin, customer_code FROM department_codes WHERE storefront = $1",
                &[&storefront],
            )
            .await?;
        for r in codes {
            let dept: String = r.get(0);
            if let Some(d) = out.iter_mut().find(|d| d.id == dept) {
                d.plugin_codes.insert(r.get(1), r.get(2));
            }
        }
        Ok(out)
    }

    async fn department(&self, storefront: &str, id: &str) -> StoreResult<Option<Department>> {
        let c = self.client().await?;
        let Some(r) = c
            .query_opt(
                "SELECT id, name, customer_code FROM departments WHERE storefront = $1 AND id = $2",
                &[&storefront, &id],
            )
            .await?
        else {
            return Ok(None);
        };
        let mut d = department_row(&r);
        let codes = c
            .query(
                "SELECT plugin, customer_code FROM department_codes
                 WHERE storefront = $1 AND department = $2",
                &[&storefront, &id],
            )
            .await?;
        d.plugin_codes = codes.iter().map(|r| (r.get(0), r.get(1))).collect();
        Ok(Some(d))
    }

    async fn delete_department(&self, storefront: &str, id: &str) -> StoreResult<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "DELETE FROM departments WHERE storefront = $1 AND id = $2",
                &[&storefront, &id],
            )
            .await?;
        Ok(n > 0)
    }

    async fn put_customer(&self, storefront: &str, cu: &Customer) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO customers (storefront, id, email, name, department)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (storefront, id) DO UPDATE SET email = $3, name = $4, department = $5",
                &[&storefront, &cu.id, &cu.email, &cu.name, &cu.department],
            )
            .await?;
        Ok(())
    }

    async fn customers(&self, storefront: &str) -> StoreResult<Vec<Customer>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT id, email, name, department FROM customers WHERE storefront = $1 ORDER BY id",
                &[&storefront],
            )
            .await?;
        Ok(rows.iter().map(customer_row).collect())
    }

    async fn customer(&self, storefront: &str, id: &str) -> StoreResult<Option<Customer>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT id, email, name, department FROM customers WHERE storefront = $1 AND id = $2",
                &[&storefront, &id],
            )
            .await?;
        Ok(row.as_ref().map(customer_row))
    }

    async fn customer_links(&self, storefront: &str) -> StoreResult<Vec<CustomerLink>> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT plugin, email, customer_code, created, linked_at FROM customer_links
                 WHERE storefront = $1 ORDER BY lower(email), plugin",
                &[&storefront],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| CustomerLink {
                plugin: r.get(0),
                email: r.get(1),
                customer_code: r.get(2),
                created: r.get(3),
                linked_at: iso8601(r.get(4)),
            })
            .collect())
    }

    async fn put_link(
        &self,
        storefront: &str,
        plugin: &str,
        link: &connect_runtime::contract::CustomerLink,
    ) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO customer_links (storefront, plugin, email, customer_code, created, linked_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (storefront, plugin, lower(email))
                 DO UPDATE SET customer_code = $4, linked_at = $6",
                &[&storefront, &plugin, &link.email, &link.customer_code, &link.created, &now()],
            )
            .await?;
        Ok(())
    }

    async fn linked_code(
        &self,
        storefront: &str,
        plugin: &str,
        email: &str,
    ) -> StoreResult<Option<String>> {
        let row = self
            .client()
            .await?
            .query_opt(
                "SELECT customer_code FROM customer_links
                 WHERE storefront = $1 AND plugin = $2 AND lower(email) = lower($3)",
                &[&storefront, &plugin, &email],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }
}

fn department_row(r: &tokio_postgres::Row) -> Department {
    Department {
        id: r.get(0),
        name: r.get(1),
        customer_code: r.get(2),
        plugin_codes: BTreeMap::new(),
    }
}

fn customer_row(r: &tokio_postgres::Row) -> Customer {
    Customer {
        id: r.get(0),
        email: r.get(1),
        name: r.get(2),
        department: r.get(3),
    }
}
