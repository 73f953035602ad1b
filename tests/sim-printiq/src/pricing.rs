//! The price model: integer minor units throughout, deterministic from the
//! product (a code, or a tree node plus filter values), the quantity, the
//! kinds and the customer's price list level. printIQ's own estimating is
//! not public; this model is the simulator's (inferred).
//!
//! 1. `setup` = (product or node setup + every chosen filter value's setup)
//!    × kinds.
//! 2. `run` = ceil(quantity × (per-1000 of product or node + filter values)
//!    / 1000).
//! 3. `discount` = round-half-up(run × break% / 100), breaks by quantity:
//!    1: 0 %, 250: 5 %, 500: 10 %, 1000: 15 %, 2500: 20 %, 5000: 25 %,
//!    10000: 30 %.
//! 4. `net` = setup + run − discount.
//! 5. `price` = round-half-up(net × (100 + markup%) / 100), markup by price
//!    list level: 1: +25 %, 2: +10 %, 3: 0 %, 4: −5 %, 5: −10 %.
//!
//! Freight (deliveries): per delivery by `FreightMethod`: `Standard` 7.95,
//! `Express` 15.95, `Collection` 0; or `TargetFreightPrice` when given.

use serde::Serialize;
use sim_kit::money::Money;

pub const QUANTITY_BREAKS: [(i64, i64); 7] = [
    (1, 0),
    (250, 5),
    (500, 10),
    (1000, 15),
    (2500, 20),
    (5000, 25),
    (10000, 30),
];

pub const FREIGHT_METHODS: [(&str, i64); 3] =
    [("Standard", 795), ("Express", 1595), ("Collection", 0)];

/// Markup (percent, may be negative) of a price list level (1..=5).
pub fn markup_percent(level: u8) -> i64 {
    match level {
        1 => 25,
        2 => 10,
        4 => -5,
        5 => -10,
        _ => 0,
    }
}

/// The discount percent of a quantity.
pub fn break_percent(quantity: i64) -> i64 {
    QUANTITY_BREAKS
        .iter()
        .rev()
        .find(|(from, _)| quantity >= *from)
        .map_or(0, |(_, pct)| *pct)
}

/// The canonical freight method name and its price, if known.
pub fn freight(method: &str) -> Option<(&'static str, Money)> {
    FREIGHT_METHODS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(method.trim()))
        .map(|(name, minor)| (*name, Money::from_minor(*minor)))
}

/// `round_half_up(a × num / den)` for non-negative `a × num`, and toward
/// the nearest for negative ones.
fn ratio(a: i64, num: i64, den: i64) -> i64 {
    let p = i128::from(a) * i128::from(num);
    let d = i128::from(den);
    let q = if p >= 0 {
        (p + d / 2) / d
    } else {
        -((-p + d / 2) / d)
    };
    q as i64
}

/// How a price came about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Breakdown {
    pub setup: Money,
    pub run: Money,
    pub break_percent: i64,
    pub discount: Money,
    pub net: Money,
    pub price_list_level: u8,
    pub markup_percent: i64,
    pub price: Money,
}

/// Prices `quantity` (× `kinds` setups) with the summed setup and per-1000
/// rates.
pub fn price(setup: Money, per_1000: Money, quantity: i64, kinds: i64, level: u8) -> Breakdown {
    let setup = setup.minor() * kinds.max(1);
    let run_total = i128::from(quantity) * i128::from(per_1000.minor());
    let run = ((run_total + 999) / 1000) as i64;
    let pct = break_percent(quantity);
    let discount = ratio(run, pct, 100);
    let net = setup + run - discount;
    let markup = markup_percent(level);
    let price = ratio(net, 100 + markup, 100);
    Breakdown {
        setup: Money::from_minor(setup),
        run: Money::from_minor(run),
        break_percent: pct,
        discount: Money::from_minor(discount),
        net: Money::from_minor(net),
        price_list_level: level,
        markup_percent: markup,
        price: Money::from_minor(price),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worked_example() {
        // BC-STD, 500, WEBSHOP (level 3): 25.00 + 16.00 − 1.60 = 39.40.
        let b = price(Money::from_minor(2500), Money::from_minor(3200), 500, 1, 3);
        assert_eq!(b.run, Money::from_minor(1600));
        assert_eq!(b.discount, Money::from_minor(160));
        assert_eq!(b.price, Money::from_minor(3940));
        // Level 4 (−5 %): 39.40 × 0.95 = 37.43.
        let b = price(Money::from_minor(2500), Money::from_minor(3200), 500, 1, 4);
        assert_eq!(b.price, Money::from_minor(3743));
        // Two kinds: setup twice.
        let b = price(Money::from_minor(2500), Money::from_minor(3200), 500, 2, 3);
        assert_eq!(b.price, Money::from_minor(6440));
    }

    #[test]
    fn run_rounds_up_and_breaks_apply() {
        let b = price(Money::ZERO, Money::from_minor(1), 1, 1, 3);
        assert_eq!(b.run, Money::from_minor(1));
        assert_eq!(break_percent(249), 0);
        assert_eq!(break_percent(250), 5);
        assert_eq!(break_percent(1_000_000), 30);
        assert_eq!(freight("express").map(|f| f.0), Some("Express"));
        assert!(freight("Pigeon").is_none());
    }
}
