//! The price model (documented in the README). Deterministic, in integer
//! pence, with `i128` intermediates so no input can overflow it.

use crate::data::Catalog;
use crate::model::{FinishedSize, PaperCost, PriceBreakdown, ProcessLine, ProductType};
use crate::money::Money;

/// Press sheet (SRA3) in millimetres, and the bleed added on every side of
/// each finished piece when imposing it.
pub const SHEET_WIDTH: u32 = 320;
pub const SHEET_DEPTH: u32 = 450;
pub const BLEED: u32 = 3;

/// Standard sizes that `FinishedSize.Code` may name, in millimetres.
pub const STANDARD_SIZES: &[(&str, u32, u32)] = &[
    ("A6", 105, 148),
    ("A5", 148, 210),
    ("A4", 210, 297),
    ("A3", 297, 420),
    ("A2", 420, 594),
    ("A1", 594, 841),
    ("A0", 841, 1189),
    ("DL", 99, 210),
    ("BC", 85, 55),
    ("SQ148", 148, 148),
];

pub fn standard_size(code: &str) -> Option<(u32, u32)> {
    STANDARD_SIZES
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code.trim()))
        .map(|&(_, w, d)| (w, d))
}

/// How many finished pieces (with bleed) fit on one press sheet, trying
/// both orientations.
pub fn up_on_sheet(width: u32, depth: u32) -> u32 {
    let (w, d) = (width + 2 * BLEED, depth + 2 * BLEED);
    let straight = (SHEET_WIDTH / w) * (SHEET_DEPTH / d);
    let rotated = (SHEET_WIDTH / d) * (SHEET_DEPTH / w);
    straight.max(rotated)
}

/// A validated estimate request, defaults resolved.
#[derive(Debug, Clone)]
pub struct EstimateInput {
    pub quantity: i64,
    pub parts: Vec<PartInput>,
    pub processes: Vec<ProcessLine>,
}

/// One part, defaults resolved.
#[derive(Debug, Clone)]
pub struct PartInput {
    pub name: String,
    pub pages: u32,
    pub paper_code: String,
    /// `None`: the lightest weight of the paper code.
    pub gsm: Option<u32>,
    pub front_process: String,
    pub back_process: String,
    pub quantity: i64,
    pub finished_size: FinishedSize,
    pub processes: Vec<ProcessLine>,
}

fn ceil_div(a: i128, b: i128) -> i128 {
    if b == 0 { 0 } else { (a + b - 1) / b }
}

