//! The demo data: customers, a category tree with filters, ready-made
//! products, inventory items with stock, and the demo credentials.

use crate::model::{Customer, Filter, FilterValue, InventoryItem, Location, Product, TreeNode};
use sim_kit::money::Money;

/// The storefront's printIQ customer (price list level 3: list prices).
pub const WEBSHOP: &str = "WEBSHOP";
/// A trade customer (level 4: 5 % off) that sees business cards and
/// flyers only.
pub const ACME_MKT: &str = "ACME-MKT";
/// An inactive customer: every price answers an error.
pub const INACTIVE_CUSTOMER: &str = "OLDCO";

/// QuoteProcess login of the demo API user.
pub const DEMO_USER_NAME: &str = "api-user";
pub const DEMO_PASSWORD: &str = "secret";
pub const DEMO_APPLICATION_NAME: &str = "connect";
pub const DEMO_APPLICATION_KEY: &str = "demo-app-key";
/// Webhook-service headers `PrintIQ-API-Name` / `PrintIQ-API-Key`.
pub const DEMO_API_NAME: &str = "connect";
pub const DEMO_API_KEY: &str = "demo-api-key";

/// The catalogue and stock as loaded.
#[derive(Debug, Clone)]
pub struct DemoData {
    pub customers: Vec<Customer>,
    pub tree: Vec<TreeNode>,
    pub products: Vec<Product>,
    pub inventory: Vec<InventoryItem>,
}

fn m(minor: i64) -> Money {
    Money::from_minor(minor)
}

fn value(name: &str, value: &str, setup: i64, per_1000: i64) -> FilterValue {
    FilterValue {
        name: name.into(),
        value: value.into(),
        setup: m(setup),
        per_1000: m(per_1000),
    }
}

fn filter(name: &str, values: Vec<FilterValue>) -> Filter {
    Filter {
        name: name.into(),
        values,
    }
}

fn category(id: i64, name: &str) -> TreeNode {
    TreeNode {
        id,
        name: name.into(),
        parent: 0,
        filters: Vec::new(),
        setup: Money::ZERO,
        per_1000: Money::ZERO,
        min_quantity: 1,
        please_call: false,
    }
}

fn leaf(
    id: i64,
    parent: i64,
    name: &str,
    (setup, per_1000, min_quantity): (i64, i64, i64),
    filters: Vec<Filter>,
) -> TreeNode {
    TreeNode {
        id,
        name: name.into(),
        parent,
        filters,
        setup: m(setup),
        per_1000: m(per_1000),
        min_quantity,
        please_call: false,
    }
}

fn process(both: i64, front: i64) -> Filter {
    filter(
        "Process",
        vec![
            value("Full colour both sides", "51,1", 0, both),
            value("Full colour front only", "51,0", 0, front),
        ],
    )
}

fn flyer_stock() -> Filter {
    filter(
        "Stock",
        vec![
            value("Gloss 130gsm", "7001", 0, 1400),
            value("Silk 170gsm", "7002", 0, 1800),
            value("Silk 250gsm", "7003", 0, 2800),
        ],
    )
}

fn tree() -> Vec<TreeNode> {
    vec![
        category(1000, "Business Cards"),
        leaf(
            1011,
            1000,
            "Business Cards - Standard",
            (2000, 1500, 50),
            vec![
                filter(
                    "Stock",
                    vec![
                        value("Silk 350gsm", "6933", 0, 800),
                        value("Matt 400gsm", "6934", 0, 1200),
                        value("Uncoated 300gsm", "6935", 0, 600),
                    ],
                ),
                filter(
                    "FinishSize",
                    vec![
                        value("85 x 55 mm", "41", 0, 0),
                        value("90 x 55 mm", "42", 0, 100),
                    ],
                ),
                process(900, 400),
                filter(
                    "Finishing",
                    vec![
                        value("None", "0", 0, 0),
                        value("Matt lamination", "L1", 1500, 2500),
                        value("Round corners", "R1", 500, 800),
                    ],
                ),
            ],
        ),
        category(1100, "Flyers & Leaflets"),
        leaf(
            1111,
            1100,
            "Flyers",
            (2500, 1000, 100),
            vec![
                flyer_stock(),
                filter(
                    "FinishSize",
                    vec![
                        value("A6", "10", 0, 0),
                        value("A5", "11", 0, 1500),
                        value("A4", "12", 0, 4000),
                    ],
                ),
                process(1800, 900),
            ],
        ),
        leaf(
            1112,
            1100,
            "Folded Leaflets",
            (3500, 2000, 100),
            vec![
                flyer_stock(),
                filter(
                    "FinishSize",
                    vec![value("A5", "11", 0, 1500), value("A4", "12", 0, 4000)],
                ),
                process(1800, 900),
                filter(
                    "Fold",
                    vec![
                        value("Half fold", "F1", 1000, 1200),
                        value("Roll fold", "F2", 1500, 1800),
                    ],
                ),
            ],
        ),
        category(1200, "Large Format"),
        leaf(
            1211,
            1200,
            "Posters",
            (1500, 0, 1),
            vec![
                filter(
                    "Stock",
                    vec![value("Photo satin 200gsm", "8001", 0, 150_000)],
                ),
                filter(
                    "FinishSize",
                    vec![
                        value("A2", "20", 0, 0),
                        value("A1", "21", 0, 150_000),
                        value("A0", "22", 0, 400_000),
                    ],
                ),
                filter("Process", vec![value("Full colour", "51,0", 0, 0)]),
            ],
        ),
        TreeNode {
            please_call: true,
            ..leaf(
                1212,
                1200,
                "Banners",
                (0, 0, 1),
                vec![
                    filter("Stock", vec![value("PVC 510gsm", "8101", 0, 0)]),
                    filter("FinishSize", vec![value("Custom", "99", 0, 0)]),
                ],
            )
        },
    ]
}

