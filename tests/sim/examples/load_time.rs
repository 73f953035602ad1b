//! Measures how long generating and loading N products takes, and how fast
//! the first and last page of the product list come back.
//!
//! `cargo run --release -p tharstern-sim --example load_time -- 100000 [customers]`

use std::time::{Duration, Instant};
use tharstern_sim::Simulator;
use tharstern_sim::data::{DataOptions, build};

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let products: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let customers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(1_000);

    let t = Instant::now();
    let data = build(&DataOptions {
        products,
        customers,
        seed: 1,
    });
    println!(
        "generate {} products + {} customers (data only): {}",
        data.catalog.products.len(),
        data.customers.len(),
        ms(t.elapsed())
    );

    let t = Instant::now();
    let sim = Simulator::builder()
        .demo_data()
        .products(products)
        .customers(customers)
        .start()
        .await?;
    let started = t.elapsed();
    println!(
        "start simulator (generate + load + listen): {}",
        ms(started)
    );

    let token = sim.issue_token();
    let client = reqwest::Client::new();
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &token)
    );
    let last_page = (products + 17).div_ceil(1000);
    for page in [1, last_page] {
        let t = Instant::now();
        let r = client
            .get(sim.url(&format!(
                "products?customerCode=WEBSHOP&pageSize=1000&page={page}"
            )))
            .header("Authorization", &auth)
            .send()
            .await?;
        let status = r.status();
        let body = r.bytes().await?;
        println!(
            "GET products page {page} of {last_page} (1000 items): {status}, {} bytes, {}",
            body.len(),
            ms(t.elapsed())
        );
    }
    if started > Duration::from_secs(10) {
        return Err("loading took longer than 10 s".into());
    }
    Ok(())
}
