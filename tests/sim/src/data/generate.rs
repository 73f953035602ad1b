//! Deterministic bulk data (`--products N`, `--customers N`) for load and
//! paging tests. Generated products are visible to `WEBSHOP`, and each one
//! also to one generated customer, round robin.

use super::{Builder, DataOptions, demo::WEBSHOP};
use crate::rng::SplitMix64;

const ADJECTIVES: [&str; 12] = [
    "Premium", "Classic", "Eco", "Deluxe", "Budget", "Bold", "Minimal", "Vivid", "Matt", "Gloss",
    "Textured", "Recycled",
];
const ITEMS: [(&str, i64); 7] = [
    ("Business Cards", 1),
    ("Flyers", 2),
    ("Leaflets", 3),
    ("Posters", 4),
    ("Booklets", 5),
    ("Banners", 6),
    ("Letterheads", 7),
];
const COMPANIES: [&str; 10] = [
    "Northwind",
    "Contoso",
    "Fabrikam",
    "Tailspin",
    "Litware",
    "Proseware",
    "Wingtip",
    "Adventure Works",
    "Coho",
    "Lucerne",
];
const DEPARTMENTS: [&str; 6] = [
    "Marketing",
    "Sales",
    "HR",
    "Finance",
    "Events",
    "Facilities",
];

pub(super) fn extend(b: &mut Builder, options: &DataOptions) {
    let mut rng = SplitMix64::new(options.seed ^ 0x5151_D47A);
    b.catalog.products.reserve(options.products);
    b.grants.reserve(options.products * 2);

    let first_customer = b.customers.len() as i64 + 1;
    for i in 1..=options.customers {
        let company = COMPANIES[rng.below(COMPANIES.len() as u64) as usize];
        let department = DEPARTMENTS[rng.below(DEPARTMENTS.len() as u64) as usize];
        b.add_customer(
            &format!("CUST{i:05}"),
            &format!("{company} {i} - {department}"),
            &format!("buyer{i:05}@customer{i:05}.example"),
        );
    }

    let Some(webshop) = b.customer_id(WEBSHOP) else {
        return;
    };
    for i in 1..=options.products {
        let adjective = ADJECTIVES[rng.below(ADJECTIVES.len() as u64) as usize];
        let (item, product_type) = ITEMS[rng.below(ITEMS.len() as u64) as usize];
        let index = b.add_product(
            &format!("GEN-{i:06}"),
            &format!("{adjective} {item} #{i}"),
            product_type,
            None,
        );
        b.grant(webshop, index);
        if options.customers > 0 {
            b.grant(first_customer + ((i - 1) % options.customers) as i64, index);
        }
    }
}
