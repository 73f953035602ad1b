//! The simulator's data set: the immutable catalogue (product types, papers,
//! processes, products and who may see them) and the initial mutable records
//! (customers, stock items).

mod demo;
mod generate;

use crate::model::{
    Customer, FinishingProcess, Paper, PrintProcess, Product, ProductType, StockItem,
};
use std::collections::HashMap;

pub use demo::{DEMO_API_EMAIL, DEMO_API_PASSWORD, WEBSHOP};

/// What to load.
#[derive(Debug, Clone, Default)]
pub struct DataOptions {
    /// Extra generated products (`GEN-000001`...), visible to `WEBSHOP`.
    pub products: usize,
    /// Extra generated customers (`CUST00001`...).
    pub customers: usize,
    /// Seed of the generator.
    pub seed: u64,
}

/// Reference data that never changes while the simulator runs, so it is
/// read without any lock.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub product_types: Vec<ProductType>,
    pub papers: Vec<Paper>,
    pub print_processes: Vec<PrintProcess>,
    pub finishing: Vec<FinishingProcess>,
    pub products: Vec<Product>,
    product_by_code: HashMap<String, usize>,
    /// Customer ID -> indices into `products`, ascending.
    access: HashMap<i64, Vec<u32>>,
}

impl Catalog {
    pub fn product_type(&self, id: i64) -> Option<&ProductType> {
        self.product_types.iter().find(|t| t.id == id)
    }

    /// All weights of a paper code, lightest first.
    pub fn paper_weights(&self, code: &str) -> Vec<&Paper> {
        let mut papers: Vec<&Paper> = self
            .papers
            .iter()
            .filter(|p| p.code.eq_ignore_ascii_case(code))
            .collect();
        papers.sort_by_key(|p| p.gsm);
        papers
    }

    pub fn print_process(&self, name: &str) -> Option<&PrintProcess> {
        self.print_processes
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name.trim()))
    }

    pub fn finishing_process(&self, id: i64) -> Option<&FinishingProcess> {
        self.finishing.iter().find(|p| p.id == id)
    }

    pub fn product_by_code(&self, code: &str) -> Option<&Product> {
        self.product_by_code
            .get(&code.trim().to_ascii_uppercase())
            .map(|&i| &self.products[i])
    }

    /// The products a customer may see, in ID order.
    pub fn products_for(&self, customer_id: i64) -> impl Iterator<Item = &Product> {
        self.visible_to(customer_id)
            .iter()
            .map(|&i| &self.products[i as usize])
    }

    /// The indices (into `products`) of what a customer may see, in ID order.
    pub fn visible_to(&self, customer_id: i64) -> &[u32] {
        self.access
            .get(&customer_id)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// How many products a customer may see.
    pub fn product_count_for(&self, customer_id: i64) -> usize {
        self.access.get(&customer_id).map_or(0, Vec::len)
    }
}

/// Catalogue plus the initial customers and stock.
#[derive(Debug, Clone, Default)]
pub struct DataSet {
    pub catalog: Catalog,
    pub customers: Vec<Customer>,
    pub stock_items: Vec<StockItem>,
}

/// Builds the demo data set plus the generated extras. Deterministic for
/// given options.
pub fn build(options: &DataOptions) -> DataSet {
    let mut b = demo::demo();
    generate::extend(&mut b, options);
    b.finish()
}

/// A data set under construction: access is collected as pairs and indexed
/// once at the end.
#[derive(Debug, Default)]
struct Builder {
    catalog: Catalog,
    customers: Vec<Customer>,
    stock_items: Vec<StockItem>,
    /// (customer ID, product index)
    grants: Vec<(i64, u32)>,
}

impl Builder {
    fn add_product(
        &mut self,
        code: &str,
        name: &str,
        product_type_id: i64,
        stock_item_id: Option<i64>,
    ) -> u32 {
        let index = self.catalog.products.len();
        self.catalog.products.push(Product {
            id: index as i64 + 1,
            code: code.to_string(),
            name: name.to_string(),
            product_type_id,
            stock_item_id,
        });
        index as u32
    }

    fn add_customer(&mut self, code: &str, name: &str, email: &str) -> i64 {
        let id = self.customers.len() as i64 + 1;
        self.customers.push(Customer {
            id,
            code: code.to_string(),
            name: name.to_string(),
            email: email.to_string(),
        });
        id
    }

    fn grant(&mut self, customer_id: i64, product_index: u32) {
        self.grants.push((customer_id, product_index));
    }

    fn customer_id(&self, code: &str) -> Option<i64> {
        self.customers.iter().find(|c| c.code == code).map(|c| c.id)
    }

    fn finish(mut self) -> DataSet {
        let catalog = &mut self.catalog;
        catalog.product_by_code = catalog
            .products
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.to_ascii_uppercase(), i))
            .collect();
        let mut access: HashMap<i64, Vec<u32>> = HashMap::new();
        for (customer, product) in self.grants {
            access.entry(customer).or_default().push(product);
        }
        for list in access.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        catalog.access = access;
        DataSet {
            catalog: self.catalog,
            customers: self.customers,
            stock_items: self.stock_items,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_data_is_consistent() {
        let data = build(&DataOptions::default());
        let c = &data.catalog;
        for p in &c.products {
            assert!(c.product_type(p.product_type_id).is_some(), "{}", p.code);
            if let Some(s) = p.stock_item_id {
                assert!(data.stock_items.iter().any(|i| i.id == s));
            }
        }
        for t in &c.product_types {
            for part in &t.parts {
                assert!(!c.paper_weights(&part.paper_code).is_empty());
                assert!(c.print_process(&part.front_process).is_some());
            }
        }
        let webshop = data
            .customers
            .iter()
            .find(|x| x.code == WEBSHOP)
            .map(|x| x.id);
        assert_eq!(c.product_count_for(webshop.unwrap_or(0)), c.products.len());
    }

    #[test]
    fn generator_is_deterministic() {
        let opts = DataOptions {
            products: 500,
            customers: 20,
            seed: 9,
        };
        let a = build(&opts);
        let b = build(&opts);
        assert_eq!(a.catalog.products.len(), b.catalog.products.len());
        assert!(
            a.catalog
                .products
                .iter()
                .zip(&b.catalog.products)
                .all(|(x, y)| x.name == y.name && x.product_type_id == y.product_type_id)
        );
        assert_eq!(a.customers, b.customers);
        assert!(a.catalog.product_by_code("gen-000500").is_some());
    }
}
