use std::collections::HashMap;

use super::*;
use crate::testing::TestPlatform;

fn n(id: i64, children: Option<Vec<Node>>) -> Node {
    Node {
        id,
        name: format!("N{id}"),
        children,
    }
}

#[test]
fn the_tree_is_walked_to_its_leaves_once_each() {
    let p = TestPlatform::default();
    let mut asked = Vec::new();
    // Root: 1 (children inline: leaf 2, and 3 to ask), 4 (to ask, a leaf).
    // 3 lists 5 (a leaf) and 1 again (a cycle).
    let (leaves, seen) = walk_tree(&p, 0, 100, |id| {
        asked.push(id);
        Ok(match id {
            0 => vec![n(1, Some(vec![n(2, Some(vec![])), n(3, None)])), n(4, None)],
            3 => vec![n(5, Some(vec![])), n(1, Some(vec![]))],
            _ => vec![],
        })
    })
    .unwrap();
    let names: Vec<(i64, &str)> = leaves.iter().map(|(id, p)| (*id, p.as_str())).collect();
    assert_eq!(names, [(2, "N1 > N2"), (5, "N1 > N3 > N5"), (4, "N4")]);
    assert_eq!(seen, 5);
    asked.sort();
    assert_eq!(asked, [0, 3, 4]);
}

#[test]
fn a_walk_stops_at_its_bound() {
    let p = TestPlatform::default();
    let wide: HashMap<i64, Vec<i64>> = HashMap::from([(0, (1..=50).collect())]);
    let (leaves, seen) = walk_tree(&p, 0, 10, |id| {
        let ids = wide.get(&id).cloned().unwrap_or_default();
        Ok(ids.into_iter().map(|i| n(i, Some(vec![]))).collect())
    })
    .unwrap();
    assert_eq!((leaves.len(), seen), (10, 10));
    assert!(p.logs_text().contains("more than 10 nodes"));
    // Nodes counted before the bound, listed without their children, are
    // still asked, and each that has none is a leaf.
    let p = TestPlatform::default();
    let (leaves, seen) = walk_tree(&p, 0, 10, |id| {
        Ok(match id {
            0 => (1..=50).map(|i| n(i, None)).collect(),
            _ => vec![],
        })
    })
    .unwrap();
    assert_eq!((leaves.len(), seen), (10, 10));
    assert_eq!(
        p.logs_text().matches("more than 10 nodes").count(),
        1,
        "warned once"
    );
    let failed = walk_tree(&p, 0, 10, |_| Err(PluginError::Unreachable("down".into())));
    assert!(failed.is_err());
}

#[test]
fn a_page_searches_name_and_code_and_counts_every_match() {
    let items = (1..=30).map(|i| ProductSummary {
        product_ref: format!("node:{i}"),
        code: format!("C{i}"),
        name: if i % 2 == 0 {
            format!("Flyer {i}")
        } else {
            format!("Card {i}")
        },
        kind: String::new(),
    });
    let all = page(items.clone(), 25, 10, 1000, None);
    assert_eq!((all.total, all.items.len()), (30, 5));
    let flyers = page(items.clone(), 0, 3, 1000, Some("  FLYER "));
    assert_eq!(flyers.total, 15);
    assert_eq!(flyers.items[0].name, "Flyer 2");
    assert_eq!(
        page(items.clone(), 0, 100, 4, None).items.len(),
        4,
        "capped"
    );
    assert_eq!(page(items, 0, 10, 1000, Some("c7")).total, 1);
}
