//! The simulated network itself: same seed, same deliveries; impairments happen at the configured rates.

use crate::netsim::{LinkConfig, NetSim, Side};
use std::time::{Duration, Instant};

fn run(seed: u64) -> Vec<(Side, Vec<u8>)> {
    let start = Instant::now();
    let mut sim = NetSim::symmetric(seed, LinkConfig::harsh());
    for i in 0..1000u32 {
        let at = start + Duration::from_millis(u64::from(i));
        sim.send(if i % 2 == 0 { Side::A } else { Side::B }, at, &i.to_be_bytes());
    }
    let mut out = Vec::new();
    let end = start + Duration::from_secs(5);
    while let Some((to, bytes)) = sim.pop_due(end) {
        out.push((to, bytes));
    }
    out
}

#[test]
fn same_seed_gives_same_deliveries() {
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn harsh_link_loses_duplicates_and_reorders_at_about_the_configured_rates() {
    let delivered = run(42);
    let n = delivered.len() as f64;
    // 1000 sent, ~20% lost, ~5% of the rest duplicated: ≈ 840 deliveries.
    assert!((780.0..900.0).contains(&n), "{n} deliveries");
    let a_bound: Vec<u32> = delivered
        .iter()
        .filter(|(to, _)| *to == Side::B)
        .map(|(_, b)| u32::from_be_bytes(b[..4].try_into().unwrap()))
        .collect();
    assert!(a_bound.windows(2).any(|w| w[1] < w[0]), "jitter must reorder");
}
