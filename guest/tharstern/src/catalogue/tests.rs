//! The catalogue: paged, filtered, cached, bounded.

use crate::test_support::*;
use crate::*;

#[test]
fn catalogue_is_paged_filtered_cached_and_served_in_pages() {
    let fake = mis();
    with_catalogue(&fake, 1200);
    let c = connector(&fake);
    let r = c.refresh_catalogue().unwrap();
    // Types 1 and 2 pass the default filter (Finished, None); type 3 is a Part.
    assert_eq!(
        r,
        CatalogueReport {
            product_types: 2,
            products: 800
        }
    );
    assert_eq!(
        fake.count(Method::Get, "products"),
        3,
        "1200 products in pages of 500"
    );

    let calls = fake.total_calls();
    let page = c.products(0, 10, None).unwrap();
    assert_eq!(page.total, 800);
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.items[0].code, "P00000");
    assert_eq!(page.items[0].product_ref, "P00000");
    assert_eq!(page.items[0].kind, "Business Cards (Finished)");
    assert_eq!(page.items[1].code, "P00001");
    assert_eq!(page.items[2].code, "P00003");
    // Across a cached page boundary (the first page holds 334 entries).
    let page = c.products(330, 8, None).unwrap();
    let codes: Vec<&str> = page.items.iter().map(|i| i.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "P00495", "P00496", "P00498", "P00499", "P00501", "P00502", "P00504", "P00505"
        ]
    );
    assert_eq!(c.products(799, 10, None).unwrap().items.len(), 1);
    assert_eq!(c.products(5000, 10, None).unwrap().items.len(), 0);
    let found = c.products(0, 3, Some("product 11")).unwrap();
    // Product 11, 110-119 and 1100-1199, less those of type 3 (i % 3 == 2).
    assert_eq!(found.total, 72);
    assert_eq!(found.items.len(), 3);
    assert_eq!(fake.total_calls(), calls, "pages are served from the cache");

    // Expired: refreshed on demand. Forced: refetched.
    fake.advance(1440 * 60 + 1);
    c.products(0, 1, None).unwrap();
    assert_eq!(fake.count(Method::Get, "producttypes"), 2);
    c.refresh_catalogue().unwrap();
    assert_eq!(fake.count(Method::Get, "producttypes"), 3);
}

#[test]
fn catalogue_stays_bounded_for_100k_products() {
    let fake = mis();
    with_catalogue(&fake, 100_000);
    let c = Tharstern::new(
        fake.host(),
        settings_with(&[("product_type_filter", "Finished,None,Part,Component")]),
    );
    let r = c.refresh_catalogue().unwrap();
    assert_eq!(r.products, 100_000);
    let largest = fake
        .cache_keys()
        .iter()
        .map(|k| fake.cache_get(k).unwrap().len())
        .max()
        .unwrap();
    assert!(largest < 64 * 1024, "largest cache entry {largest} bytes");
    let page = c.products(99_990, 50, None).unwrap();
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.items[9].code, "P99999");
}
