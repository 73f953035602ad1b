//! Paging against a server that answers fewer items a page than asked (the
//! connector asks 500; this simulator answers at most 100).

use crate::calls_to;
use crate::common::*;
use tharstern_sim::WEBSHOP;
use tharstern_sim::model::ProductKind;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_capping_the_page_size_still_gives_the_whole_catalogue() {
    let sim = sim_with(sim_builder().products(1234).max_page_size(100)).await;
    let rt = runtime().await;
    let t = tenant(&rt, "capped", settings(&sim, &[])).await;
    let started = std::time::Instant::now();
    let report = rt.refresh_catalogue(&t, "tharstern").await.unwrap();
    let took = started.elapsed();

    // What the simulator holds for WEBSHOP, of the default kinds (Finished, None).
    let state = sim.state();
    let catalog = state.catalog();
    let webshop = state.customers().into_iter().find(|c| c.code == WEBSHOP);
    let webshop = webshop.unwrap().id;
    let kind = |type_id| catalog.product_type(type_id).map(|t| t.kind);
    let expected = catalog
        .products_for(webshop)
        .filter(|p| {
            matches!(
                kind(p.product_type_id),
                Some(ProductKind::Finished | ProductKind::None)
            )
        })
        .count();
    let visible = catalog.product_count_for(webshop);
    assert!(visible > 1234, "{visible}");
    assert_eq!(report.products as usize, expected, "{report:?}");
    // Pages of 100 to the total, and not one more.
    assert_eq!(calls_to(&sim, "products"), visible.div_ceil(100));
    eprintln!(
        "capped at 100 a page: {} of {visible} visible products kept (default filter), {} pages, {} ms",
        report.products,
        visible.div_ceil(100),
        took.as_millis()
    );

    // Every product is served, the last generated one too.
    let all = rt.products(&t, "tharstern", 0, 1000, None).await.unwrap();
    assert_eq!(all.total as usize, expected);
    let last = catalog.products.last().unwrap();
    let found = rt
        .products(&t, "tharstern", 0, 10, Some(&last.code))
        .await
        .unwrap();
    let in_filter = matches!(
        kind(last.product_type_id),
        Some(ProductKind::Finished | ProductKind::None)
    );
    assert_eq!(
        found.items.iter().any(|p| p.code == last.code),
        in_filter,
        "{found:?}"
    );
}
