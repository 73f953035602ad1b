//! The demo data set: a small print company's catalogue, customers and stock.
//! The README lists it; tests rely on these identifiers.

use super::Builder;
use crate::model::{
    FinishedSize, FinishingProcess, Paper, PaperCost, PartTemplate, PrintProcess, ProcessLine,
    ProductKind, ProductType, QuantityBreak, StockItem,
};
use crate::money::Money;

/// The API user.
pub const DEMO_API_EMAIL: &str = "api@example.com";
pub const DEMO_API_PASSWORD: &str = "secret";
/// The storefront's default customer code; sees every product.
pub const WEBSHOP: &str = "WEBSHOP";

/// Quantity breaks shared by the demo product types.
pub(super) const BREAKS: [QuantityBreak; 7] = [
    QuantityBreak {
        min_quantity: 1,
        discount_percent: 0,
    },
    QuantityBreak {
        min_quantity: 250,
        discount_percent: 5,
    },
    QuantityBreak {
        min_quantity: 500,
        discount_percent: 10,
    },
    QuantityBreak {
        min_quantity: 1000,
        discount_percent: 15,
    },
    QuantityBreak {
        min_quantity: 2500,
        discount_percent: 20,
    },
    QuantityBreak {
        min_quantity: 5000,
        discount_percent: 25,
    },
    QuantityBreak {
        min_quantity: 10000,
        discount_percent: 30,
    },
];

fn size(code: Option<&str>, width: u32, depth: u32) -> FinishedSize {
    FinishedSize {
        code: code.map(str::to_string),
        width,
        depth,
    }
}

fn process(id: i64, value: u32) -> ProcessLine {
    ProcessLine {
        process_type_id: id,
        value,
    }
}