/// Prices a request, or lists every reason it cannot be priced.
pub fn price(
    catalog: &Catalog,
    product_type: &ProductType,
    input: &EstimateInput,
) -> Result<PriceBreakdown, Vec<String>> {
    let mut problems = Vec::new();
    let mut setup = i128::from(product_type.setup_cost.pence());
    let (mut paper, mut printing, mut finishing) = (0i128, 0i128, 0i128);

    let add_processes = |lines: &[ProcessLine], copies: i64, problems: &mut Vec<String>| {
        let mut run = 0i128;
        let mut set = 0i128;
        for line in lines.iter().filter(|l| l.value > 0) {
            match catalog.finishing_process(line.process_type_id) {
                Some(p) => {
                    set += i128::from(p.setup_cost.pence());
                    run += ceil_div(
                        i128::from(copies)
                            * i128::from(line.value)
                            * i128::from(p.per_thousand.pence()),
                        1000,
                    );
                }
                None => problems.push(format!(
                    "Process type {} does not exist.",
                    line.process_type_id
                )),
            }
        }
        (set, run)
    };

    for (i, part) in input.parts.iter().enumerate() {
        let label = format!("Parts[{i}] ('{}')", part.name);
        let weights = catalog.paper_weights(&part.paper_code);
        let chosen = match part.gsm {
            None => weights.first().copied(),
            Some(g) => weights.iter().copied().find(|p| p.gsm == g),
        };
        let Some(stock) = chosen else {
            if weights.is_empty() {
                problems.push(format!(
                    "{label}: paper code '{}' does not exist.",
                    part.paper_code
                ));
            } else {
                let available: Vec<String> = weights.iter().map(|p| p.gsm.to_string()).collect();
                problems.push(format!(
                    "{label}: paper '{}' is not available in {}gsm (available: {}).",
                    part.paper_code,
                    part.gsm.unwrap_or(0),
                    available.join(", ")
                ));
            }
            continue;
        };
        let mut sides = Vec::new();
        for (side, name) in [
            ("FrontProcess", &part.front_process),
            ("BackProcess", &part.back_process),
        ] {
            // A single page has no back to print.
            if side == "BackProcess" && part.pages < 2 {
                continue;
            }
            match catalog.print_process(name) {
                Some(p) => sides.push(p),
                None => problems.push(format!(
                    "{label}: {side} '{name}' is not a known print process (known: {}).",
                    catalog
                        .print_processes
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            }
        }
        let copies = i128::from(part.quantity);
        let leaves = i128::from(part.pages.div_ceil(2));
        match stock.cost {
            PaperCost::PerThousandSheets(per_thousand) => {
                let (w, d) = (part.finished_size.width, part.finished_size.depth);
                let up = up_on_sheet(w, d);
                if up == 0 {
                    problems.push(format!(
                        "{label}: finished size {w}x{d}mm does not fit on an SRA3 sheet \
                         ({SHEET_WIDTH}x{SHEET_DEPTH}mm); use a roll material."
                    ));
                    continue;
                }
                let sheets = ceil_div(copies * leaves, i128::from(up));
                paper += ceil_div(sheets * i128::from(per_thousand.pence()), 1000);
                for p in &sides {
                    printing += ceil_div(sheets * i128::from(p.per_thousand_sides.pence()), 1000);
                }
            }
            PaperCost::PerSquareMetre(per_sqm) => {
                let area = copies
                    * leaves
                    * i128::from(part.finished_size.width)
                    * i128::from(part.finished_size.depth);
                paper += ceil_div(area * i128::from(per_sqm.pence()), 1_000_000);
                for p in &sides {
                    printing += ceil_div(area * i128::from(p.per_square_metre.pence()), 1_000_000);
                }
            }
        }
        let (s, r) = add_processes(&part.processes, part.quantity, &mut problems);
        setup += s;
        finishing += r;
    }
    let (s, r) = add_processes(&input.processes, input.quantity, &mut problems);
    setup += s;
    finishing += r;

    if !problems.is_empty() {
        return Err(problems);
    }
    let discount_percent = product_type
        .quantity_breaks
        .iter()
        .filter(|b| b.min_quantity <= input.quantity)
        .map(|b| b.discount_percent)
        .max()
        .unwrap_or(0);
    let run = paper + printing + finishing;
    let discount = (run * i128::from(discount_percent) + 50) / 100;
    let total = setup + run - discount;
    let money = |v: i128| Money(i64::try_from(v).unwrap_or(i64::MAX));
    Ok(PriceBreakdown {
        setup: money(setup),
        paper: money(paper),
        printing: money(printing),
        finishing: money(finishing),
        discount_percent,
        discount: money(discount),
        total: money(total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{DataOptions, build};

    fn default_input(pt: &ProductType, quantity: i64) -> EstimateInput {
        EstimateInput {
            quantity,
            parts: pt
                .parts
                .iter()
                .map(|p| PartInput {
                    name: p.name.clone(),
                    pages: p.pages,
                    paper_code: p.paper_code.clone(),
                    gsm: Some(p.gsm),
                    front_process: p.front_process.clone(),
                    back_process: p.back_process.clone(),
                    quantity,
                    finished_size: pt.finished_size.clone(),
                    processes: p.processes.clone(),
                })
                .collect(),
            processes: pt.processes.clone(),
        }
    }

    #[test]
    fn imposition() {
        assert_eq!(up_on_sheet(85, 55), 21);
        assert_eq!(up_on_sheet(148, 210), 4);
        assert_eq!(up_on_sheet(210, 297), 2);
        assert_eq!(up_on_sheet(420, 594), 0);
    }

    #[test]
    fn business_cards_worked_example() {
        // The README's worked example: 250 business cards.
        let data = build(&DataOptions::default());
        let pt = data.catalog.product_type(1).cloned().expect("type 1");
        let b = price(&data.catalog, &pt, &default_input(&pt, 250)).expect("priced");
        assert_eq!(b.setup, Money(2500));
        assert_eq!(b.paper, Money(99));
        assert_eq!(b.printing, Money(144));
        assert_eq!(b.discount_percent, 5);
        assert_eq!(b.discount, Money(12));
        assert_eq!(b.total, Money(2731));
    }

    #[test]
    fn every_demo_type_prices() {
        let data = build(&DataOptions::default());
        for pt in &data.catalog.product_types {
            let r = price(&data.catalog, pt, &default_input(pt, pt.default_quantity));
            assert!(r.is_ok(), "{}: {r:?}", pt.name);
        }
    }

    #[test]
    fn more_copies_cost_less_each() {
        let data = build(&DataOptions::default());
        let pt = data.catalog.product_type(2).cloned().expect("type 2");
        let each = |q: i64| {
            let b = price(&data.catalog, &pt, &default_input(&pt, q)).expect("priced");
            b.total.pence() as f64 / q as f64
        };
        assert!(each(5000) < each(1000));
        assert!(each(1000) < each(100));
    }
}