fn product(
    code: &str,
    description: &str,
    node: i64,
    (setup, per_1000, min_quantity): (i64, i64, i64),
) -> Product {
    Product {
        code: code.into(),
        description: description.into(),
        tree_node_id: Some(node),
        setup: m(setup),
        per_1000: m(per_1000),
        min_quantity,
        please_call: false,
    }
}

fn products() -> Vec<Product> {
    vec![
        product(
            "BC-STD",
            "Business Cards - Standard, Silk 350gsm, 85 x 55 mm, full colour both sides",
            1011,
            (2500, 3200, 50),
        ),
        product(
            "BC-MATT",
            "Business Cards - Matt laminated, 400gsm, full colour both sides",
            1011,
            (4000, 5400, 50),
        ),
        product(
            "FLY-A5",
            "Flyers A5, Silk 170gsm, full colour both sides",
            1111,
            (3000, 5100, 100),
        ),
        product(
            "FLY-A4",
            "Flyers A4, Silk 170gsm, full colour both sides",
            1111,
            (3500, 7800, 100),
        ),
        product(
            "LEAF-A4-HALF",
            "Folded leaflets A4 to A5, half fold, Silk 170gsm",
            1112,
            (5000, 9800, 100),
        ),
        product(
            "POS-A2",
            "Posters A2, photo satin 200gsm",
            1211,
            (1500, 150_000, 1),
        ),
        Product {
            please_call: true,
            ..product(
                "BANNER-PVC",
                "PVC banner, hemmed with eyelets",
                1212,
                (0, 0, 1),
            )
        },
    ]
}

fn customer(
    id: i64,
    code: &str,
    name: &str,
    email: &str,
    level: u8,
    nodes: Option<Vec<i64>>,
) -> Customer {
    Customer {
        id,
        code: code.into(),
        name: name.into(),
        email: email.into(),
        phone: format!("+44 20 7946 {:04}", 100 + id),
        active: true,
        price_list_level: level,
        tree_nodes: nodes,
    }
}

fn customers() -> Vec<Customer> {
    vec![
        customer(
            1,
            WEBSHOP,
            "Web Shop Customers",
            "orders@webshop.example",
            3,
            None,
        ),
        customer(
            2,
            ACME_MKT,
            "Acme Marketing Ltd",
            "print@acme-marketing.example",
            4,
            Some(vec![1000, 1100]),
        ),
        Customer {
            active: false,
            ..customer(
                3,
                INACTIVE_CUSTOMER,
                "Old Company Ltd",
                "info@oldco.example",
                3,
                None,
            )
        },
    ]
}

fn location(il_key: i64, il_name: &str, on_hand: i64, allocated: i64) -> Location {
    Location {
        il_key,
        il_name: il_name.into(),
        on_hand,
        allocated,
        available: on_hand - allocated,
    }
}

fn inventory() -> Vec<InventoryItem> {
    let item =
        |ii_key: i64, code: &str, description: &str, locations: Vec<Location>| InventoryItem {
            ii_key,
            ii_code: code.into(),
            ii_description: description.into(),
            locations,
        };
    vec![
        item(
            501,
            "ENV-DL-WHITE",
            "DL envelopes, white, self-seal (box of 500)",
            vec![
                location(1, "Main Warehouse", 1200, 200),
                location(2, "Dispatch", 40, 0),
            ],
        ),
        item(
            502,
            "PEN-BLUE",
            "Branded ballpoint pen, blue",
            vec![location(1, "Main Warehouse", 5000, 1500)],
        ),
        item(
            503,
            "FOLDER-A4",
            "Presentation folder A4, printed",
            vec![location(1, "Main Warehouse", 0, 0)],
        ),
        item(
            504,
            "BC-BLANK",
            "Blank business card stock, Silk 350gsm (pack of 1000)",
            vec![location(1, "Main Warehouse", 85, 10)],
        ),
    ]
}

pub fn demo() -> DemoData {
    DemoData {
        customers: customers(),
        tree: tree(),
        products: products(),
        inventory: inventory(),
    }
}