#[allow(clippy::too_many_arguments)]
fn part(
    id: i64,
    name: &str,
    pages: u32,
    pages_multiple_of: u32,
    paper_code: &str,
    gsm: u32,
    front: &str,
    back: &str,
) -> PartTemplate {
    PartTemplate {
        id,
        name: name.into(),
        pages,
        pages_multiple_of,
        paper_code: paper_code.into(),
        gsm,
        front_process: front.into(),
        back_process: back.into(),
        binding_side: None,
        processes: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn product_type(
    id: i64,
    name: &str,
    kind: ProductKind,
    work_type: &str,
    default_quantity: i64,
    finished_size: FinishedSize,
    setup_pence: i64,
    parts: Vec<PartTemplate>,
    processes: Vec<ProcessLine>,
) -> ProductType {
    ProductType {
        id,
        name: name.into(),
        kind,
        work_type: work_type.into(),
        default_quantity,
        finished_size,
        setup_cost: Money(setup_pence),
        parts,
        processes,
        quantity_breaks: BREAKS.to_vec(),
    }
}

fn paper(code: &str, gsm: u32, description: &str, cost: PaperCost) -> Paper {
    Paper {
        code: code.into(),
        gsm,
        description: description.into(),
        cost,
    }
}

fn finishing(id: i64, name: &str, setup_pence: i64, per_thousand_pence: i64) -> FinishingProcess {
    FinishingProcess {
        id,
        name: name.into(),
        setup_cost: Money(setup_pence),
        per_thousand: Money(per_thousand_pence),
    }
}

pub(super) fn demo() -> Builder {
    use PaperCost::{PerSquareMetre as Sqm, PerThousandSheets as Sheets};
    use ProductKind::{Component, Finished, Part};
    let mut b = Builder::default();
    let c = &mut b.catalog;

    c.papers = vec![
        paper("SILK", 130, "Silk 130gsm", Sheets(Money(2800))),
        paper("SILK", 170, "Silk 170gsm", Sheets(Money(3500))),
        paper("SILK", 250, "Silk 250gsm", Sheets(Money(5600))),
        paper("SILK", 350, "Silk 350gsm", Sheets(Money(8200))),
        paper("GLOSS", 130, "Gloss 130gsm", Sheets(Money(2700))),
        paper("GLOSS", 170, "Gloss 170gsm", Sheets(Money(3400))),
        paper("GLOSS", 300, "Gloss 300gsm", Sheets(Money(6900))),
        paper("UNCOATED", 100, "Uncoated bond 100gsm", Sheets(Money(1900))),
        paper("UNCOATED", 120, "Uncoated bond 120gsm", Sheets(Money(2300))),
        paper(
            "UNCOATED",
            300,
            "Uncoated board 300gsm",
            Sheets(Money(7400)),
        ),
        paper("KRAFT", 350, "Kraft board 350gsm", Sheets(Money(9900))),
        paper(
            "PHOTOSATIN",
            200,
            "Photo satin roll 200gsm",
            Sqm(Money(350)),
        ),
        paper("PVC", 510, "PVC banner 510gsm", Sqm(Money(450))),
    ];
    c.print_processes = vec![
        PrintProcess {
            name: "4 Colour".into(),
            per_thousand_sides: Money(6000),
            per_square_metre: Money(900),
        },
        PrintProcess {
            name: "Black".into(),
            per_thousand_sides: Money(2000),
            per_square_metre: Money(400),
        },
        PrintProcess {
            name: "None".into(),
            per_thousand_sides: Money(0),
            per_square_metre: Money(0),
        },
    ];
    c.finishing = vec![
        finishing(101, "Matt Lamination", 1500, 4000),
        finishing(102, "Gloss Lamination", 1500, 3500),
        finishing(103, "Round Corners", 500, 800),
        finishing(104, "Creasing (per crease)", 1000, 1200),
        finishing(105, "Folding", 1500, 1000),
        finishing(106, "Saddle Stitching", 2000, 3000),
        finishing(107, "Perfect Binding", 5000, 15000),
        finishing(108, "Eyelets (per eyelet)", 0, 20000),
        finishing(109, "Hemming", 500, 50000),
        finishing(110, "Drilling (per hole)", 500, 500),
        finishing(111, "Shrink Wrapping", 300, 1500),
    ];

    let mut cover = part(51, "Cover", 4, 4, "SILK", 250, "4 Colour", "4 Colour");
    cover.binding_side = Some("Left".into());
    let mut text = part(52, "Text", 16, 4, "SILK", 130, "4 Colour", "4 Colour");
    text.binding_side = Some("Left".into());
    c.product_types = vec![
        product_type(
            1,
            "Business Cards",
            Finished,
            "Digital",
            250,
            size(Some("BC"), 85, 55),
            2500,
            vec![part(11, "Card", 2, 1, "SILK", 350, "4 Colour", "4 Colour")],
            vec![],
        ),
        product_type(
            2,
            "Flyers",
            Finished,
            "Litho",
            1000,
            size(Some("A5"), 148, 210),
            4500,
            vec![part(
                21, "Flyer", 2, 1, "GLOSS", 170, "4 Colour", "4 Colour",
            )],
            vec![],
        ),
        product_type(
            3,
            "Folded Leaflets",
            Finished,
            "Litho",
            1000,
            size(Some("A4"), 210, 297),
            4500,
            vec![part(
                31, "Leaflet", 2, 1, "SILK", 170, "4 Colour", "4 Colour",
            )],
            vec![process(105, 1)],
        ),
        product_type(
            4,
            "Posters",
            Finished,
            "Large Format",
            10,
            size(Some("A2"), 420, 594),
            1000,
            vec![part(
                41,
                "Poster",
                1,
                1,
                "PHOTOSATIN",
                200,
                "4 Colour",
                "None",
            )],
            vec![],
        ),
        product_type(
            5,
            "Booklets",
            Finished,
            "Litho",
            100,
            size(Some("A5"), 148, 210),
            7500,
            vec![cover.clone(), text.clone()],
            vec![process(106, 1)],
        ),
        product_type(
            6,
            "PVC Banners",
            Finished,
            "Large Format",
            1,
            size(None, 2000, 800),
            1500,
            vec![part(61, "Banner", 1, 1, "PVC", 510, "4 Colour", "None")],
            vec![process(109, 1), process(108, 8)],
        ),
        product_type(
            7,
            "Letterheads",
            ProductKind::None,
            "Litho",
            500,
            size(Some("A4"), 210, 297),
            3000,
            vec![part(
                71,
                "Letterhead",
                1,
                1,
                "UNCOATED",
                100,
                "4 Colour",
                "None",
            )],
            vec![],
        ),
        product_type(
            8,
            "Booklet Cover",
            Part,
            "Litho",
            100,
            size(Some("A5"), 148, 210),
            0,
            vec![PartTemplate { id: 81, ..cover }],
            vec![],
        ),
        product_type(
            9,
            "Booklet Text",
            Part,
            "Litho",
            100,
            size(Some("A5"), 148, 210),
            0,
            vec![PartTemplate { id: 91, ..text }],
            vec![],
        ),
        product_type(
            10,
            "Compliment Slips",
            ProductKind::None,
            "Digital",
            500,
            size(Some("DL"), 99, 210),
            2000,
            vec![part(101, "Slip", 1, 1, "UNCOATED", 100, "4 Colour", "None")],
            vec![],
        ),
        product_type(
            11,
            "Bespoke Packaging",
            Finished,
            "Bespoke",
            500,
            size(None, 300, 200),
            25000,
            vec![part(111, "Carton", 2, 1, "KRAFT", 350, "4 Colour", "None")],
            vec![],
        ),
        product_type(
            12,
            "Stock Items",
            Component,
            "Stock",
            1,
            size(None, 1, 1),
            0,
            vec![],
            vec![],
        ),
    ];

    b.stock_items = vec![
        stock(1, "PEN-BLUE", "Branded ballpoint pen, blue ink", 5000, 0),
        stock(2, "FOLDER-A4", "A4 presentation folder, 2 pockets", 1200, 0),
        stock(3, "STAND-850", "Roller banner stand 850 x 2000mm", 25, 10),
        stock(
            4,
            "LH-PACK-500",
            "Pre-printed letterheads, pack of 500",
            0,
            20,
        ),
        stock(5, "MUG-WHITE", "Branded mug, white", 150, 0),
    ];

    // (code, name, product type, stock item)
    let products: [(&str, &str, i64, Option<i64>); 17] = [
        ("BC-STD", "Business Cards - Standard, Silk 350gsm", 1, None),
        ("BC-MATT", "Business Cards - Matt Laminated", 1, None),
        ("FLY-A5", "A5 Flyers, Gloss 170gsm", 2, None),
        ("FLY-A6", "A6 Flyers, Gloss 170gsm", 2, None),
        ("LEAF-A4", "A4 Leaflet folded to DL", 3, None),
        ("POS-A2", "A2 Poster, Photo Satin", 4, None),
        ("POS-A1", "A1 Poster, Photo Satin", 4, None),
        ("BKL-A5", "A5 Booklet, saddle stitched", 5, None),
        ("BAN-PVC", "PVC Banner with eyelets", 6, None),
        ("LH-A4", "A4 Letterheads", 7, None),
        ("SLIP-DL", "DL Compliment Slips", 10, None),
        ("PKG-BESPOKE", "Bespoke Printed Packaging", 11, None),
        ("STK-PEN", "Branded Pen (blue)", 12, Some(1)),
        ("STK-FOLDER", "A4 Presentation Folder", 12, Some(2)),
        ("STK-STAND", "Roller Banner Stand 850mm", 12, Some(3)),
        (
            "STK-LHPACK",
            "Pre-printed Letterhead Pack (500)",
            12,
            Some(4),
        ),
        ("STK-MUG", "Branded Mug", 12, Some(5)),
    ];
    let indices: Vec<u32> = products
        .iter()
        .map(|(code, name, pt, stock)| b.add_product(code, name, *pt, *stock))
        .collect();

    let webshop = b.add_customer(
        WEBSHOP,
        "Web Shop (storefront default)",
        "shop@printco.example",
    );
    let acme_mkt = b.add_customer("ACME-MKT", "Acme Ltd - Marketing", "marketing@acme.example");
    let acme_hr = b.add_customer("ACME-HR", "Acme Ltd - HR", "hr@acme.example");
    let globex = b.add_customer("GLOBEX", "Globex Corporation", "purchasing@globex.example");
    b.add_customer("WALKIN", "Walk-in Customer", "counter@printco.example");

    for &i in &indices {
        b.grant(webshop, i);
    }
    // Product IDs are index + 1; grants below name products by ID.
    let grant_ids = |b: &mut Builder, customer: i64, ids: &[u32]| {
        for id in ids {
            b.grant(customer, id - 1);
        }
    };
    grant_ids(&mut b, acme_mkt, &[1, 2, 3, 4, 5, 6, 7, 9, 13, 14, 15, 17]);
    grant_ids(&mut b, acme_hr, &[1, 2, 10, 11, 16]);
    grant_ids(&mut b, globex, &[6, 7, 8, 9, 12, 15]);
    b
}

fn stock(id: i64, code: &str, description: &str, free: i64, on_order: i64) -> StockItem {
    StockItem {
        id,
        code: code.into(),
        description: description.into(),
        free_stock: free,
        on_order,
        allocated: 0,
    }
}
